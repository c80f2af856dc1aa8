package parse

import (
	"bytes"
	"errors"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/jhillyerd/enmime/v2"

	"github.com/deskgate/deskgate/internal/mailgen"
)

func TestLimits(t *testing.T) {
	t.Parallel()
	// Parts nested inside one another, beside one another, and boundaries
	// that end inner multiparts without their own close delimiter.
	unclosed := "From: a@example.org\r\nSubject: unclosed\r\nContent-Type: multipart/mixed; boundary=o\r\n\r\n" +
		strings.Repeat("--o\r\nContent-Type: multipart/alternative;\r\n boundary=\"i\"\r\n\r\n--i\r\nContent-Type: text/plain\r\n\r\nx\r\n", 3) + "--o--\r\n"
	// Nesting written otherwise: folded, in capitals, and parts that are
	// not multipart by type but have a boundary, which enmime nests too.
	const mixed = "Content-Type: multipart/mixed; boundary=\"b"
	nested := string(mailgen.Nested(65))
	folded := strings.Replace(strings.ReplaceAll(nested, mixed, "content-TYPE :  MULTIPART/Mixed;\r\n\tBoundary=\"b"), "content-TYPE :  MULTIPART/Mixed;\r\n\tBoundary=\"b", mixed, 1)
	typed := strings.Replace(strings.ReplaceAll(nested, mixed, "Content-Type: application/x-nest; boundary=\"b"), "Content-Type: application/x-nest; boundary=\"b", mixed, 1)
	for _, tc := range []struct {
		name string
		raw  []byte
		lim  Limits
		want string // "" for no error
	}{
		{"64 levels", mailgen.Nested(64), Limits{}, ""},
		{"65 levels", mailgen.Nested(65), Limits{}, "parse: over a parsing limit: MIME parts nested deeper than 64 levels (ingest.max_mime_depth)"},
		{"10,000 levels", mailgen.Nested(10000), Limits{}, "nested deeper than 64 levels"},
		{"65 levels, folded, in capitals", []byte(folded), Limits{}, "nested deeper than 64 levels"},
		{"65 levels, by boundary alone", []byte(typed), Limits{}, "nested deeper than 64 levels"},
		{"3 levels, limit 2", mailgen.Nested(3), Limits{MaxDepth: 2}, "nested deeper than 2 levels"},
		{"1000 parts", mailgen.ManyParts(1000), Limits{}, ""},
		{"1001 parts", mailgen.ManyParts(1001), Limits{}, "parse: over a parsing limit: more than 1000 MIME parts (ingest.max_mime_parts)"},
		{"parts at all levels count", mailgen.Nested(6), Limits{MaxParts: 5}, "more than 5 MIME parts"},
		{"closed by the outer boundary", []byte(unclosed), Limits{MaxDepth: 2, MaxParts: 6}, ""},
		{"closed by the outer boundary, parts", []byte(unclosed), Limits{MaxParts: 5}, "more than 5 MIME parts"},
		// 64 levels take enmime milliseconds, whatever the clock's resolution.
		{"time", mailgen.Nested(64), Limits{Timeout: time.Nanosecond}, "parse: over a parsing limit: parsing took longer than 1ns (ingest.parse_timeout)"},
	} {
		in, err := Message(tc.raw, Options{Limits: tc.lim})
		switch {
		case tc.want == "" && err != nil:
			t.Errorf("%s: Message() = %v, want no error", tc.name, err)
		case tc.want == "" && !strings.Contains(in.Text, "x") && !strings.Contains(in.Text, "Part") && !strings.Contains(in.Text, "nest"):
			t.Errorf("%s: Message() text = %q, want the parts' text", tc.name, in.Text)
		case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want) || !errors.Is(err, ErrLimit)):
			t.Errorf("%s: Message() = %v, want an ErrLimit containing %q", tc.name, err, tc.want)
		}
	}
}

// BenchmarkHostile parses mail over the limits: the 10,000-deep message
// took enmime 48 s before the structure was checked first.
func BenchmarkHostile(b *testing.B) {
	for _, bc := range []struct {
		name string
		raw  []byte
	}{
		{"nested-10000", mailgen.Nested(10000)},
		{"nested-64", mailgen.Nested(64)},
		{"parts-1001", mailgen.ManyParts(1001)},
	} {
		b.Run(bc.name, func(b *testing.B) {
			b.SetBytes(int64(len(bc.raw)))
			for b.Loop() {
				_, _ = Message(bc.raw, Options{})
			}
		})
	}
}

// FuzzStructure checks that the structure check never sees less than
// enmime: whatever it lets through under a limit, enmime's tree stays
// within that limit.
func FuzzStructure(f *testing.F) {
	for _, file := range seedFiles(f) {
		raw, err := os.ReadFile(file)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(raw)
	}
	for _, raw := range [][]byte{mailgen.Nested(2), mailgen.Nested(4), mailgen.Nested(5), mailgen.ManyParts(9)} {
		f.Add(raw)
	}
	lim := Limits{MaxDepth: 4, MaxParts: 8, Timeout: time.Minute}
	f.Fuzz(func(t *testing.T, raw []byte) {
		body, err := headerStart(raw)
		if err != nil || checkStructure(body, lim, newBudget(lim.Timeout)) != nil {
			return
		}
		root, err := parser.ReadParts(bytes.NewReader(body))
		if err != nil || root == nil {
			return
		}
		if depth, parts := treeSize(root); depth > lim.MaxDepth || parts > lim.MaxParts {
			t.Errorf("checkStructure let through a tree %d levels deep with %d parts, over %+v", depth, parts, lim)
		}
	})
}

// treeSize returns how deeply p's multiparts nest and how many parts are below p.
func treeSize(p *enmime.Part) (depth, parts int) {
	for c := p.FirstChild; c != nil; c = c.NextSibling {
		d, n := treeSize(c)
		depth, parts = max(depth, d), parts+n+1
	}
	if p.FirstChild != nil {
		depth++
	}
	return depth, parts
}
