package mailout

import (
	"bytes"
	"context"
	"io"
	"net/textproto"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/jhillyerd/enmime/v2"

	"github.com/deskgate/deskgate/internal/smtpmem"
	"github.com/deskgate/deskgate/ticketing"
)

// bigRow is a new-ticket mail to agents as a hostile requester makes it: a
// megabyte of quotes, and the HTML that escaping them multiplies.
func bigRow() row {
	quotes := strings.Repeat(`"`, 1<<20)
	return row{automatic: true, to: []ticketing.Address{{Address: "agents@example.com"}},
		text: "New ticket from someone:\n\n" + quotes + "\n", html: "<p>" + strings.Repeat("&#34;", 1<<20) + "</p>"}
}

// readSmaller reads a received smaller version back as a mail client does.
func readSmaller(t *testing.T, m smtpmem.Message, wantID string) *enmime.Envelope {
	t.Helper()
	env, err := enmime.ReadEnvelope(bytes.NewReader(m.Data))
	if err != nil {
		t.Fatal(err)
	}
	if got := messageID(m.Data); got != wantID {
		t.Errorf("Message-ID = %q, want %q (the same email)", got, wantID)
	}
	if env.HTML != "" || !strings.HasPrefix(env.Text, "New ticket from someone:") || !strings.Contains(env.Text, " KB more in the ticket]") {
		t.Errorf("smaller version: HTML %d bytes, text %.60q…%q; want no HTML, the text cut with \"[… N KB more in the ticket]\"",
			len(env.HTML), env.Text, env.Text[max(0, len(env.Text)-60):])
	}
	return env
}

// TestSizeRefusalSendsSmaller: an email larger than the server's SIZE is not
// offered as it is, and one the server refuses for size (552 5.3.4) is not
// failed: the smaller version goes out at once, under the same Message-ID.
// Before, the 552 failed it for good and the agents never heard of the ticket.
func TestSizeRefusalSendsSmaller(t *testing.T) {
	t.Parallel()
	t.Run("announced SIZE", func(t *testing.T) {
		t.Parallel()
		e := newEnv(t, smtpmem.Options{MaxMessageBytes: 200 << 10})
		id := e.insert(bigRow())[0]
		e.start(e.config())
		r := e.waitStatus(id, ticketing.OutboxSent, 10*time.Second)
		msgs := e.wait(1, time.Second)
		readSmaller(t, msgs[0], r.MessageID)
		if n := len(msgs[0].Data); n > 200<<10 {
			t.Errorf("smaller version = %d bytes, want at most the server's 200 KB", n)
		}
		if r.Attempts != 1 || e.compact(id) != 50<<10 {
			t.Errorf("attempts %d, compact %d; want 1, a text budget of a quarter of SIZE (50 KB)", r.Attempts, e.compact(id))
		}
	})
	t.Run("too big even smaller", func(t *testing.T) {
		t.Parallel()
		e := newEnv(t, smtpmem.Options{MaxMessageBytes: 1 << 10})
		id := e.insert(bigRow())[0]
		e.start(e.config())
		r := e.waitStatus(id, ticketing.OutboxFailed, 10*time.Second)
		if r.Attempts != 1 || !strings.Contains(r.Reply, "exceeds the server's SIZE limit of 1024 bytes") || e.compact(id) != minSmallerText {
			t.Errorf("outbox row = %+v, compact %d; want failed on attempt 1 for SIZE, the smaller version tried", r, e.compact(id))
		}
	})
	t.Run("552 at DATA, then a retry", func(t *testing.T) {
		t.Parallel()
		e := newEnv(t, smtpmem.Options{})
		e.srv.AddFault(smtpmem.Fault{Stage: smtpmem.StageData, Code: 552, Enhanced: "5.3.4", Message: "message too big", Times: 1})
		e.srv.AddFault(smtpmem.Fault{Stage: smtpmem.StageData, Code: 451, Enhanced: "4.3.0", Message: "try later", Times: 1})
		id := e.insert(bigRow())[0]
		e.start(e.config())
		// The smaller version, refused for now, is what the next attempt
		// sends: the choice is stored with the row. (A deadline, not a
		// speed check: composing 6.5 MB under -race on a loaded machine
		// took 13 s before the first attempt.)
		r := e.waitStatus(id, ticketing.OutboxSent, time.Minute)
		msgs := e.wait(1, time.Second)
		readSmaller(t, msgs[0], r.MessageID)
		if r.Attempts != 2 || e.compact(id) != DefaultSmallerText || len(msgs) != 1 {
			t.Errorf("attempts %d, compact %d, messages %d; want 2, %d, 1", r.Attempts, e.compact(id), len(msgs), DefaultSmallerText)
		}
	})
}

