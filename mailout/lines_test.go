package mailout

import (
	"bytes"
	"fmt"
	"mime"
	"net/mail"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/jhillyerd/enmime/v2"

	"github.com/deskgate/deskgate/ticketing"
)

// longestLine returns the length in octets of raw's longest line (without
// CRLF) and its start.
func longestLine(raw []byte) (int, string) {
	n, head := 0, ""
	for _, l := range bytes.Split(raw, []byte("\r\n")) {
		if len(l) > n {
			n, head = len(l), string(l[:min(len(l), 60)])
		}
	}
	return n, head
}

func TestComposeLongHeaders(t *testing.T) {
	t.Parallel()
	n := sample()
	n.Subject = "Re: " + strings.Repeat("x", 1<<20) + " [#1234]"
	n.ThreadTopic = strings.Repeat("y", 1<<20)
	n.To[0].Name = strings.Repeat("Z", 5000)
	n.Cc[0].Name = strings.Repeat("ä", 3000)
	for i := range 2000 {
		n.Cc = append(n.Cc, ticketing.Address{Name: fmt.Sprint("Person ", i), Address: fmt.Sprintf("p%d@example.org", i)})
	}
	for i := range 500 {
		n.References = append(n.References, fmt.Sprintf("ref%d.%s@mail.example.com", i, strings.Repeat("r", 80)))
	}
	n.ThreadIndex = strings.Repeat("AdnVb0Lr", 150)
	raw := composeSample(t, n)
	if ti := headerOf(t, raw, "Thread-Index"); ti != "" {
		t.Errorf("Thread-Index of %d octets sent, want it left out", len(ti))
	}
	if l, head := longestLine(raw); l > 998 {
		t.Errorf("Compose: longest line %d octets (%q…), want at most 998", l, head)
	}
	subject := headerOf(t, raw, "Subject")
	if r := []rune(subject); len(r) > MaxSubject || !strings.HasSuffix(subject, "… [#1234]") || !strings.HasPrefix(subject, "Re: xxx") {
		t.Errorf("Subject = %q (%d runes), want at most %d runes, cut with an ellipsis before the tag [#1234]", subject, len(r), MaxSubject)
	}
}

// headerOf returns the decoded value of raw's header field.
func headerOf(t *testing.T, raw []byte, field string) string {
	t.Helper()
	msg, err := mail.ReadMessage(bytes.NewReader(raw))
	if err != nil {
		t.Fatalf("mail.ReadMessage() = %v", err)
	}
	v, err := (&mime.WordDecoder{}).DecodeHeader(msg.Header.Get(field))
	if err != nil {
		t.Fatalf("decoding %s: %v", field, err)
	}
	return v
}

func TestCutSubject(t *testing.T) {
	t.Parallel()
	long := strings.Repeat("é", 300)
	for _, tc := range []struct{ in, want string }{
		{"Re: short [#1]", "Re: short [#1]"},
		{strings.Repeat("a", MaxSubject), strings.Repeat("a", MaxSubject)},
		{"Re: " + long + " [#1234]", "Re: " + long[:2*(MaxSubject-4-2-7)] + "… [#1234]"},
		{"[#1234] New ticket: " + long, "[#1234] New ticket: " + long[:2*(MaxSubject-20-1)] + "…"},
		{"Re: " + long + " ［HELP-9］", "Re: " + long[:2*(MaxSubject-4-2-8)] + "… ［HELP-9］"},
		{"Re: " + long + " [" + strings.Repeat("z", 40) + "]", "Re: " + long[:2*(MaxSubject-4-1)] + "…"},
		{strings.Repeat("word ", 100), strings.TrimSpace(strings.Repeat("word ", 50)) + "…"},
	} {
		got := cutSubject(tc.in)
		if got != tc.want || utf8.RuneCountInString(got) > MaxSubject || !utf8.ValidString(got) {
			t.Errorf("cutSubject(%.30q…) = %q (%d runes), want %q", tc.in, got, utf8.RuneCountInString(got), tc.want)
		}
	}
}

// TestLongFilenameCut: a requester's file with a very long name goes with
// its name cut before the extension, within the line limit (it made the
// whole mail invalid before).
func TestLongFilenameCut(t *testing.T) {
	n := sample()
	long := strings.Repeat("Skärmbild från möte ", 100) + ".png"
	n.Attachments = []ticketing.Attachment{{Filename: long, ContentType: "image/png", Data: []byte("png")}}
	raw, err := Compose(n, ComposeOptions{})
	if err != nil {
		t.Fatalf("Compose with a %d-character file name = %v", len([]rune(long)), err)
	}
	env, err := enmime.ReadEnvelope(bytes.NewReader(raw))
	if err != nil {
		t.Fatal(err)
	}
	if len(env.Attachments) != 1 || !strings.HasSuffix(env.Attachments[0].FileName, "…png") && !strings.HasSuffix(env.Attachments[0].FileName, "….png") ||
		len([]rune(env.Attachments[0].FileName)) > MaxFilename {
		t.Errorf("attachment read back: %d, name %q; want one named within %d characters, ending in its extension", len(env.Attachments), env.Attachments[0].FileName, MaxFilename)
	}
}
