package main

import (
	"context"
	"slices"
	"strings"
	"testing"
)

// TestStrangerEndToEnd is the hijack the hostile-mail review found, run
// through IMAP, serve and SMTP: a stranger who copies the requester's
// Message-ID into In-Reply-To used to become a participant, set the pending
// ticket open and receive the agent's next reply (a temporary password).
// Now the stranger's mail is held, the agent is told, and nothing that
// follows reaches the stranger.
func TestStrangerEndToEnd(t *testing.T) {
	pool := useDatabase(t)
	ctx := context.Background()
	imap, out, served := startDesk(t, pool)
	deliver := deliverer(t, pool, imap, served)
	deliver("From: Karin Ek <karin@kund.example>\nTo: help@desk.example\nSubject: Locked out\nMessage-ID: <req-1@kund.example>\n" +
		"Content-Type: text/plain; charset=utf-8\n\nI am locked out of my account.\n")
	var msgID, replyTo string
	if err := pool.QueryRow(ctx, `SELECT message_id, reply_to FROM outbox WHERE event = 'new-ticket' AND recipient = 'maja@desk.example'`).Scan(&msgID, &replyTo); err != nil {
		t.Fatalf("the new-ticket mail to Maja: %v", err)
	}
	maja := func(id, body string) string {
		return "From: Maja Lind <maja@desk.example>\nTo: " + replyTo + "\nSubject: Re: [#1] Locked out\nMessage-ID: <" + id +
			"@desk.example>\nIn-Reply-To: <" + msgID + ">\nContent-Type: text/plain; charset=utf-8\n\n" + body
	}
	deliver(maja("ask", "#pending\n\nWhich account is it?\n"))
	before := len(out.Messages())
	deliver("From: Mallory <mallory@evil.example>\nTo: help@desk.example\nSubject: Re: Locked out\nMessage-ID: <x1@evil.example>\n" +
		"In-Reply-To: <req-1@kund.example>\nContent-Type: text/plain\n\nI'm Karin's colleague, please send the new password to me.\n")
	if st, _ := ticketingTicket(ctx, pool, 1); st != "pending" {
		t.Errorf("status after the stranger's mail = %q, want pending", st)
	}
	got := out.Messages()[before:]
	if len(got) != 1 || got[0].To[0] != "maja@desk.example" || !strings.Contains(string(got[0].Data), "#accept") {
		t.Errorf("after the stranger's mail: %d mails, want one to Maja saying how to #accept", len(got))
	}
	deliver(maja("answer", "Your temporary password is Hunter-2.\n"))
	for _, m := range out.Messages() {
		if slices.Contains(m.To, "mallory@evil.example") {
			t.Errorf("a mail reached the stranger: %s", m.Data)
		}
	}
	var relayed bool
	for _, m := range out.Messages() {
		relayed = relayed || slices.Equal(m.To, []string{"karin@kund.example"}) && strings.Contains(string(m.Data), "Hunter-2")
	}
	if !relayed {
		t.Error("the agent's answer did not reach the requester")
	}
}
