package ticketing

import (
	"slices"
	"strings"
	"testing"
	"unicode/utf8"
)

// FuzzCapText checks that a cut text is a prefix within the budget, valid
// UTF-8 when the input is, and that the count left out is exact.
func FuzzCapText(f *testing.F) {
	f.Add(strings.Repeat(`"`, 5000), 1000)
	f.Add("line one\nline two\nåäö 工单\n", 12)
	f.Add("工单工单", 4)
	f.Fuzz(func(t *testing.T, s string, budget int) {
		if budget < 0 || budget > 1<<20 {
			return
		}
		got, more := capText(s, budget)
		if !strings.HasPrefix(s, got) || len(got) > budget || len(got)+more != len(s) {
			t.Fatalf("capText(%q, %d) = %q, %d; want a prefix of at most %d bytes and the rest counted", s, budget, got, more, budget)
		}
		if utf8.ValidString(s) && !utf8.ValidString(got) {
			t.Fatalf("capText(%q, %d) = %q: cut inside a character", s, budget, got)
		}
	})
}

func TestAttachmentNames(t *testing.T) {
	as := []Attachment{{Filename: "a.pdf"}, {Filename: "logo.png", Inline: true}, {}, {Filename: "b.pdf"}, {Filename: "c.pdf"}}
	if got, want := attachmentNames(as, 10), []string{"a.pdf", "b.pdf", "… +1"}; !slices.Equal(got, want) {
		t.Errorf("attachmentNames(%v, 10) = %q, want %q", as, got, want)
	}
	if got, want := attachmentNames(as, 100), []string{"a.pdf", "b.pdf", "c.pdf"}; !slices.Equal(got, want) {
		t.Errorf("attachmentNames(%v, 100) = %q, want %q", as, got, want)
	}
}
