package bigdesk_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/deskgate/deskgate/internal/bigdesk"
	"github.com/deskgate/deskgate/internal/dbtest"
	"github.com/deskgate/deskgate/ticketing"
)

func TestMain(m *testing.M) { os.Exit(dbtest.Main(m)) }

// TestSeedIsADeskInUse: the fixture has the rows it promises, and deskgate
// works on it as on its own data: a reply threads onto a seeded ticket by
// its Message-ID, and a new message opens the next ticket number.
func TestSeedIsADeskInUse(t *testing.T) {
	ctx := context.Background()
	pool := dbtest.Pool(t)
	const n = 2000
	indexes := func() (defs []string) {
		rows, err := pool.Query(ctx, `SELECT indexdef FROM pg_indexes WHERE schemaname = 'public' ORDER BY indexname`)
		if err != nil {
			t.Fatal(err)
		}
		defs, err = pgx.CollectRows(rows, pgx.RowTo[string])
		if err != nil {
			t.Fatal(err)
		}
		return defs
	}
	before := indexes()
	if err := bigdesk.Seed(ctx, pool, n, nil); err != nil {
		t.Fatal(err)
	}
	if after := indexes(); !slices.Equal(before, after) {
		t.Errorf("indexes after Seed differ from the schema's:\n%q\nwant\n%q", after, before)
	}
	for table, want := range map[string]int{
		"tickets": n, "participants": n, "messages": 2 * n, "events": 4 * n, "sla_clocks": 2 * n, "outbox": 2 * n,
		"messages WHERE length(text_body) BETWEEN 1000 AND 2000":              2 * n,
		"tickets WHERE status = 'closed'":                                     n * 17 / 20,
		"sla_clocks WHERE running AND deadline IS NOT NULL":                   n / 10,
		"events WHERE kind = 'status.changed' AND detail->>'to' = 'resolved'": n * 18 / 20,
		"outbox WHERE status = 'sent' AND sent_at IS NOT NULL":                2 * n,
		"contacts WHERE address IN (SELECT requester_addr FROM tickets)":      n,
	} {
		var got int
		if err := pool.QueryRow(ctx, "SELECT count(*) FROM "+table).Scan(&got); err != nil {
			t.Fatalf("%s: %v", table, err)
		}
		if got != want {
			t.Errorf("count(*) FROM %s = %d, want %d", table, got, want)
		}
	}

	captures := capture(t, pool, 2)
	var requester string
	if err := pool.QueryRow(ctx, `SELECT requester_addr FROM tickets WHERE id = 18`).Scan(&requester); err != nil {
		t.Fatal(err)
	}
	desk := ticketing.NewDesk(slog.New(slog.NewTextHandler(io.Discard, nil)),
		ticketing.Config{DeskAddresses: []string{"help@desk.example"}})
	ins := []ticketing.Inbound{{
		CaptureID: captures[0], Mailbox: "support", Queue: "support", MessageID: "reply-18@customer.example",
		InReplyTo: []string{"fixture-18@customer.example"}, From: ticketing.Address{Address: requester},
		Subject: "Re: still broken", Text: "still broken", Class: ticketing.ClassHuman,
	}, {
		CaptureID: captures[1], Mailbox: "support", Queue: "support", MessageID: "new@elsewhere.example",
		From: ticketing.Address{Address: "someone@elsewhere.example"}, Subject: "Something new", Text: "hello",
		Class: ticketing.ClassHuman,
	}}
	var out []ticketing.Outcome
	err := pgx.BeginFunc(ctx, pool, func(tx pgx.Tx) (err error) {
		out, err = desk.Receive(ctx, tx, ins)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if out[0].Status != ticketing.StatusAttached || out[0].TicketID != 18 {
		t.Errorf("reply to a seeded message: %+v, want attached to ticket 18", out[0])
	}
	if out[1].Status != ticketing.StatusTicketed || out[1].TicketID != n+1 {
		t.Errorf("new message: %+v, want ticket %d", out[1], n+1)
	}
}

// TestStartBuildsOnceThenCopies: the second Start for the same schema
// starts from the saved data directory instead of building again.
func TestStartBuildsOnceThenCopies(t *testing.T) {
	ctx := context.Background()
	cache := t.TempDir()
	for round, want := range []string{"building", "from"} {
		var log strings.Builder
		cluster, url, err := bigdesk.Start(ctx, bigdesk.Options{Tickets: 300, Cache: cache,
			Log: func(format string, args ...any) { fmt.Fprintf(&log, format+"\n", args...) }})
		if err != nil {
			t.Fatal(err)
		}
		if first, _, _ := strings.Cut(log.String(), "\n"); !strings.Contains(first, want) {
			t.Errorf("round %d logged %q, want it to say %q", round, first, want)
		}
		conn, err := pgx.Connect(ctx, url)
		if err != nil {
			cluster.Stop()
			t.Fatal(err)
		}
		var got int
		err = conn.QueryRow(ctx, `SELECT count(*) FROM tickets`).Scan(&got)
		conn.Close(ctx)
		cluster.Stop()
		if err != nil || got != 300 {
			t.Fatalf("round %d: %d tickets, %v; want 300", round, got, err)
		}
	}
}

func capture(t *testing.T, pool *pgxpool.Pool, n int) []int64 {
	t.Helper()
	ctx := context.Background()
	if _, err := pool.Exec(ctx, `INSERT INTO mailboxes (name) VALUES ('support') ON CONFLICT DO NOTHING`); err != nil {
		t.Fatal(err)
	}
	rows, err := pool.Query(ctx, `INSERT INTO inbound (mailbox, uidvalidity, uid, sha256, size, raw)
		SELECT 'support', 1, g, sha256(g::text::bytea), 1, '\x00'::bytea FROM generate_series(1, $1) g RETURNING id`, n)
	if err != nil {
		t.Fatal(err)
	}
	ids, err := pgx.CollectRows(rows, pgx.RowTo[int64])
	if err != nil {
		t.Fatal(err)
	}
	return ids
}
