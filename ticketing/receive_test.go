package ticketing_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/deskgate/deskgate/internal/dbtest"
	"github.com/deskgate/deskgate/ticketing"
)

func TestMain(m *testing.M) { os.Exit(dbtest.Main(m)) }

var quiet = slog.New(slog.NewTextHandler(io.Discard, nil))

// capture records a raw inbound row, as mailin would, and returns its id.
func capture(t *testing.T, pool *pgxpool.Pool, mailbox string, uid int) int64 {
	t.Helper()
	ctx := context.Background()
	if _, err := pool.Exec(ctx, `INSERT INTO mailboxes (name) VALUES ($1) ON CONFLICT DO NOTHING`, mailbox); err != nil {
		t.Fatal(err)
	}
	var id int64
	err := pool.QueryRow(ctx, `INSERT INTO inbound (mailbox, uidvalidity, uid, sha256, size, raw)
		VALUES ($1, 1, $2, sha256($3::bytea), 1, $3::bytea) RETURNING id`, mailbox, uid, []byte(mailbox+string(rune(uid)))).Scan(&id)
	if err != nil {
		t.Fatal(err)
	}
	return id
}

var plainDesk = ticketing.NewDesk(quiet, ticketing.Config{DeskAddresses: []string{"help@desk.example"}})

func receive(t *testing.T, pool *pgxpool.Pool, ins ...ticketing.Inbound) []ticketing.Outcome {
	t.Helper()
	return receiveWith(t, pool, plainDesk, ins...)
}

func receiveWith(t *testing.T, pool *pgxpool.Pool, desk *ticketing.Desk, ins ...ticketing.Inbound) []ticketing.Outcome {
	t.Helper()
	var out []ticketing.Outcome
	err := pgx.BeginFunc(context.Background(), pool, func(tx pgx.Tx) error {
		var err error
		out, err = desk.Receive(context.Background(), tx, ins)
		return err
	})
	if err != nil {
		t.Fatalf("Receive: %v", err)
	}
	if len(out) != len(ins) {
		t.Fatalf("Receive returned %d outcomes for %d messages", len(out), len(ins))
	}
	return out
}

func human(capture int64, msgID, subject string) ticketing.Inbound {
	return ticketing.Inbound{
		CaptureID: capture, Mailbox: "support", Queue: "support",
		MessageID: msgID, From: ticketing.Address{Name: "Åsa Berg", Address: "asa@example.se"},
		To: []ticketing.Address{{Address: "help@desk.example"}}, Subject: subject,
		Date: time.Date(2026, 11, 20, 9, 30, 0, 0, time.UTC), Text: "Skrivaren på plan 3 fungerar inte.",
		Class: ticketing.ClassHuman,
	}
}

func TestHumanMailOpensTicket(t *testing.T) {
	t.Parallel()
	pool := dbtest.Pool(t)
	ctx := context.Background()
	in := human(capture(t, pool, "support", 1), "a1@example.se", "Skrivaren fungerar inte")
	in.Attachments = []ticketing.Attachment{
		{Filename: "fel.png", ContentType: "image/png", Data: []byte("png-bytes")},
		{Filename: "logo.png", ContentType: "image/png", ContentID: "logo@x", Inline: true, Data: []byte("png-bytes")},
	}
	out := receive(t, pool, in)
	if out[0].Status != ticketing.StatusTicketed || out[0].TicketID == 0 {
		t.Fatalf("Receive(human) = %+v, want ticketed with a ticket", out[0])
	}
	tk, err := ticketing.GetTicket(ctx, pool, out[0].TicketID)
	if err != nil {
		t.Fatalf("GetTicket: %v", err)
	}
	if tk.Subject != "Skrivaren fungerar inte" || tk.Status != "new" || tk.Requester.Address != "asa@example.se" || tk.Requester.Name != "Åsa Berg" || tk.Queue != "support" {
		t.Errorf("ticket = %+v, want subject, status new, requester Åsa Berg <asa@example.se>, queue support", tk.TicketSummary)
	}
	if len(tk.Thread) != 1 || tk.Thread[0].Text != in.Text || tk.Thread[0].MessageID != "a1@example.se" || len(tk.Thread[0].Attachments) != 2 {
		t.Fatalf("thread = %+v, want the one message with 2 attachments", tk.Thread)
	}
	if len(tk.Events) != 1 || tk.Events[0].Kind != "ticket.created" {
		t.Errorf("events = %+v, want one ticket.created", tk.Events)
	}
	var blobs int
	if err := pool.QueryRow(ctx, `SELECT count(*) FROM blobs`).Scan(&blobs); err != nil || blobs != 1 {
		t.Errorf("blobs = %d (%v), want 1: identical content is stored once", blobs, err)
	}
}

