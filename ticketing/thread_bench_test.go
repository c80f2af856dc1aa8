package ticketing_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/deskgate/deskgate/internal/dbtest"
	"github.com/deskgate/deskgate/ticketing"
)

// BenchmarkThreading measures what threading costs per message - locking,
// looking up Message-IDs and participants, and joining the ticket - with
// 1,000 and with 1,000,000 stored messages. Lookups are indexed, so the
// two figures should be close.
func BenchmarkThreading(b *testing.B) {
	for _, stored := range []int{1_000, 1_000_000} {
		b.Run(fmt.Sprintf("stored=%d", stored), func(b *testing.B) {
			pool := dbtest.Pool(b)
			ctx := context.Background()
			seedMessages(b, pool, stored)
			const batch = 100
			captures := seedCaptures(b, pool, b.N*batch)
			desk := ticketing.NewDesk(quiet, ticketing.Config{DeskAddresses: []string{"help@desk.example"}})
			rng := rand.New(rand.NewPCG(1, 2))
			b.ResetTimer()
			start := time.Now()
			for n := range b.N {
				ins := make([]ticketing.Inbound, batch)
				for k := range ins {
					target := 1 + rng.IntN(stored)
					in := ticketing.Inbound{
						CaptureID: captures[n*batch+k], Mailbox: "support", Queue: "support",
						MessageID: fmt.Sprintf("reply-%d-%d@example.org", n, k),
						From:      ticketing.Address{Address: fmt.Sprintf("user%d@example.org", target%100_000)},
						Subject:   "Re: seeded", Text: "thanks", Class: ticketing.ClassHuman,
					}
					if k%4 == 0 { // a quarter thread by subject tag from a participant
						in.Subject = fmt.Sprintf("Re: [#%d] seeded", 1+(target-1)%ticketsFor(stored))
						in.From.Address = fmt.Sprintf("user%d@example.org", 1+(target-1)%ticketsFor(stored))
					} else {
						in.InReplyTo = []string{fmt.Sprintf("seed-%d@example.org", target)}
					}
					ins[k] = in
				}
				err := pgx.BeginFunc(ctx, pool, func(tx pgx.Tx) error {
					out, err := desk.Receive(ctx, tx, ins)
					if err == nil && out[0].Status != ticketing.StatusAttached {
						err = fmt.Errorf("outcome %+v, want attached", out[0])
					}
					return err
				})
				if err != nil {
					b.Fatal(err)
				}
			}
			perMsg := time.Since(start) / time.Duration(b.N*batch)
			b.ReportMetric(float64(perMsg.Microseconds()), "µs/msg")
			if b.N > 1 { // not the warm-up round
				fmt.Printf("threading with %d stored messages: %v per message\n", stored, perMsg.Round(time.Microsecond))
			}
		})
	}
}

func ticketsFor(stored int) int { return max(1, stored/10) }

// seedMessages stores n messages on n/10 tickets, each with a requester.
func seedMessages(b *testing.B, pool *pgxpool.Pool, n int) {
	b.Helper()
	ctx := context.Background()
	t := ticketsFor(n)
	for _, q := range []string{
		`INSERT INTO tickets (subject, requester_addr, received_at)
		 SELECT 'seeded ' || g, 'user' || g || '@example.org', now() FROM generate_series(1, $2::int) g WHERE $1::int > 0`,
		`INSERT INTO participants (ticket_id, address, role)
		 SELECT g, 'user' || g || '@example.org', 'requester' FROM generate_series(1, $2::int) g WHERE $1::int > 0`,
		`INSERT INTO messages (ticket_id, direction, message_id, from_addr, subject, text_body, fingerprint, search)
		 SELECT 1 + (g - 1) % $2::int, 'in', 'seed-' || g || '@example.org', 'user' || g || '@example.org',
		        'seeded', 'body of message ' || g, sha256(g::text::bytea), to_tsvector('simple', 'seeded body of message ' || g)
		 FROM generate_series(1, $1::int) g`,
		`ANALYZE`,
	} {
		args := []any{n, t}
		if q == "ANALYZE" {
			args = nil
		}
		if _, err := pool.Exec(ctx, q, args...); err != nil {
			b.Fatal(err)
		}
	}
}

// seedCaptures records n inbound rows for the messages to come.
func seedCaptures(b *testing.B, pool *pgxpool.Pool, n int) []int64 {
	b.Helper()
	ctx := context.Background()
	if _, err := pool.Exec(ctx, `INSERT INTO mailboxes (name) VALUES ('support') ON CONFLICT DO NOTHING`); err != nil {
		b.Fatal(err)
	}
	rows, err := pool.Query(ctx, `INSERT INTO inbound (mailbox, uidvalidity, uid, sha256, size, raw)
		SELECT 'support', 1, g, sha256(g::text::bytea), 1, '\x00'::bytea FROM generate_series(1, $1) g RETURNING id`, n)
	if err != nil {
		b.Fatal(err)
	}
	ids, err := pgx.CollectRows(rows, pgx.RowTo[int64])
	if err != nil {
		b.Fatal(err)
	}
	return ids
}
