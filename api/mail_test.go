package api_test

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/deskgate/deskgate/api"
	"github.com/deskgate/deskgate/mailin"
	"github.com/deskgate/deskgate/ticketing"
)

func urlQuery(s string) string { return url.QueryEscape(s) }

func TestInboundAndQuarantine(t *testing.T) {
	t.Parallel()
	r := newRig(t, 0)
	ctx := context.Background()
	r.mail("support", "asa@example.se", "VPN down", "It does not connect.")
	if _, err := r.pool.Exec(ctx, `INSERT INTO inbound (mailbox, uidvalidity, uid, sha256, size, raw, status, reason)
		VALUES ('support', 1, 99, sha256('broken'::bytea), 6, 'broken'::bytea, 'quarantined', 'no header')`); err != nil {
		t.Fatal(err)
	}
	tok := r.token("ada@desk.example", api.ScopeWrite, 0)
	var list struct{ Items []mailin.Record }
	r.want(http.StatusOK, tok, "GET", "/inbound", nil, &list)
	if len(list.Items) != 2 {
		t.Fatalf("inbound = %d records, want 2", len(list.Items))
	}
	first := list.Items[1]
	code, h, raw := r.do(tok, "GET", fmt.Sprintf("/inbound/%d/raw", first.ID), nil)
	if code != http.StatusOK || h.Get("Content-Type") != "message/rfc822" || !strings.HasPrefix(string(raw), "From: asa@example.se") {
		t.Errorf("raw = %d %s %q", code, h.Get("Content-Type"), raw)
	}
	var rec mailin.Record
	r.want(http.StatusOK, tok, "GET", fmt.Sprintf("/inbound/%d", first.ID), nil, &rec)
	if rec.Ticket == nil {
		t.Errorf("inbound %d: no ticket", first.ID)
	}
	r.wantProblem(http.StatusNotFound, "not-found", tok, "GET", "/inbound/999/raw", nil)
	list.Items = nil
	r.want(http.StatusOK, tok, "GET", "/quarantine", nil, &list)
	if len(list.Items) != 1 || list.Items[0].Reason != "no header" {
		t.Fatalf("quarantine = %+v", list.Items)
	}
	q := list.Items[0].ID
	r.want(http.StatusAccepted, tok, "POST", fmt.Sprintf("/quarantine/%d/retry", q), nil, &rec)
	if rec.Status != "pending" {
		t.Errorf("after retry: %s, want pending", rec.Status)
	}
	p := r.wantProblem(http.StatusUnprocessableEntity, "invalid", tok, "POST", fmt.Sprintf("/quarantine/%d/retry", q), nil)
	if len(p.Errors) != 1 || p.Errors[0].Field != "id" {
		t.Errorf("retry of a pending message: %+v", p)
	}
}

func TestContacts(t *testing.T) {
	t.Parallel()
	r := newRig(t, 0)
	ctx := context.Background()
	if _, err := r.pool.Exec(ctx, `INSERT INTO contacts (address, suppressed_until, suppressed_reason)
		VALUES ('gone@example.com', now() + interval '1 day', '550 5.1.1 no such user')`); err != nil {
		t.Fatal(err)
	}
	tok := r.token("ada@desk.example", api.ScopeWrite, 0)
	var c ticketing.Contact
	r.want(http.StatusOK, tok, "GET", "/contacts/gone@example.com", nil, &c)
	if c.SuppressedUntil == nil || c.SuppressedReason == "" {
		t.Fatalf("contact = %+v, want suppressed", c)
	}
	r.want(http.StatusOK, tok, "PATCH", "/contacts/GONE@example.com", map[string]any{"suppressed": false, "language": "sv"}, &c)
	if c.SuppressedUntil != nil || c.Language != "sv" {
		t.Errorf("after PATCH: %+v", c)
	}
	p := r.wantProblem(http.StatusUnprocessableEntity, "invalid", tok, "PATCH", "/contacts/gone@example.com", map[string]any{"language": "xx"})
	if len(p.Errors) != 1 || p.Errors[0].Field != "language" {
		t.Errorf("language xx: %+v", p)
	}
	r.wantProblem(http.StatusNotFound, "not-found", tok, "GET", "/contacts/nobody@example.com", nil)
}
