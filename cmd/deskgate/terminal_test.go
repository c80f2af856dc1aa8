package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"

	"github.com/deskgate/deskgate/mailin"
	"github.com/deskgate/deskgate/ticketing"
)

// hostileMail's body drives a terminal: it sets the window title, clears
// the screen, and reverses text with a bidi override, as do its subject
// and sender's name.
const hostileMail = "From: =?utf-8?Q?Mallory_=E2=80=AEroF?= <mallory@example.org>\r\nTo: help@desk.example\r\n" +
	"Subject: =?utf-8?Q?Invoice_=E2=80=AEfdp.exe?=\r\nMessage-ID: <esc-1@example.org>\r\n" +
	"Content-Type: text/plain; charset=utf-8\r\n\r\n" +
	"Hello\x1b]0;pwned\x07 there\x1b[2J\r\nReversed: \u202eabc\u202c and \u2067isolated\u2069\r\n"

// TestTerminalOutputIsEscaped stores a real message carrying terminal
// escapes, and one that is quarantined with them, and reads them back
// through every command that shows mail: nothing reaches the terminal that
// could drive it, JSON still decodes to the text as it came, and
// quarantine show -raw still gives the bytes exactly.
func TestTerminalOutputIsEscaped(t *testing.T) {
	pool := useDatabase(t)
	ctx := context.Background()
	notEmail := "\x1b[2J\x1b]0;owned\x07 not an email at all\r\n"
	if _, err := pool.Exec(ctx, `INSERT INTO mailboxes (name) VALUES ('desk')`); err != nil {
		t.Fatal(err)
	}
	for i, raw := range []string{hostileMail, notEmail} {
		sum := sha256.Sum256([]byte(raw))
		if _, err := pool.Exec(ctx, `INSERT INTO inbound (mailbox, uidvalidity, uid, sha256, size, raw) VALUES ('desk', 1, $1, $2, $3, $4)`,
			i+1, sum[:], len(raw), []byte(raw)); err != nil {
			t.Fatal(err)
		}
	}
	log := slog.New(slog.DiscardHandler)
	proc := mailin.NewProcessor(pool, ticketing.NewDesk(log, ticketing.Config{}), mailin.ProcessorConfig{}, log)
	if n, err := proc.Drain(ctx); err != nil || n != 2 {
		t.Fatalf("Drain = %d, %v; want 2, nil", n, err)
	}

	for _, args := range [][]string{
		{"ticket", "show", "1"}, {"ticket", "show", "1", "-json"}, {"ticket", "list"}, {"ticket", "list", "-json"},
		{"inbound", "list"}, {"inbound", "list", "-json"}, {"quarantine", "list"}, {"quarantine", "show", "2"},
	} {
		var out bytes.Buffer
		if err := run(ctx, args, &out, io.Discard); err != nil {
			t.Fatalf("deskgate %s = %v", strings.Join(args, " "), err)
		}
		if bad := terminalControl(out.String()); bad != "" {
			t.Errorf("deskgate %s printed %s:\n%s", strings.Join(args, " "), bad, out.String())
		}
		switch strings.Join(args, " ") {
		case "ticket show 1":
			for _, want := range []string{`Hello\x1b]0;pwned\x07 there\x1b[2J`, `Reversed: \u202eabc\u202c`, `Invoice \u202efdp.exe`} {
				if !strings.Contains(out.String(), want) {
					t.Errorf("ticket show lacks %s:\n%s", want, out.String())
				}
			}
		case "ticket show 1 -json":
			var tk struct {
				Subject string `json:"subject"`
				Thread  []struct {
					Text string `json:"text"`
				} `json:"thread"`
			}
			if err := json.Unmarshal(out.Bytes(), &tk); err != nil || len(tk.Thread) != 1 {
				t.Fatalf("ticket show -json = %v, %d messages; want valid JSON with one message:\n%s", err, len(tk.Thread), out.String())
			}
			if !strings.Contains(tk.Thread[0].Text, "Hello\x1b]0;pwned\x07 there") || tk.Subject != "Invoice \u202efdp.exe" {
				t.Errorf("ticket show -json decodes to subject %q, text %q; want them as they came", tk.Subject, tk.Thread[0].Text)
			}
		case "quarantine show 2":
			if !strings.Contains(out.String(), `\x1b[2J\x1b]0;owned\x07 not an email`) {
				t.Errorf("quarantine show lacks the escaped message:\n%s", out.String())
			}
		}
	}
	var raw bytes.Buffer
	if err := run(ctx, []string{"quarantine", "show", "2", "-raw"}, &raw, io.Discard); err != nil || raw.String() != notEmail {
		t.Errorf("quarantine show -raw = %q, %v; want the bytes as captured", raw.String(), err)
	}
}

// terminalControl describes the first character of s that could drive a
// terminal (C0 controls but tab and line feed, DEL, C1 controls, bidi
// controls, bytes that are not UTF-8), or returns "".
func terminalControl(s string) string {
	for i, r := range s {
		switch {
		case r == '\t' || r == '\n':
		case r == utf8.RuneError, r < 0x20, r >= 0x7f && r <= 0x9f, unicode.Is(unicode.Bidi_Control, r):
			return fmt.Sprintf("%U at byte %d", r, i)
		}
	}
	return ""
}

func TestTerminalEscapes(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"tab\tand newline\n", "tab\tand newline\n"},
		{"Subject: \x1b]0;pwned\x07\r\n", `Subject: \x1b]0;pwned\x07` + "\n"},
		{"lone\rcarriage return, DEL\x7f", `lone\x0dcarriage return, DEL\x7f`},
		{"C1 \u009b31m, bidi \u202eabc\u202c \u2066x\u2069 \u200f", `C1 \u009b31m, bidi \u202eabc\u202c \u2066x\u2069 \u200f`},
		{"Latin-1 byte \xe9 and CSI byte \x9b", `Latin-1 byte \xe9 and CSI byte \x9b`},
		{"Åsa Öberg 注文 ✓", "Åsa Öberg 注文 ✓"},
	} {
		var out bytes.Buffer
		n, err := newTerminal(&out).Write([]byte(tc.in))
		if err != nil || n != len(tc.in) || out.String() != tc.want {
			t.Errorf("Write(%q) = %d, %v, wrote %q; want %d, nil, %q", tc.in, n, err, out.String(), len(tc.in), tc.want)
		}
	}
}
