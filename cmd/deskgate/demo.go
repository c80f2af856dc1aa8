package main

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"mime"
	"net"
	"net/mail"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/deskgate/deskgate/config"
	"github.com/deskgate/deskgate/internal/demo"
	"github.com/deskgate/deskgate/internal/imapmem"
	"github.com/deskgate/deskgate/internal/pgparams"
	"github.com/deskgate/deskgate/internal/pgtemp"
	"github.com/deskgate/deskgate/internal/smtpmem"
	"github.com/deskgate/deskgate/mailin"
	"github.com/deskgate/deskgate/mailin/parse"
	"github.com/deskgate/deskgate/migrations"
	"github.com/deskgate/deskgate/ticketing"
)

// demoCmd runs the real pipeline end to end on embedded sample mail: a
// throwaway PostgreSQL, an in-process IMAP server with two desk mailboxes,
// an in-process SMTP server, and `serve` itself; it plays a short
// conversation and prints every email received and sent and the tickets.
func demoCmd(ctx context.Context, args []string, stdout io.Writer, log *slog.Logger) error {
	fs := flag.NewFlagSet("demo", flag.ContinueOnError)
	verbose := fs.Bool("v", false, "show deskgate's log while it runs")
	keep := fs.Bool("keep", false, "keep running after the script, for a real mail client")
	if _, err := parseArgs(fs, args, noNumber); err != nil {
		return err
	}
	if !*verbose {
		log = slog.New(slog.DiscardHandler)
	}
	say := func(format string, a ...any) { fmt.Fprintf(stdout, format+"\n", a...) }

	say("== Starting a throwaway PostgreSQL from the local binaries")
	cluster, err := pgtemp.Start(ctx, pgtemp.Options{})
	if err != nil {
		return err
	}
	defer cluster.Stop()
	url, err := cluster.CreateDatabase(ctx, "deskgate", "")
	if err != nil {
		return err
	}
	pool, err := pgparams.NewPool(ctx, url)
	if err != nil {
		return err
	}
	defer pool.Close()
	v, err := migrations.Up(ctx, pool, nil)
	if err != nil {
		return err
	}
	say("   %s (schema version %d)", url, v)

	const user, password = "help@desk.example", "demo"
	srv, err := imapmem.Start(imapmem.Options{Username: user, Password: password})
	if err != nil {
		return err
	}
	defer srv.Close()
	// Mail deskgate sends is kept in the folder Outgoing; mail to the desk
	// (someone using the demo with a mail client) lands in its INBOX.
	smtpSrv, err := smtpmem.Start(smtpmem.Options{Deliver: func(m smtpmem.Message) {
		folder := demoOutgoing
		for _, rcpt := range m.To {
			if strings.HasPrefix(strings.ToLower(rcpt), "help@") || strings.HasPrefix(strings.ToLower(rcpt), "help+") {
				folder = "INBOX"
			}
		}
		_, _ = srv.Append(folder, m.Data)
	}})
	if err != nil {
		return err
	}
	defer smtpSrv.Close()
	say("\n== In-process IMAP server on %s with two desk mailboxes: support (INBOX) and it (folder IT)", srv.Addr())
	say("   In-process SMTP server on %s for the mail deskgate sends", smtpSrv.Addr())
	delivered := 0
	for _, m := range demo.Messages() {
		if _, err := srv.Append("INBOX", m.Raw); err != nil {
			return err
		}
		delivered++
		say("   delivered %-32s to support", m.Name)
		if m.Name == "02-apple-sv.eml" {
			// The same message also reached the IT team's address: a
			// second copy, with its own trace header.
			copy := append([]byte("Delivered-To: it@desk.example\r\n"), m.Raw...)
			if _, err := srv.Append("IT", copy); err != nil {
				return err
			}
			delivered++
			say("   delivered %-32s to it (same message, second mailbox)", m.Name)
		}
	}

	cfg := demoConfig(srv.Addr(), smtpSrv.Addr(), user, password)
	runCtx, stopServe := context.WithCancel(ctx)
	served := make(chan error, 1)
	httpAddr := make(chan string, 1)
	go func() {
		served <- serveWith(runCtx, cfg, pool, log, serveHooks{listening: func(a string) { httpAddr <- a }})
	}()
	var serveErr error
	stopped := false
	stop := func() error {
		if !stopped {
			stopped = true
			stopServe()
			serveErr = <-served
		}
		return serveErr
	}
	defer stop()
	sent := 0 // mail already shown
	// showSent prints the mail sent since the last call; agents' mail in
	// full when agentsInFull.
	showSentAs := func(agentsInFull bool) error {
		if err := waitSent(ctx, pool, served); err != nil {
			return err
		}
		ms := smtpSrv.Messages()
		// Requesters' mail first, then the agents'; each in the order sent.
		for _, agents := range []bool{false, true} {
			for _, m := range ms[sent:] {
				if toAgent(m) == agents {
					printSent(stdout, m, agentsInFull)
				}
			}
		}
		if len(ms) == sent {
			say("   (no mail)")
		}
		sent = len(ms)
		return nil
	}
	showSent := func() error { return showSentAs(false) }

	// deliver puts one more mail in the desk's INBOX and waits until serve
	// has processed it.
	deliver := func(raw []byte) error {
		if _, err := srv.Append("INBOX", raw); err != nil {
			return err
		}
		delivered++
		return waitProcessed(ctx, pool, delivered, served)
	}

	say("\n== deskgate serve: syncing both mailboxes (IMAP IDLE) and processing")
	start := time.Now()
	if err := waitProcessed(ctx, pool, delivered, served); err != nil {
		return err
	}
	say("   %d messages captured and processed in %v", delivered, time.Since(start).Round(time.Millisecond))
	say("\n== Mail deskgate sent: an acknowledgement to each requester, in their language, and the team's new-ticket mail")
	if err := showSent(); err != nil {
		return err
	}

	say("\n== Alice's out-of-office answers her acknowledgement")
	ooo, err := demoOutOfOffice(ctx, pool)
	if err != nil {
		return err
	}
	if err := deliver(ooo); err != nil {
		return err
	}
	var class, status, reason string
	if err := pool.QueryRow(ctx, `SELECT class, status, reason FROM inbound ORDER BY id DESC LIMIT 1`).Scan(&class, &status, &reason); err != nil {
		return err
	}
	say("   classified %s, %s: %s", class, status, reason)
	say("   deskgate answers no automatic mail, so the loop ends here:")
	if err := showSent(); err != nil {
		return err
	}

	var swedish int64
	if err := pool.QueryRow(ctx, `SELECT id FROM tickets WHERE language = 'sv' ORDER BY id LIMIT 1`).Scan(&swedish); err != nil {
		return err
	}
	say("\n== Maja answers the new-ticket mail for the Swedish ticket #%d from her own mail client:", swedish)
	say("   \"#status resolved\" on the first line, then her answer to Åsa")
	// Her answer, a command on top and the notification quoted below.
	reply, err := demoAgentReply(ctx, pool, swedish, "maja-1", "Mon, 23 Nov 2026 10:05:00 +0100", "#status resolved\r\n\r\n"+
		"Hej Åsa,\r\n\r\nvi har installerat om VPN-klienten på din dator. Logga in som vanligt,\r\n"+
		"och hör av dig om felet kommer tillbaka.\r\n\r\nMaja\r\n\r\n"+
		"On Mon, 23 Nov 2026 at 09:02, Demo IT Service Desk <help@desk.example> wrote:\r\n"+
		"> ##- Please type your reply above this line -##\r\n> A new ticket has arrived.\r\n")
	if err != nil {
		return err
	}
	if err := deliver(reply); err != nil {
		return err
	}
	say("   deskgate verified her reply token, resolved the ticket and relayed her answer as the desk:")
	if err := showSent(); err != nil {
		return err
	}

	var german int64
	if err := pool.QueryRow(ctx, `SELECT id FROM tickets WHERE language = 'en' AND subject LIKE 'Fehlermeldung%' ORDER BY id LIMIT 1`).Scan(&german); err != nil {
		return err
	}
	say("\n== Maja hands Jürgen's SAP ticket #%d to Tom: \"#assign tom@desk.example\" in a reply to its new-ticket mail", german)
	assign, err := demoAgentReply(ctx, pool, german, "maja-2", "Mon, 23 Nov 2026 10:15:00 +0100", "#assign tom@desk.example\r\n")
	if err != nil {
		return err
	}
	if err := deliver(assign); err != nil {
		return err
	}
	say("   Tom is told, with his own reply token, so that he can answer the requester or command by replying:")
	if err := showSentAs(true); err != nil {
		return err
	}

	say("\n== A new message arrives while deskgate is idling")
	start = time.Now()
	if err := deliver(demo.Late); err != nil {
		return err
	}
	say("   ticketed %v after it reached the mailbox", time.Since(start).Round(time.Millisecond))
	if err := showSent(); err != nil {
		return err
	}

	if *keep {
		say("\n== deskgate keeps running; use a real mail client (Ctrl-C stops everything)")
		say("   IMAP %s  user %s  password %s  (no TLS)", srv.Addr(), user, password)
		say("        INBOX is the desk's mailbox; %s holds every email deskgate sent", demoOutgoing)
		say("   SMTP %s  no authentication, no TLS: send to help@desk.example to open a ticket,", smtpSrv.Addr())
		say("        or reply to a mail in %s to add to its ticket", demoOutgoing)
		say("   database %s", url)
		if err := writeDemoConfig(".", srv.Addr(), smtpSrv.Addr(), user, password); err != nil {
			return err
		}
		say("   demo.yaml holds the demo desk's configuration, for commands such as")
		say("        DESKGATE_DATABASE_URL='%s' deskgate rules test -replay 12 -config demo.yaml", url)
		select {
		case a := <-httpAddr:
			say("   metrics http://%s/metrics  health http://%s/healthz  readiness http://%s/readyz", a, a, a)
			link, err := demoSignInLink(ctx, cfg, pool, a, log)
			if err != nil {
				return err
			}
			say("   dashboard http://%s/  sign in as %s: %s (once, within 15 minutes)", a, demoAgent, link)
		default:
		}
		<-ctx.Done()
		return stop()
	}
	if err := stop(); err != nil {
		return err
	}
	say("\n== Tickets (deskgate ticket list)")
	ts, err := ticketing.ListTickets(ctx, pool, "", 100)
	if err != nil {
		return err
	}
	if err := printTickets(stdout, ts); err != nil {
		return err
	}
	say("\n== Every captured message and what became of it (deskgate inbound list)")
	rs, err := mailin.ListInbound(ctx, pool, "", 100)
	if err != nil {
		return err
	}
	if err := printInbound(stdout, rs); err != nil {
		return err
	}
	say("\n== The Swedish ticket in full (deskgate ticket show %d)", swedish)
	t, err := ticketing.GetTicket(ctx, pool, swedish)
	if err != nil {
		return err
	}
	if err := printTicket(stdout, t); err != nil {
		return err
	}
	say("\nThe demo database, IMAP and SMTP servers are thrown away now (deskgate demo -keep keeps them).")
	say("Point deskgate at your own mailbox with deskgate.yaml (see deskgate.example.yaml and docs/setup.md).")
	return nil
}

