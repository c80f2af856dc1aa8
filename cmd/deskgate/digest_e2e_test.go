package main

import (
	"bytes"
	"context"
	"log/slog"
	"net/mail"
	"strings"
	"testing"
	"time"

	"github.com/deskgate/deskgate/config"
	"github.com/deskgate/deskgate/internal/imapmem"
	"github.com/deskgate/deskgate/internal/smtpmem"
)

// TestDigestEndToEnd runs serve (IMAP in, SMTP out) with the support
// team's digest on at 08:00 in the demo's Stockholm calendar, on a clock
// the test sets: no digest on Christmas Day or before 08:00 on a Monday,
// one at 08:00, and #take in a reply to it assigns the ticket it names.
func TestDigestEndToEnd(t *testing.T) {
	pool := useDatabase(t)
	ctx := context.Background()
	imap, err := imapmem.Start(imapmem.Options{Username: "help@desk.example", Password: "pw"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { imap.Close() })
	out, err := smtpmem.Start(smtpmem.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { out.Close() })
	yaml := strings.Replace(demoYAML(imap.Addr(), out.Addr(), "help@desk.example", "pw"),
		"  - {name: support}\n", "  - {name: support, digest: true}\n", 1)
	cfg, err := config.Parse([]byte(yaml+"digest: {time: \"08:00\"}\n"), "digest test configuration", nil)
	if err != nil {
		t.Fatal(err)
	}
	ticks := make(chan time.Time)
	runCtx, cancel := context.WithCancel(ctx)
	served := make(chan error, 1)
	go func() {
		served <- serveWith(runCtx, cfg, pool, slog.New(slog.DiscardHandler), serveHooks{clock: func(context.Context) <-chan time.Time { return ticks }})
	}()
	t.Cleanup(func() {
		cancel()
		if err := <-served; err != nil {
			t.Errorf("serve returned %v", err)
		}
	})
	deliver := deliverer(t, pool, imap, served)
	deliver("From: Karin Ek <karin@kund.example>\nTo: help@desk.example\nSubject: Printer on floor 2\nMessage-ID: <req-1@kund.example>\n" +
		"Content-Type: text/plain; charset=utf-8\n\nThe printer on floor 2 does not print.\n")

	loc, err := time.LoadLocation("Europe/Stockholm")
	if err != nil {
		t.Fatal(err)
	}
	// tick hands serve the time at; the second send returns only once
	// the first time was dealt with.
	tick := func(at time.Time) {
		t.Helper()
		for range 2 {
			select {
			case ticks <- at:
			case err := <-served:
				t.Fatalf("serve stopped: %v", err)
			}
		}
		if err := waitSent(ctx, pool, served); err != nil {
			t.Fatal(err)
		}
	}
	digestsTo := func(addr string) []smtpmem.Message {
		var ms []smtpmem.Message
		for _, m := range out.Messages() {
			if m.To[0] == addr && strings.Contains(string(m.Data), "Your tickets") {
				ms = append(ms, m)
			}
		}
		return ms
	}
	tick(time.Date(2026, 12, 25, 9, 0, 0, 0, loc)) // Christmas Day, a Friday: a Swedish holiday
	tick(time.Date(2026, 12, 7, 7, 59, 0, 0, loc)) // Monday, before 08:00
	if got := digestsTo("maja@desk.example"); len(got) != 0 {
		t.Fatalf("%d digests to Maja on a holiday or before 08:00, want none", len(got))
	}
	tick(time.Date(2026, 12, 7, 8, 0, 0, 0, loc))
	tick(time.Date(2026, 12, 7, 8, 1, 0, 0, loc))
	got := digestsTo("maja@desk.example")
	if len(got) != 1 || len(digestsTo("tom@desk.example")) != 0 {
		t.Fatalf("digests to Maja %d, to Tom %d at 08:00 on a Monday; want 1 (support's digest), 0 (not in support)", len(got), len(digestsTo("tom@desk.example")))
	}
	digest, err := mail.ReadMessage(bytes.NewReader(got[0].Data))
	if err != nil {
		t.Fatal(err)
	}
	body := new(bytes.Buffer)
	body.ReadFrom(digest.Body)
	if !strings.Contains(body.String(), "[#1] Printer on floor 2") || !strings.Contains(digest.Header.Get("Subject"), "Monday 7 December 2026, 08:00") {
		t.Errorf("digest: subject %q, body lacks the unassigned ticket by its tag:\n%s", digest.Header.Get("Subject"), body)
	}
	replyTo := digest.Header.Get("Reply-To")
	msgID := strings.Trim(digest.Header.Get("Message-ID"), "<>")
	take := "From: Maja Lind <maja@desk.example>\nTo: " + replyTo + "\nSubject: Re: " + digest.Header.Get("Subject") +
		"\nMessage-ID: <take-1@desk.example>\nIn-Reply-To: <" + msgID + ">\nContent-Type: text/plain; charset=utf-8\n\n#take 1\n\n> ##- Please type your reply above this line -##\n"
	deliver(take)
	var assignee string
	var tickets int
	if err := pool.QueryRow(ctx, `SELECT (SELECT assignee FROM tickets WHERE id = 1), (SELECT count(*) FROM tickets)`).Scan(&assignee, &tickets); err != nil ||
		assignee != "maja@desk.example" || tickets != 1 {
		t.Errorf("after #take 1 in a reply to the digest: ticket #1's assignee %q, %d tickets (%v); want Maja's, one ticket", assignee, tickets, err)
	}
	// The same reply again by another route (one more Received line, so
	// other bytes): captured, and ignored as a duplicate delivery.
	deliver("Received: from mx2.desk.example by imap.desk.example; Mon, 7 Dec 2026 08:05:00 +0100\n" + take)
	var applied, answers int
	var status, reason string
	if err := pool.QueryRow(ctx, `SELECT (SELECT count(*) FROM events WHERE ticket_id = 1 AND kind = 'agent.digest_reply'),
		(SELECT count(*) FROM outbox WHERE event = 'digest'), status, reason FROM inbound ORDER BY id DESC LIMIT 1`).Scan(&applied, &answers, &status, &reason); err != nil {
		t.Fatal(err)
	}
	if applied != 1 || answers != 1 || status != "ignored" || !strings.Contains(reason, "duplicate delivery of <take-1@desk.example>") {
		t.Errorf("the reply delivered twice: %d agent.digest_reply events, %d digests queued, the second copy %s: %q; want 1, 1 (no answer), ignored as a duplicate delivery",
			applied, answers, status, reason)
	}
}
