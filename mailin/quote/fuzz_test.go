package quote

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"unicode/utf8"

	"golang.org/x/net/html"
)

func FuzzText(f *testing.F) {
	for _, tt := range textTests {
		f.Add(tt.body, tt.opts.Marker)
	}
	f.Fuzz(func(t *testing.T, body, marker string) {
		got := Text(body, Options{Marker: marker})
		if strings.TrimSpace(body) != "" && strings.TrimSpace(got) == "" {
			t.Errorf("Text(%q, %q) = %q, want non-empty", body, marker, got)
		}
		if utf8.ValidString(body) && !utf8.ValidString(got) {
			t.Errorf("Text(%q, %q) = %q, want valid UTF-8", body, marker, got)
		}
	})
}

func FuzzHTML(f *testing.F) {
	for _, tt := range htmlTests {
		f.Add(tt.body, tt.opts.Marker)
	}
	files, _ := filepath.Glob(filepath.Join("testdata", "*.html"))
	for _, name := range files {
		if b, err := os.ReadFile(name); err == nil {
			f.Add(string(b), marker)
		}
	}
	f.Fuzz(func(t *testing.T, body, marker string) {
		got := HTML(body, Options{Marker: marker})
		full := render(mustParse(t, body))
		if strings.TrimSpace(full) != "" && strings.TrimSpace(got) == "" {
			t.Errorf("HTML(%q, %q) = %q, want non-empty", body, marker, got)
		}
		if utf8.ValidString(body) && !utf8.ValidString(got) {
			t.Errorf("HTML(%q, %q) = %q, want valid UTF-8", body, marker, got)
		}
	})
}

func mustParse(t *testing.T, body string) *html.Node {
	t.Helper()
	doc, err := html.Parse(strings.NewReader(body))
	if err != nil {
		t.Fatalf("html.Parse: %v", err)
	}
	return doc
}