// writeDemoConfig writes the demo desk's configuration to demo.yaml in
// dir, for commands run against the database of deskgate demo -keep.
func writeDemoConfig(dir, imapAddr, smtpAddr, user, password string) error {
	return os.WriteFile(filepath.Join(dir, "demo.yaml"), []byte(demoYAML(imapAddr, smtpAddr, user, password)), 0o600)
}

// demoOutgoing is the IMAP folder the demo keeps deskgate's sent mail in.
const demoOutgoing = "Outgoing"

// demoOutOfOffice is the out-of-office reply Alice's Exchange server sends
// to her acknowledgement: to its Reply-To, threaded to it, marked as
// automatic the way Exchange marks it.
func demoOutOfOffice(ctx context.Context, pool *pgxpool.Pool) ([]byte, error) {
	var msgID, replyTo, subject string
	err := pool.QueryRow(ctx, `SELECT message_id, reply_to, subject FROM outbox
		WHERE event = 'ticket-received' AND recipient = 'alice.johnson@northwind.example'`).Scan(&msgID, &replyTo, &subject)
	if err != nil {
		return nil, fmt.Errorf("demo: the acknowledgement to Alice: %w", err)
	}
	return []byte("From: Alice Johnson <alice.johnson@northwind.example>\r\n" +
		"To: " + replyTo + "\r\n" +
		"Subject: Automatic reply: " + subject + "\r\n" +
		"Date: Mon, 23 Nov 2026 08:13:02 +0000\r\n" +
		"Message-ID: <ooo-1@northwind.example>\r\n" +
		"In-Reply-To: <" + msgID + ">\r\n" +
		"Auto-Submitted: auto-replied\r\n" +
		"X-Auto-Response-Suppress: All\r\n" +
		"MIME-Version: 1.0\r\n" +
		"Content-Type: text/plain; charset=utf-8\r\n\r\n" +
		"I am out of the office until Monday with limited access to email.\r\n"), nil
}

