package main

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/deskgate/deskgate/config"
	"github.com/deskgate/deskgate/internal/imapmem"
	"github.com/deskgate/deskgate/internal/mailgen"
	"github.com/deskgate/deskgate/internal/smtpmem"
)

// defaultDesk is the demo desk with every mailbox's existing_mail left at
// its default, serving imap and sending to out until stop is called or
// the test ends.
func defaultDesk(t *testing.T, pool *pgxpool.Pool, imap *imapmem.Server, out *smtpmem.Server) (served <-chan error, stop func()) {
	t.Helper()
	yaml := demoYAML(imap.Addr(), out.Addr(), "help@desk.example", "pw")
	if n := strings.Count(yaml, "existing_mail: normal"); n != 2 {
		t.Fatalf("the demo configuration sets existing_mail %d times, want 2", n)
	}
	cfg, err := config.Parse([]byte(strings.ReplaceAll(yaml, ",\n     existing_mail: normal", "")), "default desk", nil)
	if err != nil {
		t.Fatal(err)
	}
	if got := cfg.Mailboxes[0].ExistingMail; got != config.ExistingQuiet {
		t.Fatalf("default existing_mail = %q, want quiet", got)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- serve(ctx, cfg, pool, slog.New(slog.DiscardHandler)) }()
	stopped := false
	stop = func() {
		if stopped {
			return
		}
		stopped = true
		cancel()
		if err := <-done; err != nil {
			t.Errorf("serve returned %v", err)
		}
	}
	t.Cleanup(stop) // runs before the servers close
	return done, stop
}

func startServers(t *testing.T) (*imapmem.Server, *smtpmem.Server) {
	t.Helper()
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
	return imap, out
}

func newMail(from, id, subject string) []byte {
	return fmt.Appendf(nil, "From: %s\r\nTo: help@desk.example\r\nSubject: %s\r\nMessage-ID: <%s>\r\n"+
		"Date: Mon, 7 Dec 2026 09:00:00 +0000\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nPlease help.\r\n", from, subject, id)
}

// waitFirstStart waits until serve has selected mailbox name.
func waitFirstStart(t *testing.T, pool *pgxpool.Pool, name string, served <-chan error) {
	t.Helper()
	deadline := time.After(30 * time.Second)
	for {
		var known bool
		err := pool.QueryRow(context.Background(), `SELECT coalesce(bool_or(first_uidnext IS NOT NULL), false) FROM mailboxes WHERE name = $1`, name).Scan(&known)
		if err != nil {
			t.Fatal(err)
		}
		if known {
			return
		}
		select {
		case err := <-served:
			t.Fatalf("serve stopped early: %v", err)
		case <-deadline:
			t.Fatalf("mailbox %s not selected after 30s", name)
		case <-time.After(10 * time.Millisecond):
		}
	}
}

// TestFirstStartSendsNothing points a desk with the default configuration
// at a mailbox that already holds 1,000 messages: every one is captured
// and ticketed, nobody is mailed (neither in the outbox nor at the SMTP
// server) and no SLA clock starts; a message that arrives after the first
// SELECT, during the catch-up, is answered as usual.
func TestFirstStartSendsNothing(t *testing.T) {
	pool := useDatabase(t)
	ctx := context.Background()
	imap, out := startServers(t)
	const n = 1000
	gen := mailgen.New(mailgen.Options{Seed: 12, AttachmentEvery: 100, AttachmentSize: 1 << 10})
	for i := range n {
		if _, err := imap.Append("INBOX", gen.Message(i)); err != nil {
			t.Fatal(err)
		}
	}
	served, _ := defaultDesk(t, pool, imap, out)
	waitFirstStart(t, pool, "support", served)
	if _, err := imap.Append("INBOX", newMail("New Person <new@example.org>", "fresh@example.org", "Fresh problem")); err != nil {
		t.Fatal(err)
	}
	if err := waitProcessed(ctx, pool, n+1, served); err != nil {
		t.Fatal(err)
	}
	if err := waitSent(ctx, pool, served); err != nil {
		t.Fatal(err)
	}

	var quiet, quietTicketed, normal int
	var fresh int64
	err := pool.QueryRow(ctx, `SELECT count(*) FILTER (WHERE handling = 'quiet'),
		    count(*) FILTER (WHERE handling = 'quiet' AND status IN ('ticketed', 'attached')),
		    count(*) FILTER (WHERE handling = 'normal'),
		    coalesce(max(ticket_id) FILTER (WHERE message_id = 'fresh@example.org'), 0)
		FROM inbound`).Scan(&quiet, &quietTicketed, &normal, &fresh)
	if err != nil {
		t.Fatal(err)
	}
	if quiet != n || quietTicketed != n || normal != 1 || fresh == 0 {
		t.Fatalf("inbound: %d quiet (%d ticketed or attached), %d normal, fresh ticket #%d; want %d quiet, all ticketed, 1 normal with a ticket",
			quiet, quietTicketed, normal, fresh, n)
	}
	var mails, other, clocks, otherClocks, events int
	err = pool.QueryRow(ctx, `SELECT (SELECT count(*) FROM outbox), (SELECT count(*) FROM outbox WHERE ticket_id <> $1),
		    (SELECT count(*) FROM sla_clocks), (SELECT count(*) FROM sla_clocks WHERE ticket_id <> $1),
		    (SELECT count(*) FROM events WHERE kind = 'mail.quiet')`, fresh).Scan(&mails, &other, &clocks, &otherClocks, &events)
	if err != nil {
		t.Fatal(err)
	}
	if other != 0 || otherClocks != 0 || events != n {
		t.Errorf("about the 1,000 existing messages: %d notifications, %d SLA clocks, %d mail.quiet events; want 0, 0, %d", other, otherClocks, events, n)
	}
	if mails == 0 || clocks == 0 {
		t.Errorf("about the fresh message: %d notifications, %d SLA clocks; want its acknowledgement, team mail and clocks", mails, clocks)
	}
	var sent int
	if err := pool.QueryRow(ctx, `SELECT count(*) FROM outbox WHERE status = 'sent'`).Scan(&sent); err != nil {
		t.Fatal(err)
	}
	got := out.Messages()
	if len(got) != sent {
		t.Errorf("the SMTP server received %d messages, want the %d sent about the fresh ticket", len(got), sent)
	}
	for _, m := range got {
		if !strings.Contains(string(m.Data), "Fresh problem") {
			t.Errorf("the SMTP server received mail about another ticket:\n%.400s", m.Data)
		}
	}
}

