package quote

import (
	"strings"
	"testing"
	"unicode/utf8"
)

// headerLabelDefinition and isOriginalMessageDefinition are headerLabel and
// isOriginalMessage as first written, reading every line whole: the
// definitions the faster ones must keep.
func headerLabelDefinition(line string) headerKind {
	s := strings.TrimLeft(line, " \t*")
	i := strings.IndexAny(s, ":：")
	if i <= 0 || utf8.RuneCountInString(s[:i]) > 12 {
		return notHeader
	}
	label := strings.ToLower(strings.Trim(s[:i], " \t*\u00a0"))
	return headerLabels[label]
}

func isOriginalMessageDefinition(line string) bool {
	return originalMessage.MatchString(line)
}

// FuzzHeaderLine: headerLabel and isOriginalMessage, which read only as
// much of a line as can matter, agree with their definitions.
func FuzzHeaderLine(f *testing.F) {
	for _, s := range []string{"From: Åsa", "**Från:** x", "De : y", "发件人：王伟", "Subject:", "a:", ":", "", "twelve chars: x",
		"thirteen char: x", "日期日期日期日期日期日期：x", "日期日期日期日期日期日期日：x", "\xff\xfe:x", "-----Original Message-----",
		" \t-- Ursprüngliche Nachricht --", "\v-----Original Message-----", "x-----Original Message-----", "--"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, line string) {
		if got, want := headerLabel(line), headerLabelDefinition(line); got != want {
			t.Errorf("headerLabel(%q) = %v, want %v", line, got, want)
		}
		if got, want := isOriginalMessage(line), isOriginalMessageDefinition(line); got != want {
			t.Errorf("isOriginalMessage(%q) = %v, want %v", line, got, want)
		}
	})
}

// BenchmarkText strips a 1.7 KB message of ordinary lines with nothing
// quoted, as most new tickets are.
func BenchmarkText(b *testing.B) {
	body := strings.Repeat("Since this morning nothing works as it should.\nSeveral colleagues on my floor see the same: the printer.\n", 17)
	b.ReportAllocs()
	for b.Loop() {
		Text(body, Options{})
	}
}
