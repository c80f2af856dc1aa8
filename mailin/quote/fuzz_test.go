package quote

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"unicode/utf8"

	"golang.org/x/net/html"
)

// fuzzMarkers returns the first two markers of opts, "" for missing ones.
func fuzzMarkers(opts Options) (string, string) {
	m := slices.Concat(opts.Markers, []string{"", ""})
	return m[0], m[1]
}

func FuzzText(f *testing.F) {
	for _, tt := range textTests {
		m1, m2 := fuzzMarkers(tt.opts)
		f.Add(tt.body, m1, m2)
	}
	f.Fuzz(func(t *testing.T, body, marker1, marker2 string) {
		opts := Options{Markers: []string{marker1, marker2}}
		got := Text(body, opts)
		if strings.TrimSpace(body) != "" && strings.TrimSpace(got) == "" {
			t.Errorf("Text(%q, %q) = %q, want non-empty", body, opts.Markers, got)
		}
		if utf8.ValidString(body) && !utf8.ValidString(got) {
			t.Errorf("Text(%q, %q) = %q, want valid UTF-8", body, opts.Markers, got)
		}
	})
}

func FuzzHTML(f *testing.F) {
	for _, tt := range htmlTests {
		m1, m2 := fuzzMarkers(tt.opts)
		f.Add(tt.body, m1, m2)
	}
	files, _ := filepath.Glob(filepath.Join("testdata", "*.html"))
	for _, name := range files {
		if b, err := os.ReadFile(name); err == nil {
			f.Add(string(b), marker, markers[3])
		}
	}
	f.Fuzz(func(t *testing.T, body, marker1, marker2 string) {
		opts := Options{Markers: []string{marker1, marker2}}
		got := HTML(body, opts)
		full := render(mustParse(t, body))
		if strings.TrimSpace(full) != "" && strings.TrimSpace(got) == "" {
			t.Errorf("HTML(%q, %q) = %q, want non-empty", body, opts.Markers, got)
		}
		if utf8.ValidString(body) && !utf8.ValidString(got) {
			t.Errorf("HTML(%q, %q) = %q, want valid UTF-8", body, opts.Markers, got)
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
