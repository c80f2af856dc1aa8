package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/mail"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/deskgate/deskgate/internal/dbtest"
	"github.com/deskgate/deskgate/internal/demo"
	"github.com/deskgate/deskgate/internal/imapmem"
	"github.com/deskgate/deskgate/internal/mailgen"
	"github.com/deskgate/deskgate/internal/smtpmem"
)

// TestServeEndToEnd delivers the demo mail to a real IMAP server, runs
// serve against a real database, and checks the CLI's JSON contract.
func TestServeEndToEnd(t *testing.T) {
	pool := useDatabase(t)
	ctx := context.Background()

	srv, err := imapmem.Start(imapmem.Options{Username: "help@desk.example", Password: "pw"})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	want := 0
	for _, m := range demo.Messages() {
		if _, err := srv.Append("INBOX", m.Raw); err != nil {
			t.Fatal(err)
		}
		want++
		if m.Name == "02-apple-sv.eml" {
			if _, err := srv.Append("IT", append([]byte("Delivered-To: it@desk.example\r\n"), m.Raw...)); err != nil {
				t.Fatal(err)
			}
			want++
		}
	}
	runCtx, cancel := context.WithCancel(ctx)
	served := make(chan error, 1)
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	go func() {
		served <- serve(runCtx, demoConfig(srv.Addr(), testSMTP(t), "help@desk.example", "pw"), pool, log)
	}()
	if err := waitProcessed(ctx, pool, want, served); err != nil {
		t.Fatal(err)
	}
	cancel()
	if err := <-served; err != nil {
		t.Fatalf("serve returned %v, want nil after cancel", err)
	}

	var records []struct {
		ID        int64  `json:"id"`
		Mailbox   string `json:"mailbox"`
		UID       int64  `json:"uid"`
		MessageID string `json:"message_id"`
		Subject   string `json:"subject"`
		From      struct {
			Address string `json:"address"`
		} `json:"from"`
		Class          string `json:"class"`
		Status         string `json:"status"`
		Reason         string `json:"reason"`
		Ticket         *int64 `json:"ticket"`
		Text           string `json:"text"`
		ThreadEvidence *struct {
			Kind  string `json:"kind"`
			Value string `json:"value"`
		} `json:"thread_evidence"`
	}
	cli(t, &records, "inbound", "list", "-json")
	if len(records) != want {
		t.Fatalf("inbound list: %d records, want %d", len(records), want)
	}
	bySubject := map[string][]int{}
	for i, r := range records {
		bySubject[r.Subject] = append(bySubject[r.Subject], i)
	}
	expect := []struct {
		subject, class, status, text string
	}{
		{"Printer on 3rd floor jams on every job", "human", "ticketed", "jams on every print job"},
		{"Min computer starter ikke efter opdatering", "human", "ticketed", "Min bærbare computer"},
		{"无法访问共享文件夹", "human", "ticketed", "我无法访问财务部的共享文件夹"},
		{"Fehlermeldung beim Öffnen von SAP", "human", "ticketed", "keine Aufträge mehr"},
		{"Automatic reply: Printer on 3rd floor jams on every job", "auto_reply", "attached", "out of the office"},
		{"Undelivered Mail Returned to Sender", "bounce", "ignored", ""},
		{"Re: Kan inte logga in på VPN från hemmet", "human", "attached", "engångskoden"},
	}
	for _, e := range expect {
		idx := bySubject[e.subject]
		if len(idx) == 0 {
			t.Errorf("no inbound record with subject %q", e.subject)
			continue
		}
		r := records[idx[len(idx)-1]] // the oldest copy (list is newest first)
		if r.Class != e.class || r.Status != e.status || !strings.Contains(r.Text, e.text) {
			t.Errorf("inbound %q = class %s, status %s, text %q; want %s, %s, containing %q",
				e.subject, r.Class, r.Status, r.Text, e.class, e.status, e.text)
		}
		if e.status == "ignored" && (r.Ticket != nil || r.Reason == "") {
			t.Errorf("ignored inbound %q: ticket %v, reason %q; want no ticket and a reason", e.subject, r.Ticket, r.Reason)
		}
	}
	// The Swedish message reached two mailboxes, synced concurrently:
	// whichever copy came first opened the ticket, the other joined it.
	sv := bySubject["Kan inte logga in på VPN från hemmet"]
	if len(sv) != 2 {
		t.Fatalf("double delivery: %d records, want 2", len(sv))
	}
	a, b := records[sv[0]], records[sv[1]]
	statuses := map[string]bool{a.Status: true, b.Status: true}
	if !statuses["ticketed"] || !statuses["attached"] || a.Ticket == nil || b.Ticket == nil || *a.Ticket != *b.Ticket ||
		!strings.Contains(a.Text, "autentisering misslyckades") || a.Mailbox == b.Mailbox {
		t.Errorf("double delivery = %+v and %+v, want one ticketed and one attached to the same ticket, from both mailboxes", a, b)
	}
	// Åsa's reply joined her ticket by In-Reply-To.
	reply := records[bySubject["Re: Kan inte logga in på VPN från hemmet"][0]]
	if reply.Ticket == nil || *reply.Ticket != *a.Ticket || reply.ThreadEvidence == nil ||
		reply.ThreadEvidence.Kind != "in-reply-to" || reply.ThreadEvidence.Value != "8F1C2A34-5B6D-4E7F-9A0B-1C2D3E4F5A6B@exempel.example" {
		t.Errorf("reply = ticket %v, evidence %+v; want ticket %d by in-reply-to", reply.Ticket, reply.ThreadEvidence, *a.Ticket)
	}
	var svTicket struct {
		Thread []struct {
			Text    string `json:"text"`
			NewText string `json:"new_text"`
		} `json:"thread"`
	}
	cli(t, &svTicket, "ticket", "show", itoa(*a.Ticket), "-json")
	if n := len(svTicket.Thread); n != 2 || !strings.Contains(svTicket.Thread[1].Text, "> Hej!") ||
		strings.Contains(svTicket.Thread[1].NewText, "Hej!") || !strings.Contains(svTicket.Thread[1].NewText, "engångskoden") {
		t.Errorf("Åsa's reply: %d messages, new_text %q; want her new lines without the quoted message", n, svTicket.Thread[len(svTicket.Thread)-1].NewText)
	}
	// The out-of-office joined the printer ticket.
	ooo, printer := records[bySubject["Automatic reply: Printer on 3rd floor jams on every job"][0]], records[bySubject["Printer on 3rd floor jams on every job"][0]]
	if ooo.Ticket == nil || printer.Ticket == nil || *ooo.Ticket != *printer.Ticket {
		t.Errorf("out-of-office ticket %v, printer ticket %v; want the same", ooo.Ticket, printer.Ticket)
	}

	var quarantined []struct {
		ID     int64  `json:"id"`
		Status string `json:"status"`
		Reason string `json:"reason"`
	}
	cli(t, &quarantined, "quarantine", "list", "-json")
	if len(quarantined) != 1 || quarantined[0].Reason == "" {
		t.Fatalf("quarantine list = %+v, want the broken message with a reason", quarantined)
	}

	var ticket struct {
		Number    int64  `json:"number"`
		Subject   string `json:"subject"`
		Status    string `json:"status"`
		Requester struct {
			Name    string `json:"name"`
			Address string `json:"address"`
		} `json:"requester"`
		Thread []struct {
			Class       string            `json:"class"`
			Attachments []json.RawMessage `json:"attachments"`
		} `json:"thread"`
		Events []struct {
			Kind string `json:"kind"`
		} `json:"events"`
	}
	cli(t, &ticket, "ticket", "show", itoa(*printer.Ticket), "-json")
	if ticket.Subject != "Printer on 3rd floor jams on every job" || ticket.Status != "new" ||
		ticket.Requester.Address != "alice.johnson@northwind.example" || len(ticket.Thread) != 2 || ticket.Thread[1].Class != "auto_reply" {
		t.Errorf("ticket show = %+v, want the printer ticket from Alice with her message and the out-of-office", ticket)
	}

	// Retry: a message that an earlier failure quarantined is processed
	// again; the broken one stays quarantined.
	var repaired int64
	if err := pool.QueryRow(ctx, `INSERT INTO inbound (mailbox, uidvalidity, uid, sha256, size, raw, status, reason)
		VALUES ('support', 0, 1, sha256($1), length($1), $1, 'quarantined', 'simulated failure of an earlier version')
		RETURNING id`, demo.Late).Scan(&repaired); err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	if err := run(ctx, []string{"quarantine", "retry", "-all"}, &out, io.Discard); err != nil {
		t.Fatalf("quarantine retry -all: %v", err)
	}
	if !strings.Contains(out.String(), "2 message(s)") {
		t.Errorf("quarantine retry -all said %q, want 2 messages requeued", out.String())
	}
	runCtx, cancel = context.WithCancel(ctx)
	go func() {
		served <- serve(runCtx, demoConfig(srv.Addr(), testSMTP(t), "help@desk.example", "pw"), pool, log)
	}()
	if err := waitProcessed(ctx, pool, want+1, served); err != nil {
		t.Fatal(err)
	}
	cancel()
	<-served
	var after []string
	if err := pool.QueryRow(ctx, `SELECT array_agg(status ORDER BY id = $1) FROM inbound WHERE id IN ($1, $2)`,
		repaired, quarantined[0].ID).Scan(&after); err != nil {
		t.Fatal(err)
	}
	if strings.Join(after, ",") != "quarantined,ticketed" {
		t.Errorf("after retry: statuses %v, want the broken one quarantined again and the repaired one ticketed", statuses)
	}
}