// compact returns outbox.compact of row id.
func (e *env) compact(id int64) int {
	e.t.Helper()
	var n int
	if err := e.pool.QueryRow(context.Background(), `SELECT compact FROM outbox WHERE id = $1`, id).Scan(&n); err != nil {
		e.t.Fatal(err)
	}
	return n
}

// TestSmallerVersion: the smaller version keeps the headers, cuts the text
// between characters, lists the attachments instead of carrying them, and
// is the same bytes on every attempt.
func TestSmallerVersion(t *testing.T) {
	t.Parallel()
	n := sample()
	n.Text = strings.Repeat("Grüße ", 2000) // 16,000 bytes; ü and ß take two
	n.Attachments = []ticketing.Attachment{{Filename: "scan.pdf", ContentType: "application/pdf", Data: bytes.Repeat([]byte{1}, 3<<20)}}
	n.Compact = 1003 // in the middle of the ü of the 126th Grüße
	a, err := Compose(n, ComposeOptions{})
	if err != nil {
		t.Fatal(err)
	}
	n.Attempts++
	b, err := Compose(n, ComposeOptions{})
	if err != nil || !bytes.Equal(a, b) {
		t.Fatalf("Compose of the smaller version twice: equal %v, %v; want the same bytes", bytes.Equal(a, b), err)
	}
	env, err := enmime.ReadEnvelope(bytes.NewReader(a))
	if err != nil {
		t.Fatal(err)
	}
	if len(env.Attachments) != 0 || env.HTML != "" || env.GetHeader("Subject") != n.Subject || messageID(a) != n.MessageID {
		t.Errorf("smaller version: %d attachments, HTML %d bytes, Subject %q, Message-ID %q; want none, none, the same headers",
			len(env.Attachments), len(env.HTML), env.GetHeader("Subject"), messageID(a))
	}
	want := strings.Repeat("Grüße ", 125) + "Gr\n[… 15 KB more in the ticket]\n\n[Attachments, in the ticket:]\n- scan.pdf (3.0 MB)\n"
	if got := strings.ReplaceAll(env.Text, "\r\n", "\n"); got != want {
		t.Errorf("smaller text = %q, want %q", got, want)
	}
}

func TestIsSizeRefusal(t *testing.T) {
	t.Parallel()
	reply := func(code int, msg string) error { return &textproto.Error{Code: code, Msg: msg} }
	for _, tc := range []struct {
		err  error
		want bool
	}{
		{&sizeError{size: 10, limit: 5}, true},
		{reply(552, "5.3.4 Message size exceeds fixed limit"), true},
		{reply(554, "5.3.4 message too big for system"), true},
		{reply(550, "5.2.3 message length exceeds administrative limit"), true},
		{reply(552, "Requested mail action aborted: exceeded storage allocation"), true},
		{reply(552, "5.2.2 mailbox full"), false},
		{reply(554, "5.7.1 spam"), false},
		{reply(451, "4.3.0 try later"), false},
		{io.EOF, false},
	} {
		if got := isSizeRefusal(tc.err); got != tc.want {
			t.Errorf("isSizeRefusal(%v) = %v, want %v", tc.err, got, tc.want)
		}
	}
}

func FuzzCutText(f *testing.F) {
	f.Add("Grüße\nzwei\n", 3)
	f.Add(strings.Repeat("x", 100), 10)
	f.Fuzz(func(t *testing.T, s string, budget int) {
		budget = max(0, budget%(2*len(s)+1))
		got := cutText(s, budget)
		if len(s) <= budget {
			if got != s {
				t.Fatalf("cutText(%q, %d) = %q, want it whole", s, budget, got)
			}
			return
		}
		head, tail, ok := strings.Cut(got, "[… ")
		if !ok || !strings.HasSuffix(tail, " more in the ticket]\n") || len(head) > budget+1 || !strings.HasPrefix(s, strings.TrimSuffix(head, "\n")) {
			t.Fatalf("cutText(%q, %d) = %q, want a prefix of at most %d bytes and the note", s, budget, got, budget)
		}
		if utf8.ValidString(s) && !utf8.ValidString(got) {
			t.Fatalf("cutText(%q, %d) = %q, cut inside a character", s, budget, got)
		}
	})
}
