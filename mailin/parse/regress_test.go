package parse

import (
	"encoding/base64"
	"mime"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// Regressions found in review, each a message shape that once lost or
// garbled content.
func TestRegressions(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name, raw, subject, text string
	}{{
		name: "quoted-printable part without Content-Type",
		raw: "From: a@example.org\r\nSubject: qp\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=x\r\n\r\n" +
			"--x\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\nCaf=C3=A9 na=C3=AFve\r\n--x--\r\n",
		subject: "qp", text: "Café naïve",
	}, {
		name: "multipart whose boundary never occurs",
		raw: "From: a@example.org\r\nSubject: lost\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=zz\r\n\r\n" +
			"The body the sender's broken client wrote without any part.\r\n",
		subject: "lost", text: "The body the sender's broken client wrote without any part.",
	}, {
		name:    "terminal escape sequence in the subject",
		raw:     "From: a@example.org\r\nSubject: =?utf-8?Q?Hi=1B]0;pwned=07_there?=\r\n\r\nbody\r\n",
		subject: "Hi ]0;pwned there", text: "body",
	}} {
		in, err := Message([]byte(tc.raw), Options{})
		if err != nil {
			t.Errorf("%s: Message = %v", tc.name, err)
			continue
		}
		if in.Subject != tc.subject || !strings.Contains(in.Text, tc.text) {
			t.Errorf("%s: Message() = subject %q, text %q; want %q and text containing %q", tc.name, in.Subject, in.Text, tc.subject, tc.text)
		}
	}
}

// TestRequestsAboutAutoRepliesStayHuman: people write to the desk about
// their out-of-office and about bounced mail; those requests must open
// tickets, while what mail systems send keeps being recognised.
func TestRequestsAboutAutoRepliesStayHuman(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		subject string
		want    string
	}{
		{"Auto-reply not working in Outlook", "human"},
		{"Autoreply rule keeps firing", "human"},
		{"Out of office next week - please set up mail forwarding", "human"},
		{"Out of the office Monday, need VPN access", "human"},
		{"I am out of the office tomorrow, printer still broken", "human"},
		{"On vacation next week, need laptop before", "human"},
		{"Frånvarande imorgon - behöver hjälp med Teams", "human"},
		{"Ferieplan 2027 mangler i kalenderen", "human"},
		{"Abwesenheitsassistent funktioniert nicht", "human"},
		{"Problem with my automatic reply", "human"},
		{"Automatic reply: Printer jams", "auto_reply"},
		{"Out of Office: Printer jams", "auto_reply"},
		{"Autosvar: Skrivaren fungerar inte", "auto_reply"},
		{"Automatiskt svar: Skrivaren fungerar inte", "auto_reply"},
		{"Automatische Antwort: Drucker defekt", "auto_reply"},
		{"自动回复: 打印机坏了", "auto_reply"},
		{"Mail delivery failed to our biggest customer", "human"},
		{"Undelivered mail to the auditors since Monday", "human"},
		{"Returned mail from the bank - please check", "human"},
		{"RE: Weekly report : non remis (delivery failed)", "bounce"},
	} {
		raw := "From: someone@example.org\r\nTo: help@desk.example\r\nSubject: " + mimeQ(tc.subject) + "\r\n\r\nHello\r\n"
		in, err := Message([]byte(raw), Options{})
		if err != nil {
			t.Fatal(err)
		}
		if string(in.Class) != tc.want {
			t.Errorf("Subject %q: class %s (%s), want %s", tc.subject, in.Class, in.ClassReason, tc.want)
		}
	}
}

func mimeQ(s string) string { return mime.QEncoding.Encode("utf-8", s) }

// TestDocsListEverySignal keeps the classification section of
// docs/mail-processing.md identical to the signals the code checks.
func TestDocsListEverySignal(t *testing.T) {
	t.Parallel()
	readme, err := os.ReadFile(filepath.Join("..", "..", "docs", "mail-processing.md"))
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range Signals() {
		if !strings.Contains(string(readme), "- "+s.Description+"\n") {
			t.Errorf("docs/mail-processing.md does not list the %s signal %q", s.Class, s.Description)
		}
	}
}

func TestBounceSubjectFromMailSystem(t *testing.T) {
	t.Parallel()
	raw := "From: Mail Delivery System <noreply@mx.example.org>\r\nTo: help@desk.example\r\nSubject: Mail delivery failed: returning message to sender\r\n\r\nHello\r\n"
	in, err := Message([]byte(raw), Options{})
	if err != nil || in.Class != "bounce" {
		t.Fatalf("Message(bounce subject from a mail system) = %s (%s), %v; want bounce", in.Class, in.ClassReason, err)
	}
}

func TestThreadRoot(t *testing.T) {
	t.Parallel()
	root := "AdtdFxk3Qv2m0pIYTT6sVb6GzQ8Aaw==" // 22 bytes: a new conversation
	b, _ := base64.StdEncoding.DecodeString(root)
	reply := base64.StdEncoding.EncodeToString(append(b, 0, 0, 0x69, 0x36, 0xc0)) // plus one 5-byte reply block
	for header, want := range map[string]string{
		root:              root,
		"  " + root + " ": root,
		"not base64!":     "",
		"AAAA":            "",
	} {
		if got := threadRoot(header); got != want {
			t.Errorf("threadRoot(%q) = %q, want %q", header, got, want)
		}
	}
	if got := threadRoot(reply); got != root {
		t.Errorf("threadRoot(reply) = %q, want the root of %q", got, root)
	}
}

// TestHeaderBytesNeverUTF16: raw header bytes are Latin-1 or UTF-8, never
// UTF-16 because of a byte-order mark or a body part's charset.
func TestHeaderBytesNeverUTF16(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ name, from, ctype string }{
		{"FF FE before the name", "\xff\xfeJos\xe9 Garc\xeda <jose@example.es>", "text/plain"},
		{"FE FF before the name", "\xfe\xffJos\xe9 Garc\xeda <jose@example.es>", "text/plain"},
		{"UTF-8 mark before the name", "\xef\xbb\xbfJos\xc3\xa9 Garc\xc3\xada <jose@example.es>", "text/plain"},
		{"body declared UTF-16", "Jos\xe9 Garc\xeda <jose@example.es>", "text/plain; charset=utf-16le"},
		{"mark and body declared UTF-16", "\xff\xfeJos\xe9 Garc\xeda <jose@example.es>", "text/plain; charset=UTF-16"},
	} {
		raw := "From: " + tc.from + "\r\nTo: help@desk.example\r\nSubject: Hola\r\nContent-Type: " + tc.ctype + "\r\n\r\nH\x00i\x00\r\n"
		in, err := Message([]byte(raw), Options{})
		if err != nil {
			t.Errorf("%s: Message = %v", tc.name, err)
			continue
		}
		if in.From.Address != "jose@example.es" || in.From.Name != "José García" {
			t.Errorf("%s: From = %+v, want José García <jose@example.es>", tc.name, in.From)
		}
	}
}