func TestSameMessageInTwoMailboxesIsOneTicket(t *testing.T) {
	t.Parallel()
	pool := dbtest.Pool(t)
	a := human(capture(t, pool, "support", 1), "dup@example.se", "VPN nere")
	b := a
	b.CaptureID, b.Mailbox = capture(t, pool, "it", 1), "it"
	first := receive(t, pool, a)
	second := receive(t, pool, b)
	if second[0].Status != ticketing.StatusAttached || second[0].TicketID != first[0].TicketID {
		t.Fatalf("second delivery = %+v, want attached to ticket %d", second[0], first[0].TicketID)
	}
	// Both copies in one batch.
	c := human(capture(t, pool, "support", 2), "dup2@example.se", "Samma batch")
	d := c
	d.CaptureID, d.Mailbox = capture(t, pool, "it", 2), "it"
	out := receive(t, pool, c, d)
	if out[0].Status != ticketing.StatusTicketed || out[1].Status != ticketing.StatusAttached || out[1].TicketID != out[0].TicketID {
		t.Fatalf("same batch = %+v, want ticketed then attached to the same ticket", out)
	}
	tickets, err := ticketing.ListTickets(context.Background(), pool, "", 10)
	if err != nil || len(tickets) != 2 {
		t.Fatalf("ListTickets = %d tickets (%v), want 2", len(tickets), err)
	}
}

func TestReusedMessageIDWithNewContentIsNotDropped(t *testing.T) {
	t.Parallel()
	pool := dbtest.Pool(t)
	a := human(capture(t, pool, "support", 1), "same@example.se", "First question")
	b := human(capture(t, pool, "support", 2), "same@example.se", "A different question")
	b.Text = "Something else entirely."
	out := receive(t, pool, a)
	out2 := receive(t, pool, b)
	if out2[0].Status != ticketing.StatusTicketed || out2[0].TicketID == out[0].TicketID {
		t.Fatalf("reused Message-ID with new content = %+v, want a new ticket (first was %d)", out2[0], out[0].TicketID)
	}
}

func TestAutoGeneratedMail(t *testing.T) {
	t.Parallel()
	pool := dbtest.Pool(t)
	orig := receive(t, pool, human(capture(t, pool, "support", 1), "orig@example.se", "Hjälp"))[0]

	ooo := human(capture(t, pool, "support", 2), "ooo@example.se", "Automatiskt svar: Hjälp")
	ooo.Class, ooo.ClassReason, ooo.InReplyTo = ticketing.ClassAutoReply, "Auto-Submitted: auto-replied", []string{"orig@example.se"}
	bounce := human(capture(t, pool, "support", 3), "dsn@mx.example", "Undelivered Mail Returned to Sender")
	bounce.Class, bounce.ClassReason, bounce.OriginalMessageID = ticketing.ClassBounce, "multipart/report delivery-status", "orig@example.se"
	stray := human(capture(t, pool, "support", 4), "news@list.example", "Weekly digest")
	stray.Class, stray.ClassReason = ticketing.ClassList, "List-Id"
	out := receive(t, pool, ooo, bounce, stray)

	for i, want := range []string{ticketing.StatusAttached, ticketing.StatusAttached, ticketing.StatusIgnored} {
		if out[i].Status != want {
			t.Errorf("outcome %d = %+v, want %s", i, out[i], want)
		}
	}
	if out[0].TicketID != orig.TicketID || out[1].TicketID != orig.TicketID || out[2].TicketID != 0 {
		t.Errorf("tickets = %d, %d, %d; want %d, %d, 0", out[0].TicketID, out[1].TicketID, out[2].TicketID, orig.TicketID, orig.TicketID)
	}
	if !strings.Contains(out[2].Reason, "List-Id") {
		t.Errorf("ignored reason = %q, want the deciding signal named", out[2].Reason)
	}
	n, err := ticketing.ListTickets(context.Background(), pool, "", 10)
	if err != nil || len(n) != 1 {
		t.Errorf("tickets = %d (%v), want 1: auto-generated mail never opens one", len(n), err)
	}
}

func TestAutoReplyToMessageOfSameBatch(t *testing.T) {
	t.Parallel()
	pool := dbtest.Pool(t)
	a := human(capture(t, pool, "support", 1), "new@example.se", "Ny fråga")
	ooo := human(capture(t, pool, "support", 2), "ooo2@example.se", "Out of office")
	ooo.Class, ooo.ClassReason, ooo.References = ticketing.ClassAutoReply, "X-Autoreply", []string{"new@example.se"}
	out := receive(t, pool, a, ooo)
	if out[1].Status != ticketing.StatusAttached || out[1].TicketID != out[0].TicketID {
		t.Fatalf("auto-reply in same batch = %+v, want attached to %d", out[1], out[0].TicketID)
	}
}

