package search

import (
	"strconv"
	"strings"
	"testing"
	"unicode/utf8"
)

func TestVector(t *testing.T) {
	for _, tc := range []struct{ subject, body, want string }{
		{"VPN drops", "The VPN drops, again!", "'again':6 'drops':2,5 'the':3 'vpn':1,4"},
		{"", "Mail alice@Example.com now", "'alice':2 'com':4 'example':3 'mail':1 'now':5"},
		{"ÄRENDE", "ärende Ελλάδα", "'ärende':1,2 'ελλάδα':3"},
		{"打印机", "坏了 ok", "'ok':6 '了':5 '印':2 '坏':4 '打':1 '机':3"},
		{"नमस्ते", "", "'नमस्ते':1"}, // combining marks stay in the word
		{"", "", ""},
		{"!!!", "-- / --", ""},
	} {
		if got := Vector(tc.subject, tc.body); got != tc.want {
			t.Errorf("Vector(%q, %q) = %q, want %q", tc.subject, tc.body, got, tc.want)
		}
	}
}

func TestVectorLimits(t *testing.T) {
	long := strings.Repeat("x", maxLexeme+1)
	if got := Vector("", long+" ok "+strings.Repeat("y", maxLexeme)); got != "'ok':1 '"+strings.Repeat("y", maxLexeme)+"':2" {
		t.Errorf("a word over %d bytes is kept: %.60q", maxLexeme, got)
	}
	got := Vector("", strings.Repeat("w ", 20000))
	if n := strings.Count(got, ","); n != maxPositions-1 {
		t.Errorf("%d positions of one word, want %d", n+1, maxPositions)
	}
	got = Vector("", strings.Repeat("a ", 17000)+"late")
	if !strings.HasSuffix(got, " 'late':"+strconv.Itoa(maxPosition)) {
		t.Errorf("position beyond %d not clamped: %s", maxPosition, got[len(got)-20:])
	}
	// only the first MaxRunes characters of subject, blank and body count
	subject := strings.Repeat("s", 11)
	body := strings.Repeat("b ", (MaxRunes-14)/2) + "in out" // in ends at MaxRunes
	if got := Vector(subject, body); !strings.Contains(got, "'in':") || strings.Contains(got, "'out'") {
		t.Errorf("cut at %d characters: in %v, out %v", MaxRunes, strings.Contains(got, "'in':"), strings.Contains(got, "'out'"))
	}
}

func TestQuery(t *testing.T) {
	for _, tc := range []struct{ q, query, pattern string }{
		{"printer tray", "'printer' & 'tray'", ""},
		{"  Printer  ", "'printer'", ""},
		{"alice@example.com VPN", "('alice' <-> 'example' <-> 'com') & 'vpn'", ""},
		{"ÄRENDE", "'ärende'", ""},
		{"!!! ---", "", ""},
		{"打印 机", "('打' <-> '印') & '机'", "%打印 机%"},
		{"打印 50%_off", "('打' <-> '印')", `%打印 50\%\_off%`},
	} {
		query, pattern := Query(tc.q)
		if query != tc.query || pattern != tc.pattern {
			t.Errorf("Query(%q) = %q, %q; want %q, %q", tc.q, query, pattern, tc.query, tc.pattern)
		}
	}
}

