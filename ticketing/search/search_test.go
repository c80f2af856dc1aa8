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
		{"", "Mail alice@Example.com, now", "'alice':2 'alice@example.com':2 'com':4 'example':3 'mail':1 'now':5"},
		{"", `(it's) C:\dir`, `'c':3 'c:\\dir':3 'dir':4 'it':1 'it''s':1 's':2`},
		{"ÄRENDE", "ärende Ελλάδα", "'ärende':1,2 'ελλάδα':3"},
		{"打印机", "坏了 ok", "'ok':6 '了':5 '印':2 '坏':4 '打':1 '机':3"},
		{"नमस्ते", "", "'नमस्ते':1"}, // combining marks stay in the word
		{"", "", ""},
		{"!!!", "-- / --", ""},
	} {
		if got := Vector(tc.subject, tc.body).String(); got != tc.want {
			t.Errorf("Vector(%q, %q) = %q, want %q", tc.subject, tc.body, got, tc.want)
		}
	}
}

func TestVectorLimits(t *testing.T) {
	// PostgreSQL refuses a lexeme of 2,047 bytes (TestVectorIsPostgresInput)
	long := strings.Repeat("x", 2047)
	if got := Vector("", long+" ok "+strings.Repeat("y", 2046)).String(); got != "'ok':1 '"+strings.Repeat("y", 2046)+"':2" {
		t.Errorf("a word of 2,047 bytes is kept: %.60q", got)
	}
	got := Vector("", strings.Repeat("w ", 20000)).String()
	if n := strings.Count(got, ","); n != maxPositions-1 {
		t.Errorf("%d positions of one word, want %d", n+1, maxPositions)
	}
	got = Vector("", strings.Repeat("a ", 17000)+"late").String()
	if !strings.HasSuffix(got, " 'late':"+strconv.Itoa(maxPosition)) {
		t.Errorf("position beyond %d not clamped: %s", maxPosition, got[len(got)-20:])
	}
	// only the first MaxRunes characters of subject, blank and body count
	subject := strings.Repeat("s", 11)
	body := strings.Repeat("b ", (MaxRunes-14)/2) + "in out" // in ends at MaxRunes
	if got := Vector(subject, body).String(); !strings.Contains(got, "'in':") || strings.Contains(got, "'out'") {
		t.Errorf("cut at %d characters: in %v, out %v", MaxRunes, strings.Contains(got, "'in':"), strings.Contains(got, "'out'"))
	}
}

func TestQuery(t *testing.T) {
	for _, tc := range []struct{ q, query, pattern string }{
		{"printer tray", "'printer' & 'tray'", ""},
		{"  Printer  ", "'printer'", ""},
		{"alice@example.com VPN", "('alice@example.com' | ('alice' <-> 'example' <-> 'com')) & 'vpn'", ""},
		{"(it's)", "('it''s' | ('it' <-> 's'))", ""},
		{"ÄRENDE", "'ärende'", ""},
		{"!!! ---", "", ""},
		{"打印 机", "('打' <-> '印') & '机'", "%打印 机%"},
		{"打印 50%_off", "('打' <-> '印')", `%打印 50\%\_off%`},
	} {
		query, pattern, err := Query(tc.q)
		if err != nil || query != tc.query || pattern != tc.pattern {
			t.Errorf("Query(%q) = %q, %q, %v; want %q, %q", tc.q, query, pattern, err, tc.query, tc.pattern)
		}
	}
	if _, _, err := Query(strings.Repeat("a.", MaxQuery/2) + "b"); err != TooLong(MaxQuery+1) {
		t.Errorf("a query of %d characters: %v", MaxQuery+1, err)
	}
}

