package main

import (
	"bytes"
	"context"
	"encoding/base64"
	"log/slog"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/jhillyerd/enmime/v2"

	"github.com/deskgate/deskgate/internal/imapmem"
	"github.com/deskgate/deskgate/internal/smtpmem"
)

// startDeskPlus is startDesk on the demo configuration with extra YAML
// appended (top-level keys the demo does not set, or rules: the demo's
// configuration ends in its rules).
func startDeskPlus(t *testing.T, pool *pgxpool.Pool, extra string) (*imapmem.Server, *smtpmem.Server, <-chan error) {
	t.Helper()
	return startDeskWith(t, pool, func(y string) string { return y + extra })
}

// sentTo returns the mails out sent to addr whose Subject contains subject,
// parsed.
func sentTo(t *testing.T, out *smtpmem.Server, addr, subject string) []*enmime.Envelope {
	t.Helper()
	var envs []*enmime.Envelope
	for _, m := range out.Messages() {
		if len(m.To) == 0 || m.To[0] != addr {
			continue
		}
		env, err := enmime.ReadEnvelope(bytes.NewReader(m.Data))
		if err != nil {
			t.Fatal(err)
		}
		if strings.Contains(env.GetHeader("Subject"), subject) {
			envs = append(envs, env)
		}
	}
	return envs
}

// TestAgentsReceiveAttachmentsEndToEnd: a requester's mail with a PDF, an
// inline image and a file over the attachment budget reaches the agent
// with the PDF attached, the image inline (shown by the HTML part) and the
// large file listed with its size; the requester's reply that reopens the
// ticket does the same.
func TestAgentsReceiveAttachmentsEndToEnd(t *testing.T) {
	pool := useDatabase(t)
	imap, out, served := startDeskPlus(t, pool, "notifications:\n  attachment_budget: 50KB\n")
	deliver := deliverer(t, pool, imap, served)
	pdf := "%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
	png := "\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4\x89"
	big := strings.Repeat("log line: the printer spooler restarted\n", 2000) // 80 KB
	b64 := func(s string) string {
		e := base64.StdEncoding.EncodeToString([]byte(s))
		var b strings.Builder
		for len(e) > 76 {
			b.WriteString(e[:76] + "\n")
			e = e[76:]
		}
		return b.String() + e + "\n"
	}
	// withFiles is a mail from Karin as her client writes it: text and HTML
	// with the screenshot inline, the PDF and the log attached.
	withFiles := func(headers, text string) string {
		return "From: Karin Ek <karin@kund.example>\nTo: help@desk.example\n" + headers + `MIME-Version: 1.0
Content-Type: multipart/mixed; boundary="mixed"

--mixed
Content-Type: multipart/related; boundary="rel"

--rel
Content-Type: multipart/alternative; boundary="alt"

--alt
Content-Type: text/plain; charset=utf-8

` + text + ` Every page looks like this.

--alt
Content-Type: text/html; charset=utf-8

<p>` + text + `</p><img src="cid:shot-1@kund.example"><p>Every page looks like this.</p>
--alt--

--rel
Content-Type: image/png; name="screenshot.png"
Content-Disposition: inline; filename="screenshot.png"
Content-ID: <shot-1@kund.example>
Content-Transfer-Encoding: base64

` + b64(png) + `--rel--

--mixed
Content-Type: application/pdf; name="test-page.pdf"
Content-Disposition: attachment; filename="test-page.pdf"
Content-Transfer-Encoding: base64

` + b64(pdf) + `
--mixed
Content-Type: text/plain; name="spooler.log"
Content-Disposition: attachment; filename="spooler.log"
Content-Transfer-Encoding: base64

` + b64(big) + `
--mixed--
`
	}
	deliver(withFiles("Subject: Printer prints garbage\nMessage-ID: <att-1@kund.example>\n", "The printer prints garbage, see the screenshot and the test page."))
	check := func(what string, env *enmime.Envelope) {
		t.Helper()
		var gotPDF, gotPNG bool
		for _, a := range env.Attachments {
			if a.FileName == "test-page.pdf" && string(a.Content) == pdf {
				gotPDF = true
			}
			if a.FileName == "spooler.log" {
				t.Errorf("%s: spooler.log (80 KB) is attached, want it listed: it exceeds the 50 KB budget", what)
			}
		}
		for _, p := range append(env.Inlines, env.OtherParts...) {
			if p.ContentID == "shot-1@kund.example" && string(p.Content) == png {
				gotPNG = true
			}
		}
		if !gotPDF || !gotPNG {
			t.Errorf("%s: PDF attached %v, image inline with its Content-ID %v; want both\nattachments %d, inlines %d, other parts %d",
				what, gotPDF, gotPNG, len(env.Attachments), len(env.Inlines), len(env.OtherParts))
		}
		if !strings.Contains(env.HTML, `src="cid:shot-1@kund.example"`) {
			t.Errorf("%s: the HTML part does not show the inline image:\n%s", what, env.HTML)
		}
		if !strings.Contains(env.Text, "Every page looks like this.") || !strings.Contains(env.Text, "spooler.log (80 KB)") {
			t.Errorf("%s: the text lacks the requester's text or spooler.log listed with its size:\n%s", what, env.Text)
		}
	}
	news := sentTo(t, out, "maja@desk.example", "New ticket")
	if len(news) != 1 {
		t.Fatalf("%d new-ticket mails to Maja, want 1", len(news))
	}
	check("new-ticket", news[0])

	// Resolved, then the requester answers with the same files: the reply
	// reopens the ticket, and the agents get them again.
	if _, err := pool.Exec(context.Background(), `UPDATE tickets SET status = 'resolved', resolved_at = now() WHERE id = 1`); err != nil {
		t.Fatal(err)
	}
	var ackID string
	if err := pool.QueryRow(context.Background(), `SELECT message_id FROM outbox WHERE event = 'ticket-received'`).Scan(&ackID); err != nil {
		t.Fatal(err)
	}
	deliver(withFiles("Subject: Re: Printer prints garbage\nMessage-ID: <att-2@kund.example>\nIn-Reply-To: <"+ackID+">\n", "It is back."))
	if s, _ := ticketingTicket(context.Background(), pool, 1); s != "open" {
		t.Fatalf("ticket 1 after the reply: %s, want open (reopened)", s)
	}
	replies := sentTo(t, out, "maja@desk.example", "Reply from")
	if len(replies) != 1 {
		t.Fatalf("%d requester-replied mails to Maja, want 1", len(replies))
	}
	check("requester-replied", replies[0])
}

