package parse

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/deskgate/deskgate/internal/mailgen"
)

// seedFiles returns the fixture files and, when present, the corpus files.
func seedFiles(t testing.TB) []string {
	files, _ := filepath.Glob(filepath.Join("testdata", "eml", "*.eml"))
	if dir := corpusDir(t); dir != "" {
		more, _ := filepath.Glob(filepath.Join(dir, "*", "*.eml"))
		files = append(files, more...)
	}
	return files
}

func FuzzMessage(f *testing.F) {
	for _, file := range seedFiles(f) {
		raw, err := os.ReadFile(file)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(raw)
	}
	// Nesting and part counts at and over the limits.
	for _, raw := range [][]byte{mailgen.Nested(2), mailgen.Nested(64), mailgen.Nested(65), mailgen.ManyParts(3)} {
		f.Add(raw)
	}
	f.Fuzz(func(t *testing.T, raw []byte) {
		in, err := Message(raw, Options{})
		if err != nil {
			if !strings.HasPrefix(err.Error(), "parse: ") {
				t.Errorf("Message() error = %q, want a parse: prefix", err)
			}
			return
		}
		if bad := invalidStrings(in); bad != "" {
			t.Error(bad)
		}
		if bad := remoteLoad(in.HTML); bad != "" {
			t.Errorf("HTML loads %s", bad)
		}
	})
}

func BenchmarkMessage(b *testing.B) {
	files, _ := filepath.Glob(filepath.Join("testdata", "eml", "*.eml"))
	var msgs [][]byte
	for _, file := range files {
		raw, err := os.ReadFile(file)
		if err != nil {
			b.Fatal(err)
		}
		msgs = append(msgs, raw)
	}
	b.ResetTimer()
	n := 0
	for b.Loop() {
		for _, raw := range msgs {
			_, _ = Message(raw, Options{})
			n++
		}
	}
	b.ReportMetric(float64(n)/b.Elapsed().Seconds(), "msgs/s")
}