// demoAgentReply is Maja's reply, with the Message-ID <id@desk.example>
// and the text body, to the new-ticket mail deskgate sent her for ticket
// number: to its Reply-To, threaded to it, as a mail client writes it.
func demoAgentReply(ctx context.Context, pool *pgxpool.Pool, number int64, id, date, body string) ([]byte, error) {
	var msgID, replyTo, subject string
	err := pool.QueryRow(ctx, `SELECT message_id, reply_to, subject FROM outbox
		WHERE event = 'new-ticket' AND recipient = 'maja@desk.example' AND ticket_id = $1`, number).Scan(&msgID, &replyTo, &subject)
	if err != nil {
		return nil, fmt.Errorf("demo: the new-ticket mail to Maja: %w", err)
	}
	return []byte("From: Maja Lind <maja@desk.example>\r\n" +
		"To: " + replyTo + "\r\n" +
		"Subject: " + mime.QEncoding.Encode("UTF-8", "Re: "+subject) + "\r\n" +
		"Date: " + date + "\r\n" +
		"Message-ID: <" + id + "@desk.example>\r\n" +
		"In-Reply-To: <" + msgID + ">\r\n" +
		"References: <" + msgID + ">\r\n" +
		"MIME-Version: 1.0\r\n" +
		"Content-Type: text/plain; charset=utf-8\r\n" +
		"Content-Transfer-Encoding: 8bit\r\n\r\n" + body), nil
}