func TestNoSenderIsQuarantined(t *testing.T) {
	t.Parallel()
	pool := dbtest.Pool(t)
	in := human(capture(t, pool, "support", 1), "nofrom@example.se", "Who am I")
	in.From = ticketing.Address{}
	out := receive(t, pool, in)
	if out[0].Status != ticketing.StatusQuarantined || out[0].Reason == "" {
		t.Fatalf("Receive(no From) = %+v, want quarantined with a reason", out[0])
	}
}

// TestAutoMailWithoutSender: automatic mail that names no sender is
// classified, so it joins the ticket it refers to or is ignored; only a
// person's mail without a sender is quarantined.
func TestAutoMailWithoutSender(t *testing.T) {
	t.Parallel()
	pool := dbtest.Pool(t)
	orig := receive(t, pool, human(capture(t, pool, "support", 1), "orig@example.se", "Skrivaren"))[0]
	ooo := human(capture(t, pool, "support", 2), "ooo@example.se", "Automatic reply: Skrivaren")
	ooo.Class, ooo.ClassReason, ooo.InReplyTo = ticketing.ClassAutoReply, "content score 1: subject \"automatic reply\" +1", []string{"orig@example.se"}
	bounce := human(capture(t, pool, "support", 3), "dsn@mx.example", "Undeliverable: Skrivaren")
	bounce.Class, bounce.ClassReason, bounce.OriginalMessageID = ticketing.ClassBounce, "content score 1.6", "orig@example.se"
	stray := human(capture(t, pool, "support", 4), "ooo@example.se", "Automatic reply: something else")
	stray.Class, stray.ClassReason = ticketing.ClassAutoReply, "content score 1: subject \"automatic reply\" +1"
	for _, in := range []*ticketing.Inbound{&ooo, &bounce, &stray} {
		in.From, in.ReplyTo = ticketing.Address{}, nil
	}
	out := receive(t, pool, ooo, bounce, stray)
	for i, want := range []string{ticketing.StatusAttached, ticketing.StatusAttached, ticketing.StatusIgnored} {
		if out[i].Status != want {
			t.Errorf("Receive(automatic mail %d without From) = %+v, want %s", i, out[i], want)
		}
	}
	if out[0].TicketID != orig.TicketID || out[1].TicketID != orig.TicketID {
		t.Errorf("tickets = %d, %d; want both %d", out[0].TicketID, out[1].TicketID, orig.TicketID)
	}
}

func TestGetTicketNotFound(t *testing.T) {
	t.Parallel()
	pool := dbtest.Pool(t)
	if _, err := ticketing.GetTicket(context.Background(), pool, 4711); !errors.Is(err, ticketing.ErrNotFound) {
		t.Fatalf("GetTicket(4711) = %v, want ErrNotFound", err)
	}
}

// TestConcurrentCopiesOpenOneTicket: two processes handle the two copies of
// one message (delivered to two desk mailboxes) at the same moment.
func TestConcurrentCopiesOpenOneTicket(t *testing.T) {
	t.Parallel()
	pool := dbtest.Pool(t)
	ctx := context.Background()
	for round := range 20 {
		id := fmt.Sprintf("race-%d@example.se", round)
		a := human(capture(t, pool, "support", 100+round), id, "Samtidigt")
		b := a
		b.CaptureID, b.Mailbox = capture(t, pool, "it", 100+round), "it"
		start := make(chan struct{})
		outs := make([]ticketing.Outcome, 2)
		errs := make(chan error, 2)
		for k, in := range []ticketing.Inbound{a, b} {
			go func() {
				<-start
				errs <- pgx.BeginFunc(ctx, pool, func(tx pgx.Tx) error {
					out, err := ticketing.NewDesk(quiet, ticketing.Config{DeskAddresses: []string{"help@desk.example"}}).Receive(ctx, tx, []ticketing.Inbound{in})
					if err == nil {
						outs[k] = out[0]
					}
					return err
				})
			}()
		}
		close(start)
		for range 2 {
			if err := <-errs; err != nil {
				t.Fatalf("Receive: %v", err)
			}
		}
		statuses := outs[0].Status + "," + outs[1].Status
		if (statuses != "ticketed,attached" && statuses != "attached,ticketed") || outs[0].TicketID != outs[1].TicketID {
			t.Fatalf("round %d: concurrent copies = %+v, want one ticketed and one attached to the same ticket", round, outs)
		}
	}
}
