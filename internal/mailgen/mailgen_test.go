package mailgen

import (
	"bytes"
	"net/mail"
	"testing"
)

// TestReplyJoinsItsParent checks what threading relies on: a reply comes
// from its parent's sender and names the parent's Message-ID.
func TestReplyJoinsItsParent(t *testing.T) {
	g := New(Options{Seed: 7})
	parse := func(raw []byte) *mail.Message {
		t.Helper()
		m, err := mail.ReadMessage(bytes.NewReader(raw))
		if err != nil {
			t.Fatal(err)
		}
		return m
	}
	for _, c := range []struct{ i, parent int }{{10, 3}, {500, 4}, {1001, 999}} {
		parent, reply := parse(g.Message(c.parent)), parse(g.Reply(c.i, c.parent))
		if got, want := reply.Header.Get("In-Reply-To"), parent.Header.Get("Message-Id"); got != want || got != g.MessageID(c.parent) {
			t.Errorf("Reply(%d, %d) In-Reply-To = %q, want %q", c.i, c.parent, got, want)
		}
		if got, want := reply.Header.Get("From"), parent.Header.Get("From"); got != want {
			t.Errorf("Reply(%d, %d) From = %q, want %q", c.i, c.parent, got, want)
		}
		if got := reply.Header.Get("Message-Id"); got != g.MessageID(c.i) || got == parent.Header.Get("Message-Id") {
			t.Errorf("Reply(%d, %d) Message-ID = %q, want %q", c.i, c.parent, got, g.MessageID(c.i))
		}
	}
}
