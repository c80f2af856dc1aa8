package quote

import (
	"bufio"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/deskgate/deskgate/mailin/parse"
)

// corpusDir finds ../shared/corpus relative to the module root, or "".
func corpusDir(t *testing.T) string {
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return filepath.Join(dir, "..", "shared", "corpus")
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return ""
		}
		dir = parent
	}
}

// TestCorpus strips the replies of the development corpus: the new text
// the manifest names (body_snippet) must survive, and the result must
// never be empty.
func TestCorpus(t *testing.T) {
	dir := corpusDir(t)
	manifest := filepath.Join(dir, "manifest.tsv")
	if dir == "" {
		t.Skip("no go.mod above the test directory, so no corpus")
	}
	f, err := os.Open(manifest)
	if err != nil {
		t.Skipf("corpus manifest not available: %v", err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	var total, stripped, htmlTotal, htmlStripped int
	for first := true; sc.Scan(); first = false {
		cols := strings.Split(sc.Text(), "\t")
		if first || len(cols) < 5 || (cols[1] != "plain" && cols[1] != "threading") {
			continue
		}
		path, snippet := cols[0], cols[4]
		raw, err := os.ReadFile(filepath.Join(dir, filepath.FromSlash(path)))
		if err != nil {
			t.Errorf("%s: %v", path, err)
			continue
		}
		in, err := parse.Message(raw, parse.Options{})
		if err != nil {
			t.Errorf("parse.Message(%s) error: %v", path, err)
			continue
		}
		if in.Text != "" {
			total++
			got := Text(in.Text, Options{})
			if collapseSpace(got) != collapseSpace(in.Text) {
				stripped++
			}
			checkCorpusResult(t, "Text", path, snippet, in.Text, got)
		}
		if in.HTML != "" {
			htmlTotal++
			full := render(mustParse(t, in.HTML))
			got := HTML(in.HTML, Options{})
			if collapseSpace(got) != collapseSpace(full) {
				htmlStripped++
			}
			checkCorpusResult(t, "HTML", path, snippet, full, got)
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatalf("read manifest: %v", err)
	}
	t.Logf("Text: %d of %d plain/threading messages had content stripped", stripped, total)
	t.Logf("HTML: %d of %d HTML bodies had content stripped", htmlStripped, htmlTotal)
}

// checkCorpusResult reports a stripped result that is empty or lost the
// manifest's snippet of new text.
func checkCorpusResult(t *testing.T, fn, path, snippet, full, got string) {
	t.Helper()
	if strings.TrimSpace(full) != "" && strings.TrimSpace(got) == "" {
		t.Errorf("%s(%s) = %q, want non-empty", fn, path, got)
	}
	if snippet == "-" {
		return
	}
	s := collapseSpace(snippet)
	if strings.Contains(collapseSpace(full), s) && !strings.Contains(collapseSpace(got), s) {
		t.Errorf("%s(%s) = %q, want it to contain %q", fn, path, got, snippet)
	}
}
