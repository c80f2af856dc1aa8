package api_test

import (
	"fmt"
	"net/http"
	"testing"

	"github.com/deskgate/deskgate/api"
)

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
