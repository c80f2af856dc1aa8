package main

import (
	"bytes"
	"context"
	"io"
	"mime"
	"mime/multipart"
	"net/mail"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/deskgate/deskgate/internal/smtpmem"
	"github.com/deskgate/deskgate/ticketing/token"
)

// TestAgentRightsEndToEnd runs agents' replies through IMAP, serve and
// SMTP: a lead's #priority on a ticket of their team applies, an agent's on
// a ticket of a team not theirs is refused with an explanation in Swedish
// (their configured language), a status change by email fires a
// ticket.updated rule, and a reply token past its command lifetime threads
// the reply onto the ticket but does not command.
func TestAgentRightsEndToEnd(t *testing.T) {
	pool := useDatabase(t)
	ctx := context.Background()
	imap, out, served := startDeskWith(t, pool, func(y string) string {
		y = strings.Replace(y, "  - {name: Tom Berg, addresses: [tom@desk.example], teams: [it]}\n",
			"  - {name: Tom Berg, addresses: [tom@desk.example], teams: [it], language: sv}\n"+
				"  - {name: Lena Ek, addresses: [lena@desk.example], teams: [it, support], role: lead}\n", 1)
		return y + `  - name: Servers
    when: 'subject matches "(?i)server"'
    then: {team: it}
  - name: Waiting
    on: ticket.updated
    when: 'ticket.status == "pending" && previous.status != "pending"'
    then: {add_tags: [waiting]}
`
	})
	deliver := deliverer(t, pool, imap, served)
	// text is a sent mail's subject and plain-text part.
	text := func(m smtpmem.Message) string {
		t.Helper()
		msg, err := mail.ReadMessage(bytes.NewReader(m.Data))
		if err != nil {
			t.Fatal(err)
		}
		subject, _ := new(mime.WordDecoder).DecodeHeader(msg.Header.Get("Subject"))
		_, params, _ := mime.ParseMediaType(msg.Header.Get("Content-Type"))
		parts := multipart.NewReader(msg.Body, params["boundary"])
		for {
			p, err := parts.NextPart() // decodes quoted-printable
			if err != nil {
				t.Fatalf("no text/plain part in the mail to %v: %v", m.To, err)
			}
			if strings.HasPrefix(p.Header.Get("Content-Type"), "text/plain") {
				b, _ := io.ReadAll(p)
				return subject + "\n" + string(b)
			}
		}
	}
	ticket := func() (priority, status string, tags []string) {
		t.Helper()
		if err := pool.QueryRow(ctx, `SELECT priority, status, tags FROM tickets WHERE id = 1`).Scan(&priority, &status, &tags); err != nil {
			t.Fatal(err)
		}
		return priority, status, tags
	}
	deliver("From: Karin Ek <karin@kund.example>\nTo: help@desk.example\nSubject: Server room too warm\nMessage-ID: <req-1@kund.example>\n" +
		"Content-Type: text/plain; charset=utf-8\n\nThe server room is at 35 degrees.\n")
	replyTo := map[string]string{}
	for _, agent := range []string{"tom@desk.example", "lena@desk.example"} {
		var r string
		if err := pool.QueryRow(ctx, `SELECT reply_to FROM outbox WHERE event = 'new-ticket' AND recipient = $1`, agent).Scan(&r); err != nil {
			t.Fatalf("the new-ticket mail to %s: %v", agent, err)
		}
		replyTo[agent] = r
	}
	reply := func(from, to, id, body string) {
		t.Helper()
		deliver("From: " + from + "\nTo: " + to + "\nSubject: Re: [#1] Server room too warm\nMessage-ID: <" + id + "@desk.example>\n" +
			"Content-Type: text/plain; charset=utf-8\n\n" + body)
	}
	// The lead moves the ticket from it to support, where Tom is not.
	reply("Lena Ek <lena@desk.example>", replyTo["lena@desk.example"], "move", "#assign team:support\n")
	before := len(out.Messages())
	reply("Tom Berg <tom@desk.example>", replyTo["tom@desk.example"], "tom-prio", "#priority High\n")
	if p, _, _ := ticket(); p == "High" {
		t.Errorf("Tom's #priority on a ticket of another team applied")
	}
	got := out.Messages()[before:]
	if len(got) != 1 || got[0].To[0] != "tom@desk.example" || !strings.Contains(text(got[0]), "Inte tillåtet: ärendet tillhör teamet ”support”") {
		t.Errorf("after Tom's refused #priority: %d mails, want one to Tom explaining in Swedish", len(got))
		for _, m := range got {
			t.Logf("to %v:\n%s", m.To, text(m))
		}
	}
	reply("Lena Ek <lena@desk.example>", replyTo["lena@desk.example"], "lena-prio", "#priority High\n")
	if p, _, _ := ticket(); p != "High" {
		t.Errorf("priority after the lead's #priority High = %q, want High", p)
	}
	// A status change by email fires the ticket.updated rule.
	reply("Lena Ek <lena@desk.example>", replyTo["lena@desk.example"], "pending", "#status pending\n")
	if _, st, tags := ticket(); st != "pending" || !slices.Contains(tags, "waiting") {
		t.Errorf("after #status pending by email: status %q, tags %v; want pending, tagged waiting by the rule", st, tags)
	}
	// A token past its command lifetime threads but does not command.
	cfg := demoConfig("127.0.0.1:1", "127.0.0.1:1", "u", "p")
	first, secrets, err := deskSecrets(cfg)
	if err != nil {
		t.Fatal(err)
	}
	keys, err := token.NewKeys(first, secrets)
	if err != nil {
		t.Fatal(err)
	}
	var lena int64
	if err := pool.QueryRow(ctx, `SELECT id FROM contacts WHERE address = 'lena@desk.example'`).Scan(&lena); err != nil {
		t.Fatal(err)
	}
	old := keys.ReplyTo(token.Claims{Ticket: 1, Recipient: uint64(lena), Nonce: 1,
		Issued: token.Hours(time.Now().Add(-cfg.Verification.CommandsExpireAfter - 2*time.Hour))}, "help@desk.example")
	before = len(out.Messages())
	reply("Lena Ek <lena@desk.example>", old, "expired", "#status open\n\nBack on it.\n")
	if _, st, _ := ticket(); st != "pending" {
		t.Errorf("status after #status open with an expired token = %q, want pending", st)
	}
	var joined int64
	if err := pool.QueryRow(ctx, `SELECT ticket_id FROM messages WHERE message_id = 'expired@desk.example'`).Scan(&joined); err != nil || joined != 1 {
		t.Errorf("the reply with an expired token joined ticket %d (%v), want 1", joined, err)
	}
	got = out.Messages()[before:]
	if len(got) != 1 || got[0].To[0] != "lena@desk.example" || !strings.Contains(text(got[0]), "too old for commands") {
		t.Errorf("after a reply with an expired token: %d mails, want one to Lena saying the token is too old", len(got))
	}
}
