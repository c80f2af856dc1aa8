package migrations_test

import (
	"context"
	"os"
	"testing"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/deskgate/deskgate/internal/dbtest"
	"github.com/deskgate/deskgate/migrations"
	"github.com/deskgate/deskgate/ticketing"
	"github.com/deskgate/deskgate/ticketing/search"
)

func TestMain(m *testing.M) { os.Exit(dbtest.Main(m)) }

// TestSearchVectorsKeptThenRewritten: migration 00026 keeps the vectors
// PostgreSQL computed and records the messages holding them, which
// ReindexSearch then rewrites with search.Vector's words, in batches,
// once.
func TestSearchVectorsKeptThenRewritten(t *testing.T) {
	ctx := context.Background()
	pool, err := pgxpool.New(ctx, dbtest.EmptyURL(t))
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()
	if err := migrations.UpTo(ctx, pool, 25); err != nil {
		t.Fatal(err)
	}
	const n = 2500 // three batches
	if _, err := pool.Exec(ctx, `
		INSERT INTO tickets (id, subject, requester_addr, received_at) VALUES (1, 'VPN', 'alice@example.com', now());
		INSERT INTO messages (ticket_id, direction, from_addr, subject, text_body)
		SELECT 1, 'in', 'alice@example.com', 'VPN ' || g, 'Mail alice@example.com, message ' || g FROM generate_series(1, 2500) g`); err != nil {
		t.Fatal(err)
	}
	var before string
	if err := pool.QueryRow(ctx, `SELECT search::text FROM messages ORDER BY id LIMIT 1`).Scan(&before); err != nil {
		t.Fatal(err)
	}
	if _, err := migrations.Up(ctx, pool, nil); err != nil {
		t.Fatal(err)
	}
	var kept string
	var upto, next int64
	if err := pool.QueryRow(ctx, `SELECT (SELECT search::text FROM messages ORDER BY id LIMIT 1), upto, next FROM search_reindex`).Scan(&kept, &upto, &next); err != nil {
		t.Fatal(err)
	}
	if kept != before || upto != n || next != 0 {
		t.Fatalf("after 00026: vector %q (was %q), to rewrite (%d, %d], want (0, %d]", kept, before, next, upto, n)
	}
	var batches []int64
	if err := ticketing.ReindexSearch(ctx, pool, func(done, total int64) {
		if total != n {
			t.Errorf("total %d, want %d", total, n)
		}
		batches = append(batches, done)
	}); err != nil {
		t.Fatal(err)
	}
	if len(batches) != 3 || batches[2] != n {
		t.Errorf("progress %v, want three batches to %d", batches, n)
	}
	rows, err := pool.Query(ctx, `SELECT subject, text_body, search::text FROM messages`)
	if err != nil {
		t.Fatal(err)
	}
	var subject, body, got string
	count := 0
	for rows.Next() {
		if err := rows.Scan(&subject, &body, &got); err != nil {
			t.Fatal(err)
		}
		if want := search.Vector(subject, body).String(); got != want {
			t.Fatalf("vector of %q = %q, want %q", body, got, want)
		}
		count++
	}
	if rows.Err() != nil || count != n {
		t.Fatalf("%d messages read (%v)", count, rows.Err())
	}
	var left int
	if err := pool.QueryRow(ctx, `SELECT count(*) FROM search_reindex`).Scan(&left); err != nil || left != 0 {
		t.Errorf("search_reindex holds %d rows (%v)", left, err)
	}
	if err := ticketing.ReindexSearch(ctx, pool, func(int64, int64) { t.Error("a second run rewrote vectors") }); err != nil {
		t.Fatal(err)
	}
}