// waitSent waits until the outbox holds no mail due now.
func waitSent(ctx context.Context, pool *pgxpool.Pool, served <-chan error) error {
	deadline := time.After(30 * time.Second)
	for {
		var due int
		if err := pool.QueryRow(ctx, `SELECT count(*) FROM outbox WHERE status = 'queued' AND next_attempt_at <= now()`).Scan(&due); err != nil {
			return err
		}
		if due == 0 {
			return nil
		}
		select {
		case err := <-served:
			return fmt.Errorf("deskgate serve stopped early: %v", err)
		case <-deadline:
			return fmt.Errorf("demo: after 30s %d notifications were still waiting to be sent", due)
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(10 * time.Millisecond):
		}
	}
}

// toAgent reports whether m is mail to agents (auto-generated).
func toAgent(m smtpmem.Message) bool {
	msg, err := mail.ReadMessage(bytes.NewReader(m.Data))
	return err == nil && msg.Header.Get("Auto-Submitted") == "auto-generated"
}

// printSent shows one email as the SMTP server received it: the headers
// that matter and the start of its text part; mail to agents in one line
// and the files it carries, unless agentInFull.
func printSent(w io.Writer, m smtpmem.Message, agentInFull bool) {
	in, err := parse.Message(m.Data, parse.Options{})
	msg, herr := mail.ReadMessage(bytes.NewReader(m.Data))
	if err != nil || herr != nil {
		fmt.Fprintf(w, "   -> %v: unreadable: %v %v\n", m.To, err, herr)
		return
	}
	subject, _ := new(mime.WordDecoder).DecodeHeader(msg.Header.Get("Subject"))
	if toAgent(m) && !agentInFull {
		// Mail to agents: one line each, and the files it carries.
		fmt.Fprintf(w, "   -> agent %-24s %s\n", strings.Join(m.To, ", "), subject)
		for _, a := range in.Attachments {
			fmt.Fprintf(w, "      %-30s %s, %d bytes, attached\n", "", a.Filename, len(a.Data))
		}
		return
	}
	fmt.Fprintf(w, "\n   -> To: %s\n", strings.Join(m.To, ", "))
	for _, h := range []string{"From", "Reply-To", "Subject", "In-Reply-To", "Auto-Submitted", "Content-Language"} {
		if v := msg.Header.Get(h); v != "" {
			if dec, err := new(mime.WordDecoder).DecodeHeader(v); err == nil {
				v = dec
			}
			fmt.Fprintf(w, "      %-17s %s\n", h+":", v)
		}
	}
	lines := strings.Split(strings.TrimSpace(in.Text), "\n")
	if len(lines) > 8 {
		lines = append(lines[:8], "[…]")
	}
	for _, l := range lines {
		fmt.Fprintf(w, "      | %s\n", strings.TrimRight(l, "\r "))
	}
}

