package parse

import (
	"strings"
	"testing"
	"unicode/utf8"
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

// FuzzHeaderStringToUTF8: a header value read as a string gives what its
// bytes give. Only the fast path (valid UTF-8) is compared: for other
// values headerStringToUTF8 is the same call.
func FuzzHeaderStringToUTF8(f *testing.F) {
	for _, s := range []string{"", "Åsa", "\xef\xbb\xbfÅsa", "\xff\xfeA", "\xfe\xffA", "\xc5sa", "a\x00b", "a\u0085b", "\xef\xbb\xbf\xef\xbb\xbfx"} {
		f.Add(s, "iso-8859-1")
		f.Add(s, "")
	}
	f.Fuzz(func(t *testing.T, raw, hint string) {
		if !utf8.ValidString(raw) {
			return
		}
		if got, want := headerStringToUTF8(raw, hint), headerToUTF8([]byte(raw), hint); got != want {
			t.Errorf("headerStringToUTF8(%q, %q) = %q, want %q", raw, hint, got, want)
		}
	})
}
