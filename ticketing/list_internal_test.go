package ticketing

import (
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

// FuzzCursor: any cursor a client sends is parsed or refused with
// BadCursor, never a panic; one that parses makes the same cursor again.
func FuzzCursor(f *testing.F) {
	f.Add(makeCursor(42, time.Date(2026, 12, 7, 10, 0, 0, 123456000, time.UTC)))
	f.Add("")
	f.Add("MTIgMjAyNi0xMi0wN1QxMDowMDowMFo")
	f.Add("%%%")
	f.Fuzz(func(t *testing.T, c string) {
		id, at, err := parseCursor(c)
		if err != nil {
			if _, ok := err.(BadCursor); !ok {
				t.Fatalf("parseCursor(%q) = %v, want a BadCursor", c, err)
			}
			return
		}
		id2, at2, err := parseCursor(makeCursor(id, at))
		if err != nil || id2 != id || !at2.Equal(at) {
			t.Fatalf("cursor %q: (%d, %v) made again reads (%d, %v, %v)", c, id, at, id2, at2, err)
		}
	})
}

// FuzzSearchTerms: a query goes whole to one index: as words, or as a
// LIKE pattern that matches exactly its text (wildcards escaped).
func FuzzSearchTerms(f *testing.F) {
	for _, s := range []string{"printer jammed", "打印", " 卡纸 50% ", `a_b\c`, "", "Skrivaren på plan 3"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, q string) {
		words, pattern := searchTerms(q)
		trimmed := strings.TrimSpace(q)
		switch {
		case trimmed == "":
			if words != "" || pattern != "" {
				t.Fatalf("searchTerms(%q) = %q, %q, want nothing", q, words, pattern)
			}
		case words != "":
			if pattern != "" || words != trimmed {
				t.Fatalf("searchTerms(%q) = %q, %q", q, words, pattern)
			}
		default:
			inner, ok := strings.CutPrefix(pattern, "%")
			inner, ok2 := strings.CutSuffix(inner, "%")
			if !ok || !ok2 {
				t.Fatalf("searchTerms(%q) pattern %q", q, pattern)
			}
			if got := unescapeLike(inner); got != trimmed {
				t.Fatalf("searchTerms(%q) pattern %q matches %q", q, pattern, got)
			}
		}
		if utf8.ValidString(q) && (!utf8.ValidString(words) || !utf8.ValidString(pattern)) {
			t.Fatalf("searchTerms(%q) made invalid UTF-8", q)
		}
		// The phrase query quotes single characters of the unspaced
		// scripts only: nothing of q can change the tsquery's syntax.
		pq := phraseQuery(q)
		for _, part := range strings.FieldsFunc(pq, func(r rune) bool { return strings.ContainsRune(" &<->()", r) }) {
			inner, ok := strings.CutPrefix(part, "'")
			inner, ok2 := strings.CutSuffix(inner, "'")
			if r, n := utf8.DecodeRuneInString(inner); !ok || !ok2 || n != len(inner) || !unspaced(r) {
				t.Fatalf("phraseQuery(%q) = %q: term %q", q, pq, part)
			}
		}
		if (pq != "") != (pattern != "") {
			t.Fatalf("phraseQuery(%q) = %q with pattern %q", q, pq, pattern)
		}
	})
}

// unescapeLike is the literal text a LIKE pattern without wildcards
// matches; it fails the test's comparison on an unescaped % or _.
func unescapeLike(p string) string {
	var b strings.Builder
	for i := 0; i < len(p); i++ {
		switch c := p[i]; {
		case c == '\\' && i+1 < len(p):
			i++
			b.WriteByte(p[i])
		case c == '%' || c == '_':
			b.WriteString("\x00wildcard")
		default:
			b.WriteByte(c)
		}
	}
	return b.String()
}
