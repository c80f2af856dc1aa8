package rules

import (
	"errors"
	"strings"
	"testing"
)

// FuzzCompile loads random conditions and names. Compile must not panic; it
// either succeeds or returns only *LoadErrors, each on one line. A set that
// compiles is evaluated, and each rule's guard is checked against its
// program.
func FuzzCompile(f *testing.F) {
	for _, when := range guardConditions {
		f.Add("r", uint8(0), when)
	}
	for _, when := range []string{
		``, `true`, `false`, `1 < 2`, `frm.x`, `subject`, `(subject == "x"`, `subject matches "[a-"`,
		"subject contains \"x\"\n&& from.domian == 1", `previous.status == "open"`, `now() > 0`,
		`header("X-A") == header("x-a")`, `cc[7] == ""`, `let x = 1; x == 1`, `$env.subject == ""`,
		`map(1..10, # * 2)[0] == 2`, `attachments[0].name ?? "" == "x"`, `subject[0:2] == "In"`,
		`"é" in to || subject matches "(?i)ſ"`, `int(header("x-priority")) < 3`,
	} {
		f.Add("edge", uint8(1), when)
	}
	facts := guardFacts()
	f.Fuzz(func(t *testing.T, name string, on uint8, when string) {
		triggers := []string{OnCreated, OnMessage, OnUpdated, "", "ticket.closed"}
		rs := []Rule{
			{Name: name, On: triggers[int(on)%len(triggers)], When: when, Then: Then{Team: "Support", AddTags: []string{"fuzz"}}},
			{Name: "fixed", On: OnUpdated, When: `true`, Then: Then{Category: "billing"}},
		}
		s, err := Compile(rs, opts)
		if err != nil {
			var joined interface{ Unwrap() []error }
			if !errors.As(err, &joined) {
				t.Fatalf("Compile(%q, %q) = %v, want errors.Join of *LoadError", name, when, err)
			}
			for _, e := range joined.Unwrap() {
				le, ok := e.(*LoadError)
				if !ok || le.Rule < 0 || le.Rule > 1 || strings.Contains(le.Error(), "\n") {
					t.Fatalf("Compile(%q, %q) = error %q (%T), want a one-line *LoadError", name, when, e, e)
				}
			}
			return
		}
		if s.Len() != 2 {
			t.Fatalf("Compile(%q, %q).Len() = %d, want 2", name, when, s.Len())
		}
		for i, f := range facts {
			f.Event = rs[0].On
			r := s.Evaluate(f)
			for j := range r.Trace.Len() {
				if st := r.Trace.Step(j); strings.Contains(st.Err, "\n") {
					t.Fatalf("Evaluate(facts %d).Trace.Step(%d).Err = %q, want one line", i, j, st.Err)
				}
			}
			checkGuard(t, s.all[0], f, i)
		}
	})
}
