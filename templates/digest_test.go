package templates

import (
	"strings"
	"testing"
)

// TestDigestVariants renders what the sample digest leaves out in every
// language: a lead's view (each assigned ticket with its assignee) and the
// answer to a reply whose commands were not applied (each bad line shown).
func TestDigestVariants(t *testing.T) {
	t.Parallel()
	s := embeddedSet(t)
	for _, lang := range Languages() {
		d := Sample(Digest)
		d.Digest.Lead = true
		d.Digest.Assigned[0].Tickets[0].Assignee = "Ann Lead-Tested"
		d.Digest.Errors = []CommandError{{Line: 1, Text: "#take 99", Problem: ProblemUnknownTicket, Value: "99"},
			{Line: 2, Text: "#status 1234 nope", Problem: ProblemInvalidValue, Value: "nope", Allowed: []string{"open", "pending"}}}
		r, err := s.Render(Digest, lang, d)
		if err != nil {
			t.Fatalf("Render(digest, %s, a lead's answer) = %v", lang, err)
		}
		for _, want := range []string{"Ann Lead-Tested", "#take 99", "#status 1234 nope", "99"} {
			if !strings.Contains(r.Text, want) || !strings.Contains(r.HTML, want) {
				t.Errorf("Render(digest, %s, a lead's answer): %q missing from text or HTML:\n%s", lang, want, r.Text)
			}
		}
		plain, err := s.Render(Digest, lang, Sample(Digest))
		if err != nil || r.Subject == plain.Subject || strings.Contains(plain.Text, "Ann Lead-Tested") {
			t.Errorf("Render(digest, %s): subject %q for the answer, %q for the digest (%v); want them to differ", lang, r.Subject, plain.Subject, err)
		}
	}
}

// TestDigestSubjectOneLine: the digest's subject names no ticket, and
// ticket subjects in its lines never reach it.
func TestDigestSubjectOneLine(t *testing.T) {
	t.Parallel()
	s := embeddedSet(t)
	for _, lang := range Languages() {
		d := Sample(Digest)
		d.Digest.Unassigned[0].Subject = "Help\r\nBcc: evil@example.com"
		r, err := s.Render(Digest, lang, d)
		if err != nil || strings.ContainsAny(r.Subject, "\r\n") || strings.Contains(r.Subject, "Help") || !strings.Contains(r.Text, "Help") {
			t.Errorf("Render(digest, %s) = subject %q (%v), want one line without ticket subjects", lang, r.Subject, err)
		}
	}
}