// FuzzVector checks what PostgreSQL's tsvector input needs of Vector's
// output, in either form (TestVectorIsPostgresInput feeds the text form
// to the server, ticketing's TestVectorsSentInBinaryReadAsWritten the
// binary form, which merges no repeated word and refuses positions out of
// order): valid UTF-8 words without NUL (the binary form ends each word
// with one), each once and in byte order, each with 1 to 256 ascending
// positions, and a text form that reads back as the same vector. It
// checks too that a query of any blank-free piece of the text names only
// words the vector holds.
func FuzzVector(f *testing.F) {
	f.Add("Printer jams", "alice@example.com: tray 2 jams again, AGAIN (it's C:\\dir)")
	f.Add("打印机坏了", "Ελλάδα ärende नमस्ते \xff\x00")
	f.Fuzz(func(t *testing.T, subject, body string) {
		v := Vector(subject, body)
		text := v.String()
		held := map[string]bool{}
		prev := ""
		for i, l := range v {
			if l.Word == "" || len(l.Word) > maxLexeme || strings.ContainsAny(l.Word, " \t\n\x00") || !utf8.ValidString(l.Word) {
				t.Fatalf("word %q in %q", l.Word, text)
			}
			if i > 0 && l.Word <= prev {
				t.Fatalf("%q after %q", l.Word, prev)
			}
			prev, held[l.Word] = l.Word, true
			if len(l.Positions) == 0 || len(l.Positions) > maxPositions {
				t.Fatalf("%d positions of %q", len(l.Positions), l.Word)
			}
			last := uint16(0)
			for _, p := range l.Positions {
				if p <= last || p > maxPosition {
					t.Fatalf("positions %v of %q", l.Positions, l.Word)
				}
				last = p
			}
		}
		back := parseVector(t, text)
		if len(back) != len(v) {
			t.Fatalf("%d words read back from %q, want %d", len(back), text, len(v))
		}
		for i, e := range back {
			if e.word != v[i].Word || len(e.pos) != len(v[i].Positions) {
				t.Fatalf("read back %q %v, want %q %v", e.word, e.pos, v[i].Word, v[i].Positions)
			}
			for j, p := range e.pos {
				if p != int(v[i].Positions[j]) {
					t.Fatalf("read back %q %v, want %v", e.word, e.pos, v[i].Positions)
				}
			}
		}
		if !utf8.ValidString(body) || strings.IndexFunc(body, Unspaced) >= 0 ||
			utf8.RuneCountInString(subject)+1+utf8.RuneCountInString(body) > MaxRunes {
			return
		}
		for _, field := range strings.Fields(body) {
			q, _, err := Query(field)
			if err != nil {
				continue
			}
			for _, w := range queryWords(t, q) {
				if !held[w] {
					t.Fatalf("query %q of %q names %q, not in %q", q, field, w, text)
				}
			}
		}
	})
}

type entry struct {
	word string
	pos  []int
}

// parseVector reads Vector's text form: 'word':1,2 'other':3, quotes
// doubled and backslashes escaped within a word.
func parseVector(t *testing.T, v string) []entry {
	var es []entry
	for v != "" {
		word, rest := unquote(t, v)
		positions, next, _ := strings.Cut(strings.TrimPrefix(rest, ":"), " ")
		if !strings.HasPrefix(rest, ":") {
			t.Fatalf("no positions after %q in %q", word, v)
		}
		e := entry{word: word}
		for _, p := range strings.Split(positions, ",") {
			n, err := strconv.Atoi(p)
			if err != nil {
				t.Fatalf("position %q of %q", p, word)
			}
			e.pos = append(e.pos, n)
		}
		es, v = append(es, e), next
	}
	return es
}

// unquote reads the quoted word at the start of s and returns it and what
// follows.
func unquote(t *testing.T, s string) (string, string) {
	if !strings.HasPrefix(s, "'") {
		t.Fatalf("no quote at %q", s)
	}
	var b strings.Builder
	for i := 1; i < len(s); i++ {
		switch c := s[i]; {
		case c == '\\' && i+1 < len(s):
			i++
			b.WriteByte(s[i])
		case c == '\'' && i+1 < len(s) && s[i+1] == '\'':
			i++
			b.WriteByte('\'')
		case c == '\'':
			return b.String(), s[i+1:]
		case c == '\\':
			t.Fatalf("backslash at the end of %q", s)
		default:
			b.WriteByte(c)
		}
	}
	t.Fatalf("unterminated word in %q", s)
	return "", ""
}

// queryWords are the quoted words of a tsquery's text form.
func queryWords(t *testing.T, q string) []string {
	var ws []string
	for q != "" {
		switch q[0] {
		case '\'':
			var w string
			w, q = unquote(t, q)
			ws = append(ws, w)
		case ' ', '(', ')', '&', '|', '<', '-', '>':
			q = q[1:]
		default:
			t.Fatalf("unexpected %q", q)
		}
	}
	return ws
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
		query, pattern, err := Query(q)
		trimmed := strings.TrimSpace(strings.ToValidUTF8(q, " "))
		if n := utf8.RuneCountInString(trimmed); (n > MaxQuery) != (err != nil) {
			t.Fatalf("Query of %d characters: %v", n, err)
		} else if err != nil {
			return
		}
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
		for _, w := range queryWords(t, query) {
			if w == "" || strings.ContainsAny(w, " \t\n") {
				t.Fatalf("Query(%q) = %q: word %q", q, query, w)
			}
			if r, n := utf8.DecodeRuneInString(w); unspaced && (n != len(w) || !Unspaced(r)) {
				t.Fatalf("Query(%q) = %q: word %q", q, query, w)
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
