package api_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"testing"

	"github.com/deskgate/deskgate/api"
)

// TestUnknownFieldsRefused: a member of a request body that the operation
// does not define (a typo, a field of a later version of the API) is a 422
// naming each such member, and nothing changes, for every operation that
// takes a body.
func TestUnknownFieldsRefused(t *testing.T) {
	t.Parallel()
	r := newRig(t, 0)
	n := r.mail("support", "asa@example.se", "VPN down", "It does not connect.")
	dup := r.mail("support", "asa@example.se", "VPN still down", "Again.")
	ada := r.token("ada@desk.example", api.ScopeWrite, 0)
	path, dupPath, contact := fmt.Sprintf("/tickets/%d", n), fmt.Sprintf("/tickets/%d", dup), "/contacts/asa@example.se"
	read := func(path string) []byte {
		t.Helper()
		code, _, b := r.do(ada, "GET", path, nil)
		if code != http.StatusOK {
			t.Fatalf("GET %s = %d %s", path, code, b)
		}
		return b
	}
	r.want(http.StatusOK, ada, "PATCH", contact, map[string]any{"language": "en"}, nil)
	before := map[string][]byte{path: read(path), dupPath: read(dupPath), contact: read(contact)}

	att := map[string]any{"filename": "steps.txt", "content_type": "text/plain", "content": []byte("1. quit\n")}
	for _, c := range []struct {
		method, path string
		body         map[string]any
		fields       []string
	}{
		{"PATCH", path, map[string]any{"prority": "High"}, []string{"prority"}},
		// A known field beside an unknown one is not applied either; names
		// are matched as the document spells them, case included.
		{"PATCH", path, map[string]any{"priority": "High", "Status": "open", "due": "tomorrow"}, []string{"Status", "due"}},
		{"POST", path + "/reply", map[string]any{"text": "Restart it.", "cc": []string{"boss@example.se"}}, []string{"cc"}},
		{"POST", path + "/reply", map[string]any{"text": "Restart it.", "attachments": []any{att, map[string]any{"filename": "b.txt",
			"content_type": "text/plain", "content": []byte("b"), "inline": true}}}, []string{"attachments[1].inline"}},
		{"POST", path + "/notes", map[string]any{"text": "Known issue", "internal": true}, []string{"internal"}},
		{"POST", dupPath + "/merge", map[string]any{"into": n, "force": true}, []string{"force"}},
		{"PATCH", contact, map[string]any{"language": "sv", "lang": "sv"}, []string{"lang"}},
	} {
		code, h, b := r.do(ada, c.method, c.path, c.body)
		var p problem
		if err := json.Unmarshal(b, &p); code != http.StatusUnprocessableEntity || err != nil ||
			p.Type != "https://deskgate.dev/problems/invalid" || h.Get("Content-Type") != "application/problem+json" {
			t.Errorf("%s %s %v = %d %s %s, want 422 invalid", c.method, c.path, c.body, code, h.Get("Content-Type"), b)
			continue
		}
		var fields []string
		for _, e := range p.Errors {
			fields = append(fields, e.Field)
			if e.Message == "" {
				t.Errorf("%s %s: field %s refused without a message", c.method, c.path, e.Field)
			}
		}
		if !slices.Equal(fields, c.fields) || p.Detail == "" {
			t.Errorf("%s %s %v: errors %+v, detail %q; want the fields %v", c.method, c.path, c.body, p.Errors, p.Detail, c.fields)
		}
	}
	// docs/api.md shows this answer.
	p := r.wantProblem(http.StatusUnprocessableEntity, "invalid", ada, "PATCH", path, map[string]any{"prority": "High"})
	const fields = "add_tags, assignee, category, impact, priority, remove_tags, status, team, urgency, why"
	if p.Detail != "unknown field: prority" || len(p.Errors) != 1 || p.Errors[0].Message != "unknown field; the fields are "+fields {
		t.Errorf("PATCH %s {prority: High} = %+v, want the answer docs/api.md shows", path, p)
	}
	for path, b := range before {
		if after := read(path); !bytes.Equal(after, b) {
			t.Errorf("GET %s changed after refused requests:\n%s\nwant\n%s", path, after, b)
		}
	}
}

// TestUnreadableBodies: a body that is not JSON, or JSON of the wrong
// shape, is a 400 bad-request; a value the domain refuses, a 422 invalid.
func TestUnreadableBodies(t *testing.T) {
	t.Parallel()
	r := newRig(t, 0)
	n := r.mail("support", "asa@example.se", "VPN down", "It does not connect.")
	ada := r.token("ada@desk.example", api.ScopeWrite, 0)
	path := fmt.Sprintf("/tickets/%d", n)
	for _, body := range []string{`{"priority": `, `{"priority": "High"`, `not json`, ``, `[]`, `"High"`, `{"priority": 5}`,
		`{"add_tags": "vip"}`, `{"status": {"to": "open"}}`} {
		r.wantProblem(http.StatusBadRequest, "bad-request", ada, "PATCH", path, []byte(body))
	}
	r.wantProblem(http.StatusBadRequest, "bad-request", ada, "POST", path+"/merge", []byte(`{"into": "one"}`))
	r.wantProblem(http.StatusUnprocessableEntity, "invalid", ada, "PATCH", path, []byte(`{"status": "later"}`))
	r.wantProblem(http.StatusUnprocessableEntity, "invalid", ada, "PATCH", path, []byte(`{}`))
}
