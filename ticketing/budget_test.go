package ticketing

import (
	"strings"
	"testing"
	"unicode/utf8"
)

// FuzzCapText checks that a cut text is a prefix within the budget, valid
// UTF-8 when the input is, and that the count left out is exact.
func FuzzCapText(f *testing.F) {
	f.Add(strings.Repeat(`"`, 5000), 1000)
	f.Add("line one\nline two\nåäö 工单\n", 12)
	f.Add("工单工单", 4)
	f.Fuzz(func(t *testing.T, s string, budget int) {
		if budget < 0 || budget > 1<<20 {
			return
		}
		got, more := capText(s, budget)
		if !strings.HasPrefix(s, got) || len(got) > budget || len(got)+more != len(s) {
			t.Fatalf("capText(%q, %d) = %q, %d; want a prefix of at most %d bytes and the rest counted", s, budget, got, more, budget)
		}
		if utf8.ValidString(s) && !utf8.ValidString(got) {
			t.Fatalf("capText(%q, %d) = %q: cut inside a character", s, budget, got)
		}
	})
}