// FuzzVector checks what PostgreSQL's tsvector input needs of Vector's
// output (TestVectorIsPostgresInput feeds it to the server) and that a
// query of any blank-free piece of the text names only words the vector
// holds.
func FuzzVector(f *testing.F) {
	f.Add("Printer jams", "alice@example.com: tray 2 jams again, AGAIN")
	f.Add("打印机坏了", "Ελλάδα ärende नमस्ते \xff\x00")
	f.Fuzz(func(t *testing.T, subject, body string) {
		v := Vector(subject, body)
		if !utf8.ValidString(v) {
			t.Fatalf("invalid UTF-8: %q", v)
		}
		held := map[string]bool{}
		prev := ""
		for i, e := range strings.Split(v, " ") {
			if v == "" {
				break
			}
			word, posText, ok := strings.Cut(e, ":")
			if !ok || len(word) < 3 || word[0] != '\'' || word[len(word)-1] != '\'' {
				t.Fatalf("entry %q of %q", e, v)
			}
			word = word[1 : len(word)-1]
			if strings.ContainsAny(word, `' \`) || len(word) > maxLexeme {
				t.Fatalf("word %q", word)
			}
			if i > 0 && word <= prev {
				t.Fatalf("%q after %q", word, prev)
			}
			prev, held[word] = word, true
			last := 0
			ps := strings.Split(posText, ",")
			if len(ps) > maxPositions {
				t.Fatalf("%d positions", len(ps))
			}
			for _, p := range ps {
				n, err := strconv.Atoi(p)
				if err != nil || n <= last || n > maxPosition {
					t.Fatalf("positions %q of %q", posText, word)
				}
				last = n
			}
		}
		if strings.IndexFunc(body, Unspaced) >= 0 || utf8.RuneCountInString(subject)+1+utf8.RuneCountInString(body) > MaxRunes {
			return
		}
		for _, field := range strings.Fields(body) {
			q, _ := Query(field)
			for _, w := range strings.FieldsFunc(q, func(r rune) bool { return strings.ContainsRune("()&<-> ", r) }) {
				if w := strings.Trim(w, "'"); len(w) <= maxLexeme && !held[w] {
					t.Fatalf("query %q of %q names %q, not in %q", q, field, w, v)
				}
			}
		}
	})
}

func BenchmarkVector(b *testing.B) {
	body := strings.Repeat("Hello, the printer on the 3rd floor is broken again; please help. Regards, Alice. ", 25)
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	for b.Loop() {
		Vector("Printer on floor 3", body)
	}
}

// FuzzQuery: a query holding an unspaced character gets a LIKE pattern
// that matches exactly its text (wildcards escaped), and a tsquery of
// those characters alone; any other gets words only. Either way each term
// is quoted and holds nothing that could change the tsquery's syntax.
func FuzzQuery(f *testing.F) {
	for _, s := range []string{"printer jammed", "打印", " 卡纸 50% ", `a_b\c`, "", "Skrivaren på plan 3", "it's a 'test' & <-> !x"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, q string) {
		query, pattern := Query(q)
		trimmed := strings.TrimSpace(strings.ToValidUTF8(q, " "))
		unspaced := strings.IndexFunc(trimmed, Unspaced) >= 0
		if unspaced {
			inner, ok := strings.CutPrefix(pattern, "%")
			inner, ok2 := strings.CutSuffix(inner, "%")
			if !ok || !ok2 {
				t.Fatalf("Query(%q) pattern %q", q, pattern)
			}
			if got := unescapeLike(inner); got != trimmed {
				t.Fatalf("Query(%q) pattern %q matches %q", q, pattern, got)
			}
		} else if pattern != "" {
			t.Fatalf("Query(%q) pattern %q", q, pattern)
		}
		if !utf8.ValidString(query) || !utf8.ValidString(pattern) {
			t.Fatalf("Query(%q) made invalid UTF-8", q)
		}
		for _, part := range strings.FieldsFunc(query, func(r rune) bool { return strings.ContainsRune(" &<->()", r) }) {
			inner, ok := strings.CutPrefix(part, "'")
			inner, ok2 := strings.CutSuffix(inner, "'")
			if !ok || !ok2 || inner == "" || strings.ContainsAny(inner, `'\ `) {
				t.Fatalf("Query(%q) = %q: term %q", q, query, part)
			}
			if r, n := utf8.DecodeRuneInString(inner); unspaced && (n != len(inner) || !Unspaced(r)) {
				t.Fatalf("Query(%q) = %q: term %q", q, query, part)
			}
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