// cli runs a deskgate command and decodes its JSON output into v.
func cli(t *testing.T, v any, args ...string) {
	t.Helper()
	var out, errOut bytes.Buffer
	if err := run(context.Background(), args, &out, &errOut); err != nil {
		t.Fatalf("deskgate %s: %v\n%s", strings.Join(args, " "), err, errOut.String())
	}
	if err := json.Unmarshal(out.Bytes(), v); err != nil {
		t.Fatalf("deskgate %s printed invalid JSON: %v\n%s", strings.Join(args, " "), err, out.String())
	}
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

// TestTwoServersOneMailbox runs two complete deskgate servers against one
// mailbox and one database: every message becomes exactly one ticket.
func TestTwoServersOneMailbox(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	pool := dbtest.Pool(t)
	srv, err := imapmem.Start(imapmem.Options{Username: "help@desk.example", Password: "pw"})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	const n = 300
	gen := mailgen.New(mailgen.Options{Seed: 11, AttachmentEvery: 20, AttachmentSize: 8 << 10})
	for i := range n / 2 {
		if _, err := srv.Append("INBOX", gen.Message(i)); err != nil {
			t.Fatal(err)
		}
	}
	cfg := demoConfig(srv.Addr(), testSMTP(t), "help@desk.example", "pw")
	cfg.Mailboxes = cfg.Mailboxes[:1]
	cfg.Ingest.BatchSize = 25
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	runCtx, cancel := context.WithCancel(ctx)
	served := make(chan error, 2)
	for range 2 {
		go func() { served <- serve(runCtx, cfg, pool, log) }()
	}
	// The rest arrives while both run.
	for i := n / 2; i < n; i++ {
		if _, err := srv.Append("INBOX", gen.Message(i)); err != nil {
			t.Fatal(err)
		}
	}
	err = waitProcessed(ctx, pool, n, served)
	cancel()
	for range 2 {
		if serr := <-served; serr != nil {
			t.Errorf("serve returned %v", serr)
		}
	}
	if err != nil {
		t.Fatal(err)
	}
	var inbound, tickets, distinctUIDs int
	if err := pool.QueryRow(ctx, `SELECT (SELECT count(*) FROM inbound), (SELECT count(*) FROM tickets),
		(SELECT count(DISTINCT uid) FROM inbound)`).Scan(&inbound, &tickets, &distinctUIDs); err != nil {
		t.Fatal(err)
	}
	if inbound != n || tickets != n || distinctUIDs != n {
		t.Fatalf("two servers: %d inbound records (%d distinct UIDs), %d tickets; want %d of each", inbound, distinctUIDs, tickets, n)
	}
}

// TestNotificationsEndToEnd runs serve with a real IMAP and SMTP server: a
// request is acknowledged through SMTP, the requester's auto-reply to the
// acknowledgement gets no answer, and a bounce of the acknowledgement
// marks it bounced and stops automatic mail to that address.
func TestNotificationsEndToEnd(t *testing.T) {
	pool := useDatabase(t)
	ctx := context.Background()
	imap, out, served := startDesk(t, pool)
	deliver := func(raw string) {
		t.Helper()
		if _, err := imap.Append("INBOX", []byte(strings.ReplaceAll(raw, "\n", "\r\n"))); err != nil {
			t.Fatal(err)
		}
	}
	deliver(`From: Karin Ek <karin@kund.example>
To: help@desk.example
Subject: Skrivaren skriver inte ut
Message-ID: <req-1@kund.example>
Content-Language: sv-SE
Content-Type: text/plain; charset=utf-8

Hej, skrivaren på plan 2 skriver inte ut något sedan i morse.
`)
	waitCtx, stop := context.WithTimeout(ctx, 20*time.Second)
	defer stop()
	msgs, err := out.Wait(waitCtx, 2) // the acknowledgement and the team's new-ticket mail
	if err != nil {
		t.Fatalf("waiting for the acknowledgement: %v", err)
	}
	var ack *mail.Message
	for _, m := range msgs {
		msg, err := mail.ReadMessage(bytes.NewReader(m.Data))
		if err != nil {
			t.Fatal(err)
		}
		if to, err := msg.Header.AddressList("To"); err == nil && len(to) == 1 && to[0].Address == "karin@kund.example" && to[0].Name == "Karin Ek" {
			ack = msg
		}
	}
	if ack == nil {
		t.Fatalf("no acknowledgement to Karin among %d messages", len(msgs))
	}
	for h, want := range map[string]string{"In-Reply-To": "<req-1@kund.example>", "Auto-Submitted": "auto-replied",
		"X-Auto-Response-Suppress": "All", "Content-Language": "sv", "X-Deskgate-Loop": "desk.example"} {
		if got := ack.Header.Get(h); got != want {
			t.Errorf("acknowledgement %s = %q, want %q", h, got, want)
		}
	}
	ackID := strings.Trim(ack.Header.Get("Message-ID"), "<>")
	replyTo := strings.Trim(ack.Header.Get("Reply-To"), "<>")
	if !strings.HasPrefix(ackID, "dg.") || !strings.HasPrefix(replyTo, "help+") {
		t.Fatalf("acknowledgement Message-ID %q, Reply-To %q: want signed tokens", ackID, replyTo)
	}

	// As in life, her server's answers come after deskgate recorded that
	// the acknowledgement was handed over (a bounce of mail not yet
	// recorded as sent is not trusted).
	if err := waitSent(ctx, pool, served); err != nil {
		t.Fatal(err)
	}
	// Her out-of-office answers the acknowledgement; then her server
	// bounces it after all.
	deliver(`From: Karin Ek <karin@kund.example>
To: ` + replyTo + `
Subject: Frånvaro: Re: Skrivaren skriver inte ut
Message-ID: <ooo-1@kund.example>
In-Reply-To: <` + ackID + `>
Auto-Submitted: auto-replied
Content-Type: text/plain; charset=utf-8

Jag är på semester till måndag.
`)
	deliver(`From: MAILER-DAEMON@mx.kund.example
To: help@desk.example
Subject: Undelivered Mail Returned to Sender
Message-ID: <dsn-1@mx.kund.example>
MIME-Version: 1.0
Content-Type: multipart/report; report-type=delivery-status; boundary="b"

--b
Content-Type: text/plain

Your message could not be delivered.
--b
Content-Type: message/delivery-status

Reporting-MTA: dns; mx.kund.example

Final-Recipient: rfc822; karin@kund.example
Action: failed
Status: 5.1.1
Diagnostic-Code: smtp; 550 5.1.1 mailbox unavailable
--b
Content-Type: text/rfc822-headers

From: Demo IT Service Desk <help@desk.example>
To: karin@kund.example
Message-ID: <` + ackID + `>
Subject: Re: Skrivaren skriver inte ut [#1]
--b--
`)
	if err := waitProcessed(ctx, pool, 3, served); err != nil {
		t.Fatal(err)
	}
	if err := waitSent(ctx, pool, served); err != nil {
		t.Fatal(err)
	}
	time.Sleep(300 * time.Millisecond)
	if got := len(out.Messages()); got != len(msgs) {
		t.Errorf("%d messages sent after the auto-reply and the bounce, want still %d: automatic mail is never answered", got, len(msgs))
	}
	var status, reason string
	var suppressed bool
	if err := pool.QueryRow(ctx, `SELECT o.status, o.reason, coalesce(c.suppressed_until > now() + interval '29 days', false)
		FROM outbox o JOIN contacts c ON c.address = o.recipient WHERE o.message_id = $1`, ackID).Scan(&status, &reason, &suppressed); err != nil {
		t.Fatal(err)
	}
	if status != "bounced" || !strings.Contains(reason, "5.1.1") || !suppressed {
		t.Errorf("acknowledgement after the bounce: status %q, reason %q, address suppressed %v; want bounced, 5.1.1, true", status, reason, suppressed)
	}
}

// TestAgentRepliesEndToEnd runs an agent's reply by email through IMAP,
// serve and SMTP: commands apply, the text reaches the requester from the
// desk, a reply with a bad command applies nothing and is explained, and a
// forged reply is explained too.
func TestAgentRepliesEndToEnd(t *testing.T) {
	pool := useDatabase(t)
	ctx := context.Background()
	imap, out, served := startDesk(t, pool)
	deliver := deliverer(t, pool, imap, served)
	read := func(m smtpmem.Message) *mail.Message {
		msg, err := mail.ReadMessage(bytes.NewReader(m.Data))
		if err != nil {
			t.Fatal(err)
		}
		return msg
	}
	deliver(`From: Karin Ek <karin@kund.example>
To: help@desk.example
Subject: Printer on floor 2
Message-ID: <req-1@kund.example>
Content-Type: text/plain; charset=utf-8

The printer on floor 2 does not print.
`)
	var msgID, replyTo string
	if err := pool.QueryRow(ctx, `SELECT message_id, reply_to FROM outbox WHERE event = 'new-ticket' AND recipient = 'maja@desk.example'`).Scan(&msgID, &replyTo); err != nil {
		t.Fatalf("the new-ticket mail to Maja: %v", err)
	}
	agentMail := func(id, to, body string) string {
		return "From: Maja Lind <maja@desk.example>\nTo: " + to + "\nSubject: Re: [#1] New ticket\nMessage-ID: <" + id +
			"@desk.example>\nIn-Reply-To: <" + msgID + ">\nContent-Type: text/plain; charset=utf-8\n\n" + body
	}
	before := len(out.Messages())
	deliver(agentMail("bad", replyTo, "#status resolved\n#priority Hgh\n\nDone.\n"))
	if tk, _ := ticketingTicket(ctx, pool, 1); tk != "new" {
		t.Errorf("status after a bad command = %q, want new", tk)
	}
	if got := out.Messages()[before:]; len(got) != 1 || got[0].To[0] != "maja@desk.example" {
		t.Errorf("after a reply with a bad command: %d mails (%v), want one to Maja", len(got), got)
	}
	deliver(agentMail("good", replyTo, "#status resolved\n\nThe toner cartridge was empty; I replaced it.\n\nMaja\n\n> ##- Please type your reply above this line -##\n"))
	if tk, _ := ticketingTicket(ctx, pool, 1); tk != "resolved" {
		t.Errorf("status after #status resolved = %q", tk)
	}
	var relayed *mail.Message
	for _, m := range out.Messages() {
		if m.To[0] == "karin@kund.example" {
			msg := read(m)
			if strings.Contains(msg.Header.Get("From"), "via") {
				relayed = msg
			}
		}
	}
	if relayed == nil {
		t.Fatal("no relayed reply reached Karin")
	}
	from, _ := relayed.Header.AddressList("From")
	body := new(bytes.Buffer)
	body.ReadFrom(relayed.Body)
	if len(from) != 1 || from[0].Name != "Maja Lind via Demo IT Service Desk" || from[0].Address != "help@desk.example" ||
		relayed.Header.Get("In-Reply-To") != "<req-1@kund.example>" || relayed.Header.Get("Auto-Submitted") != "" {
		t.Errorf("relayed reply headers: From %v, In-Reply-To %q, Auto-Submitted %q", from, relayed.Header.Get("In-Reply-To"), relayed.Header.Get("Auto-Submitted"))
	}
	if b := body.String(); !strings.Contains(b, "toner") || strings.Contains(b, "#status") || strings.Contains(b, "maja@") {
		t.Errorf("relayed body lacks the text or shows the command or Maja's address:\n%s", b)
	}
	// A command-only reply and an internal note change the ticket and
	// send the requester nothing.
	before = len(out.Messages())
	deliver(agentMail("cmd", replyTo, "#priority High\n#tag +toner\n"))
	deliver(agentMail("note", replyTo, "#note\nOrdered a spare cartridge for floor 2.\n"))
	for _, m := range out.Messages()[before:] {
		if m.To[0] == "karin@kund.example" {
			t.Errorf("a command-only reply or a note sent Karin a mail")
		}
	}
	var priority string
	var internal int
	if err := pool.QueryRow(ctx, `SELECT t.priority, (SELECT count(*) FROM messages WHERE ticket_id = 1 AND visibility = 'internal')
		FROM tickets t WHERE t.id = 1`).Scan(&priority, &internal); err != nil || priority != "High" || internal != 2 {
		t.Errorf("after #priority High and #note: priority %q, internal messages %d (%v); want High, 2", priority, internal, err)
	}
	// A reply with nothing above the quoted notification relays nothing.
	before = len(out.Messages())
	deliver(agentMail("empty", replyTo, "On Mon, 23 Nov 2026, Demo IT Service Desk wrote:\n> ##- Please type your reply above this line -##\n> A new ticket has arrived.\n"))
	if got := out.Messages()[before:]; len(got) != 0 {
		t.Errorf("a reply with only the quoted notification sent %d mails (first to %v), want none", len(got), got[0].To)
	}
	// A forged reply: Maja's address, no token.
	before = len(out.Messages())
	deliver("From: Maja Lind <maja@desk.example>\nTo: help@desk.example\nSubject: Re: Printer on floor 2\nMessage-ID: <forged@evil.example>\nIn-Reply-To: <req-1@kund.example>\nContent-Type: text/plain\n\n#status closed\n")
	if got := out.Messages()[before:]; len(got) != 1 || got[0].To[0] != "maja@desk.example" {
		t.Errorf("after a forged reply: %d mails, want one explanation to Maja", len(got))
	}
	if tk, _ := ticketingTicket(ctx, pool, 1); tk != "resolved" {
		t.Errorf("status after a forged #status closed = %q, want still resolved", tk)
	}
	// #fwd: Maja brings in mail that went to her directly.
	deliver("From: Maja Lind <maja@desk.example>\nTo: help@desk.example\nSubject: Fwd: Scanner jammed\nMessage-ID: <fwd-1@desk.example>\n" +
		"Content-Type: text/plain; charset=utf-8\n\n#fwd\n\n---------- Forwarded message ---------\nFrom: Olle Berg <olle@kund.example>\n" +
		"Date: Mon, 23 Nov 2026 at 08:00\nSubject: Scanner jammed\nTo: Maja Lind <maja@desk.example>\n\nThe scanner on floor 3 is jammed.\n")
	var requester, subject string
	if err := pool.QueryRow(ctx, `SELECT requester_addr, subject FROM tickets ORDER BY id DESC LIMIT 1`).Scan(&requester, &subject); err != nil ||
		requester != "olle@kund.example" || subject != "Scanner jammed" {
		t.Errorf("ticket from #fwd: requester %q, subject %q (%v); want olle@kund.example, Scanner jammed", requester, subject, err)
	}
}

// deliverer returns a function that puts one mail (LF or CRLF line endings) in the
// desk's INBOX and waits until serve has processed it and sent what it
// caused.
func deliverer(t *testing.T, pool *pgxpool.Pool, imap *imapmem.Server, served <-chan error) func(raw string) {
	ctx := context.Background()
	delivered := 0
	return func(raw string) {
		t.Helper()
		crlf := strings.ReplaceAll(strings.ReplaceAll(raw, "\r\n", "\n"), "\n", "\r\n")
		if _, err := imap.Append("INBOX", []byte(crlf)); err != nil {
			t.Fatal(err)
		}
		delivered++
		if err := waitProcessed(ctx, pool, delivered, served); err != nil {
			t.Fatal(err)
		}
		if err := waitSent(ctx, pool, served); err != nil {
			t.Fatal(err)
		}
	}
}

func ticketingTicket(ctx context.Context, pool interface {
	QueryRow(context.Context, string, ...any) pgx.Row
}, id int64) (string, error) {
	var s string
	err := pool.QueryRow(ctx, `SELECT status FROM tickets WHERE id = $1`, id).Scan(&s)
	return s, err
}

// startDesk runs serve on the demo configuration against fresh in-process
// IMAP and SMTP servers until the test ends, and checks that it stops
// cleanly. served reports serve's early end.
func startDesk(t *testing.T, pool *pgxpool.Pool) (imap *imapmem.Server, out *smtpmem.Server, served <-chan error) {
	t.Helper()
	return startDeskWith(t, pool, "")
}
