package config

import (
	"errors"
	"os"
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
	fenv := func(name string) (string, bool) { return name + ":#", len(name)%2 == 0 }
	f.Fuzz(func(t *testing.T, data []byte) {
		c, err := Parse(data, "deskgate.yaml", fenv)
		if err == nil {
			if c == nil || len(c.Mailboxes) == 0 || c.Mailboxes[0].Port == 0 {
				t.Fatalf("Parse(%q) = %+v, nil: want a complete Config", data, c)
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
