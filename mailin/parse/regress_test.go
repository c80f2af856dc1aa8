package parse

import (
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