// TestRestartAfterDowntime: mail that arrived while deskgate was stopped
// is answered when younger than max_age_to_answer (24h by default) and
// handled quietly, with the reason, when older, by its INTERNALDATE.
func TestRestartAfterDowntime(t *testing.T) {
	pool := useDatabase(t)
	ctx := context.Background()
	imap, out := startServers(t)
	served, stop := defaultDesk(t, pool, imap, out)
	waitFirstStart(t, pool, "support", served)
	stop()

	now := time.Now()
	if _, err := imap.AppendAt("INBOX", newMail("Old <old@example.org>", "old@example.org", "Old problem"), now.Add(-72*time.Hour)); err != nil {
		t.Fatal(err)
	}
	if _, err := imap.AppendAt("INBOX", newMail("Recent <recent@example.org>", "recent@example.org", "Recent problem"), now.Add(-2*time.Hour)); err != nil {
		t.Fatal(err)
	}
	served, _ = defaultDesk(t, pool, imap, out)
	if err := waitProcessed(ctx, pool, 2, served); err != nil {
		t.Fatal(err)
	}
	if err := waitSent(ctx, pool, served); err != nil {
		t.Fatal(err)
	}
	type row struct {
		handling, reason, status string
		mails, clocks            int
	}
	rows := map[string]row{}
	r, err := pool.Query(ctx, `SELECT i.message_id, i.handling, i.handling_reason, i.status,
		    (SELECT count(*) FROM outbox o WHERE o.ticket_id = i.ticket_id),
		    (SELECT count(*) FROM sla_clocks c WHERE c.ticket_id = i.ticket_id)
		FROM inbound i`)
	if err != nil {
		t.Fatal(err)
	}
	for r.Next() {
		var id string
		var x row
		if err := r.Scan(&id, &x.handling, &x.reason, &x.status, &x.mails, &x.clocks); err != nil {
			t.Fatal(err)
		}
		rows[id] = x
	}
	if err := r.Err(); err != nil {
		t.Fatal(err)
	}
	if o := rows["old@example.org"]; o.handling != "quiet" || !strings.Contains(o.reason, "older than max_age_to_answer (24h)") ||
		o.status != "ticketed" || o.mails != 0 || o.clocks != 0 {
		t.Errorf("the 72-hour-old message: %+v, want quiet (older than max_age_to_answer), ticketed, no mail, no clock", o)
	}
	if o := rows["recent@example.org"]; o.handling != "normal" || o.status != "ticketed" || o.mails == 0 || o.clocks == 0 {
		t.Errorf("the 2-hour-old message: %+v, want normal, ticketed, with mail and clocks", o)
	}
	for _, m := range out.Messages() {
		if strings.Contains(string(m.Data), "Old problem") {
			t.Errorf("the SMTP server received mail about the old message:\n%.400s", m.Data)
		}
	}
}
