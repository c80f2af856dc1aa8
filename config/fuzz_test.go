package config

import (
	"errors"
	"os"
	"strings"
	"testing"
)

// FuzzParse checks that Parse never panics and always returns either a Config or an *Error
// with at least one problem.
func FuzzParse(f *testing.F) {
	f.Add([]byte(minimal))
	if example, err := os.ReadFile("../deskgate.example.yaml"); err == nil {
		f.Add(example)
	}
	f.Add([]byte("desk: &d {<<: *d, name: *d}\nmailboxes: [*d, {<<: [*d, *d]}]\n"))
	f.Add([]byte("a: &a [x, x]\nb: &b [*a, *a]\nmailboxes: [*b, *b]\n"))
	f.Add([]byte("mailboxes:\n  - port: ${PORT}\n    password: $${x}${"))
	f.Add([]byte(minimal + people + "notifications:\n  recipient_limits: [{window: 1h, max: 3}, {window: 60m}]\n" +
		"  breaker: &b {window: 1s, max: 1}\n  events:\n    new_ticket: {enabled:, to: [team, requester, a@b.c]}\n" +
		"    status_closed: {<<: *b, enabled: true}\n"))
	f.Add([]byte(strings.Replace(minimal, minimalSMTP, "smtp: {host: ::1, tls: plain, auth: xoauth2, username: u, oauth2_token: ${TOK}, retry_base: 2h}\n", 1)))
	fenv := func(name string) (string, bool) { return name + ":#", len(name)%2 == 0 }
	f.Fuzz(func(t *testing.T, data []byte) {
		c, err := Parse(data, "deskgate.yaml", fenv)
		if err == nil {
			if c == nil || len(c.Mailboxes) == 0 || c.Mailboxes[0].Port == 0 || c.SMTP.Port == 0 || c.SMTP.Auth == "" {
				t.Fatalf("Parse(%q) = %+v, nil: want a complete Config", data, c)
			}
			for _, spec := range eventSpecs {
				if len(spec.event(&c.Notifications.Events).To) == 0 {
					t.Fatalf("Parse(%q): event %s has no recipients", data, spec.name)
				}
			}
			return
		}
		var cerr *Error
		if !errors.As(err, &cerr) || len(cerr.Problems) == 0 || c != nil {
			t.Fatalf("Parse(%q) = %v, %v: want nil and an *Error with problems", data, c, err)
		}
		_ = err.Error()
	})
}