// demoConfig is the demo desk: two mailboxes on the IMAP server at
// imapAddr, mail out through the SMTP server at smtpAddr, one team of two
// agents. It goes through config.Parse like any deskgate.yaml, so every
// default applies.
func demoConfig(imapAddr, smtpAddr, user, password string) *config.Config {
	cfg, err := config.Parse([]byte(demoYAML(imapAddr, smtpAddr, user, password)), "demo configuration", nil)
	if err != nil {
		panic(err) // a constant configuration: a test catches any mistake
	}
	return cfg
}

// demoYAML is the demo desk's configuration file. The demo's mail is in
// the mailboxes before deskgate first connects to them, and is answered
// like new mail (existing_mail: normal).
func demoYAML(imapAddr, smtpAddr, user, password string) string {
	ih, ip := splitHostPort(imapAddr)
	sh, sp := splitHostPort(smtpAddr)
	return fmt.Sprintf(`desk:
  name: Demo IT Service Desk
  address: help@desk.example
  language: en
  secrets: [{id: 1, secret: %s}]
ingest: {workers: 2}
http: {listen: "127.0.0.1:0"}
smtp: {host: %s, port: %d, tls: plain}
mailboxes:
  - {name: support, host: %s, port: %d, tls: plain, username: %q, password: %q, folder: INBOX, poll_interval: 1s,
     existing_mail: normal}
  - {name: it, host: %s, port: %d, tls: plain, username: %q, password: %q, folder: IT, poll_interval: 1s,
     existing_mail: normal}
teams:
  - {name: support}
  - {name: it}
agents:
  - {name: Maja Lind, addresses: [maja@desk.example], teams: [support, it], role: lead}
  - {name: Tom Berg, addresses: [tom@desk.example], teams: [it]}
categories: [{name: Network}, {name: Hardware}]
calendars:
  - {name: stockholm, time_zone: Europe/Stockholm, mon: "08:00-17:00", tue: "08:00-17:00", wed: "08:00-17:00",
     thu: "08:00-17:00", fri: "08:00-16:00", holidays: [se]}
rules:
  - name: VPN problems
    when: 'subject matches "(?i)vpn"'
    then: {category: Network, urgency: High}
  - name: Printers
    when: 'subject matches "(?i)printer|skrivare"'
    then: {category: Hardware}
`, demoSecret, sh, sp, ih, ip, user, password, ih, ip, user, password)
}

// demoSecret signs the demo's reply tokens; the demo is thrown away.
const demoSecret = "6465736b676174652064656d6f2073656372657420666f72207265706c792074"

// waitProcessed waits until want messages are captured and none is pending.
func waitProcessed(ctx context.Context, pool *pgxpool.Pool, want int, served <-chan error) error {
	deadline := time.After(30 * time.Second)
	for {
		var total, pending int
		err := pool.QueryRow(ctx, `SELECT count(*), count(*) FILTER (WHERE status = 'pending') FROM inbound`).Scan(&total, &pending)
		if err != nil {
			return err
		}
		if total >= want && pending == 0 {
			return nil
		}
		select {
		case err := <-served:
			return fmt.Errorf("deskgate serve stopped early: %v", err)
		case <-deadline:
			return fmt.Errorf("demo: after 30s only %d of %d messages were captured (%d pending)", total, want, pending)
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(10 * time.Millisecond):
		}
	}
}

func splitHostPort(addr string) (string, int) {
	host, p, _ := net.SplitHostPort(addr) // addr comes from a listener
	port, _ := strconv.Atoi(p)
	return host, port
}
