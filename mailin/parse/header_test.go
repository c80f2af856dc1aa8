package parse

import (
	"strings"
	"testing"
)

// FuzzCollapseSpace: the check that lets most values through as they are
// agrees with collapsing them.
func FuzzCollapseSpace(f *testing.F) {
	for _, s := range []string{"", " ", "a", "a b", "a  b", " a", "a ", "a\tb", "a\u00a0b", "a\u0085b", "\xff \xfe", "Åsa Lindqvist <asa@example.se>", "a\x7fb", "王 伟"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		want := strings.Join(strings.FieldsFunc(s, isSpaceOrControl), " ")
		if got := collapseSpace(s); got != want {
			t.Errorf("collapseSpace(%q) = %q, want %q", s, got, want)
		}
	})
}
