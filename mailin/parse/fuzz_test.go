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

// FuzzContentScore: the content score's tokenizer and matchers on any
// Subject and text: tokens follow each other and are what firstToken reads
// at their start, and the total is the sum of the cues that fired, each
// within its count.
func FuzzContentScore(f *testing.F) {
	for _, seed := range [][2]string{
		{"Automatic reply: [#12] Printer", "I am out of the office until Monday."},
		{"[Auto-Reply] Re: x", "“this is an automatic reply”"},
		{"自动回复：打印机", "我目前不在办公室，如有急事请联系。"},
		{"Unzustellbar: Rechnung", "Ihre Nachricht hat einige oder alle Empfänger nicht erreicht. 550 5.1.1"},
		{"", "\xff\xfe broken \x00 bytes ’quoted’"},
	} {
		f.Add(seed[0], seed[1])
	}
	f.Fuzz(func(t *testing.T, subject, text string) {
		norm := normalize(text)
		last := 0
		forTokens(norm, func(start, end int) {
			if start < last || end <= start || end > len(norm) || firstToken(norm[start:]) != norm[start:end] {
				t.Fatalf("forTokens(%q) gave [%d:%d] after %d", norm, start, end, last)
			}
			last = end
		})
		s := &scored{}
		scoreSubject(s, normalize(subject))
		scoreText(s, norm)
		sum := 0
		for kind, h := range s.hits {
			if len(h) > cues[kind].max {
				t.Errorf("cue %s fired %d times, at most %d", cues[kind].name, len(h), cues[kind].max)
			}
			sum += cues[kind].weight * len(h)
		}
		if sum != s.total {
			t.Errorf("total = %d, want the sum of the cues %d", s.total, sum)
		}
		_ = s.class()
		if r := s.reason(); !strings.HasPrefix(r, "content score ") {
			t.Errorf("reason = %q", r)
		}
	})
}
