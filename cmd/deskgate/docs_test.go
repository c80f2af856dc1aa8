package main

import (
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"unicode"
)

// TestHackingNamesEveryFuzzTarget keeps HACKING.md's list of fuzz targets
// (which make fuzz runs all of) in step with the code.
func TestHackingNamesEveryFuzzTarget(t *testing.T) {
	hacking, err := os.ReadFile("../../HACKING.md")
	if err != nil {
		t.Fatal(err)
	}
	decl := regexp.MustCompile(`(?m)^func (Fuzz\w+)\(`)
	found := 0
	err = filepath.WalkDir("../..", func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(path, "_test.go") {
			return err
		}
		src, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		for _, m := range decl.FindAllSubmatch(src, -1) {
			found++
			if !strings.Contains(string(hacking), "`"+string(m[1])+"`") {
				t.Errorf("HACKING.md does not name %s (%s)", m[1], path)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if found == 0 {
		t.Fatal("found no fuzz target: the walk is wrong")
	}
}

// TestDocsLinksResolve: every relative link in the README, HACKING.md and
// docs/ names a file that exists and, with a #fragment, a heading in it,
// so that moving a section cannot leave a dead link behind.
func TestDocsLinksResolve(t *testing.T) {
	pages := docPages(t)
	link := regexp.MustCompile(`\[[^\]]*\]\(([^)\s]+)\)`)
	anchors := map[string]map[string]bool{} // file -> heading anchors
	headings := func(path string) map[string]bool {
		if a, ok := anchors[path]; ok {
			return a
		}
		a := map[string]bool{}
		src, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		fence := false
		for _, line := range strings.Split(string(src), "\n") {
			if strings.HasPrefix(line, "```") {
				fence = !fence
			}
			if h, ok := strings.CutPrefix(strings.TrimLeft(line, "#"), " "); ok && !fence && strings.HasPrefix(line, "#") {
				a[headingAnchor(h)] = true
			}
		}
		anchors[path] = a
		return a
	}
	checked := 0
	for _, page := range pages {
		src, err := os.ReadFile(page)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range link.FindAllStringSubmatch(string(src), -1) {
			target := m[1]
			if strings.Contains(target, "://") || strings.HasPrefix(target, "mailto:") {
				continue
			}
			path, frag, _ := strings.Cut(target, "#")
			file := page
			if path != "" {
				file = filepath.Join(filepath.Dir(page), path)
				if _, err := os.Stat(file); err != nil {
					t.Errorf("%s links to %s, which does not exist", page, target)
					continue
				}
			}
			checked++
			if frag != "" && strings.HasSuffix(file, ".md") && !headings(file)[frag] {
				t.Errorf("%s links to %s: %s has no heading #%s", page, target, file, frag)
			}
		}
	}
	if checked < 50 {
		t.Fatalf("checked %d links; the pattern is wrong", checked)
	}
}

// headingAnchor is GitHub's anchor for a Markdown heading: lower case,
// punctuation dropped, spaces as hyphens.
func headingAnchor(h string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(strings.TrimSpace(h)) {
		switch {
		case r == ' ':
			b.WriteByte('-')
		case r == '-' || r == '_' || unicode.IsLetter(r) || unicode.IsDigit(r):
			b.WriteRune(r)
		}
	}
	return b.String()
}

// docPages are the pages the docs tests read: README.md, HACKING.md and
// every page under docs/ (the reports have a folder of their own).
func docPages(t *testing.T) []string {
	t.Helper()
	var pages []string
	for _, pattern := range []string{"../../docs/*.md", "../../docs/*/*.md"} {
		found, err := filepath.Glob(pattern)
		if err != nil {
			t.Fatal(err)
		}
		pages = append(pages, found...)
	}
	if len(pages) < 20 {
		t.Fatalf("found only %d pages under docs/: the patterns are wrong", len(pages))
	}
	return append(pages, "../../README.md", "../../HACKING.md")
}