// TestAssignmentMailEndToEnd: a rule's assignment mails the assignee,
// naming the rule; an agent's #assign mails the new assignee, naming the
// agent, with a reply token that lets the assignee command; #take mails
// nobody.
func TestAssignmentMailEndToEnd(t *testing.T) {
	pool := useDatabase(t)
	ctx := context.Background()
	imap, out, served := startDeskPlus(t, pool, `  - name: Scanners to Tom
    when: 'subject matches "(?i)scanner"'
    then: {assignee: tom@desk.example}
`)
	deliver := deliverer(t, pool, imap, served)
	deliver("From: Olle Berg <olle@kund.example>\nTo: help@desk.example\nSubject: Scanner jammed\nMessage-ID: <scan-1@kund.example>\n" +
		"Content-Type: text/plain; charset=utf-8\n\nThe scanner on floor 3 is jammed.\n")
	byRule := sentTo(t, out, "tom@desk.example", "Assigned")
	if len(byRule) != 1 || !strings.Contains(byRule[0].Text, `rule "Scanners to Tom"`) || !strings.Contains(byRule[0].Text, "[#1]") {
		t.Fatalf("mails to Tom after the rule assigned ticket 1: %d; want one naming the rule", len(byRule))
	}

	deliver("From: Karin Ek <karin@kund.example>\nTo: help@desk.example\nSubject: Printer on floor 2\nMessage-ID: <req-1@kund.example>\n" +
		"Content-Type: text/plain; charset=utf-8\n\nThe printer on floor 2 does not print.\n")
	var msgID, replyTo string
	if err := pool.QueryRow(ctx, `SELECT message_id, reply_to FROM outbox WHERE event = 'new-ticket' AND ticket_id = 2 AND recipient = 'maja@desk.example'`).
		Scan(&msgID, &replyTo); err != nil {
		t.Fatalf("the new-ticket mail to Maja: %v", err)
	}
	// Maja takes it: nobody is told.
	before := len(out.Messages())
	deliver("From: Maja Lind <maja@desk.example>\nTo: " + replyTo + "\nSubject: Re: [#2] New ticket\nMessage-ID: <take@desk.example>\nIn-Reply-To: <" +
		msgID + ">\nContent-Type: text/plain; charset=utf-8\n\n#take\n")
	if got := out.Messages()[before:]; len(got) != 0 {
		t.Errorf("#take sent %d mails (first to %v), want none", len(got), got[0].To)
	}
	// Maja hands it to Tom.
	deliver("From: Maja Lind <maja@desk.example>\nTo: " + replyTo + "\nSubject: Re: [#2] New ticket\nMessage-ID: <assign@desk.example>\nIn-Reply-To: <" +
		msgID + ">\nContent-Type: text/plain; charset=utf-8\n\n#assign tom@desk.example\n")
	byAgent := sentTo(t, out, "tom@desk.example", "[#2]")
	if len(byAgent) != 1 || !strings.Contains(byAgent[0].Text, "Maja Lind") || !strings.Contains(byAgent[0].Text, "Printer on floor 2") {
		t.Fatalf("mails to Tom about ticket 2 after Maja's #assign: %d; want one saying Maja assigned it", len(byAgent))
	}
	var assignee string
	if err := pool.QueryRow(ctx, `SELECT assignee FROM tickets WHERE id = 2`).Scan(&assignee); err != nil || assignee != "tom@desk.example" {
		t.Fatalf("assignee of ticket 2 = %q (%v), want tom@desk.example", assignee, err)
	}
	// Tom answers the assignment mail with a command: his token works.
	deliver("From: Tom Berg <tom@desk.example>\nTo: " + byAgent[0].GetHeader("Reply-To") + "\nSubject: Re: " + byAgent[0].GetHeader("Subject") +
		"\nMessage-ID: <tom-1@desk.example>\nIn-Reply-To: " + byAgent[0].GetHeader("Message-ID") +
		"\nContent-Type: text/plain; charset=utf-8\n\n#priority High\n")
	var priority string
	if err := pool.QueryRow(ctx, `SELECT priority FROM tickets WHERE id = 2`).Scan(&priority); err != nil || priority != "High" {
		t.Errorf("priority of ticket 2 after Tom's #priority High in reply to the assignment mail = %q (%v), want High", priority, err)
	}
}

// TestDemoShowsAgentsMail: `deskgate demo` (make demo) shows an agent
// receiving a requester's file with the new-ticket mail, and an
// assignment mail in full.
func TestDemoShowsAgentsMail(t *testing.T) {
	if testing.Short() {
		t.Skip("starts its own PostgreSQL")
	}
	var out bytes.Buffer
	if err := demoCmd(context.Background(), nil, &out, slog.New(slog.DiscardHandler)); err != nil {
		t.Fatalf("demo: %v\n%s", err, out.String())
	}
	s := out.String()
	for _, want := range []string{
		"] New ticket: Fehlermeldung beim Öffnen von SAP\n" + strings.Repeat(" ", 37) + "Bildschirmfoto SAP Fehler.png, 70 bytes, attached\n",
		"-> To: tom@desk.example",
		"] Assigned to you: Fehlermeldung beim Öffnen von SAP\n",
		"] has been assigned to you by Maja Lind.\n",
	} {
		if !strings.Contains(s, want) {
			t.Errorf("demo output lacks %q:\n%s", want, s)
		}
	}
}
