package webhook

import (
	"context"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/deskgate/deskgate/internal/dbtest"
	"github.com/deskgate/deskgate/ticketing"
)

// Every status call and /metrics scrape reads the backlog, and the
// deliveries a busy desk has sent pile up faster than autovacuum analyzes
// them: the statement must read the queued rows, not the history, whatever
// the statistics say. These tests plan it while every delivery is queued
// (the statistics a fresh desk has) and run it after thousands were sent.

func TestBacklogReadsOnlyTheQueue(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	pool := dbtest.Pool(t)
	deliveries := func(endpoint, status string, n int) {
		t.Helper()
		if _, err := pool.Exec(ctx, `
INSERT INTO webhook_deliveries (endpoint, ticket_id, event, payload, status, sent_at, last_error)
SELECT $1, i % 50, 'ticket.created', '{"type": "ticket.created"}', $2,
       CASE WHEN $2 = 'sent' THEN now() END, CASE WHEN $2 = 'given_up' THEN 'timeout' ELSE '' END
FROM generate_series(1, $3) AS i`, endpoint, status, n); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := pool.Exec(ctx, `INSERT INTO webhook_endpoints (name, events) VALUES ('crm', '{ticket.created}'), ('erp', '{ticket.created}')`); err != nil {
		t.Fatal(err)
	}
	deliveries("crm", "queued", 5)
	deliveries("erp", "queued", 5)
	if _, err := pool.Exec(ctx, `ANALYZE webhook_deliveries`); err != nil {
		t.Fatal(err)
	}
	// The scraping connection runs the backlog now: pgx prepares the
	// statement, and PostgreSQL plans it once and keeps the plan.
	conn, err := pool.Acquire(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Release()
	if _, err := Backlogs(ctx, conn); err != nil {
		t.Fatal(err)
	}

	deliveries("crm", "sent", 20000)
	deliveries("crm", "given_up", 2000)
	deliveries("erp", "sent", 5000)
	deliveries("crm", "queued", 30)
	const queued = 5 + 5 + 30
	// A connection that runs it first now plans it with the statistics of
	// 10 queued deliveries.
	fresh, err := pgx.Connect(ctx, pool.Config().ConnConfig.ConnString())
	if err != nil {
		t.Fatal(err)
	}
	defer fresh.Close(ctx)
	if _, err := Backlogs(ctx, fresh); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		what string
		conn *pgx.Conn
	}{{"planned before 27,000 deliveries were finished", conn.Conn()}, {"planned with the statistics of 10 queued deliveries", fresh}} {
		// Each queued row may be read twice: its index entry for a bitmap,
		// then the row.
		if r := backlogReads(t, c.conn); r.Rows > 2*queued {
			t.Errorf("the backlog, %s, read %d rows or index entries of webhook_deliveries; want at most %d: the %d queued ones",
				c.what, r.Rows, 2*queued, queued)
		}
	}
	bs, err := Backlogs(ctx, conn)
	if err != nil {
		t.Fatal(err)
	}
	if len(bs) != 2 || bs[0].Queued != 35 || bs[1].Queued != 5 {
		t.Errorf("Backlogs = %+v, want crm with 35 queued and erp with 5", bs)
	}
}

// backlogReads runs the backlog statement that Backlogs prepared on conn,
// with the plan PostgreSQL kept, as Backlogs runs it.
func backlogReads(t *testing.T, conn *pgx.Conn) dbtest.Reads {
	t.Helper()
	ctx := context.Background()
	var name string
	if err := conn.QueryRow(ctx, `SELECT name FROM pg_prepared_statements WHERE statement = $1`, backlogSQL).Scan(&name); err != nil {
		t.Fatalf("the backlog's prepared statement: %v", err)
	}
	tx, err := conn.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback(ctx)
	if _, err := tx.Exec(ctx, ticketing.KeyLookupsSQL); err != nil {
		t.Fatal(err)
	}
	return dbtest.PlanReads(t, tx, "webhook_deliveries", name)
}

// TestRemovalReadsOnlyItsQueue: Sync gives up a removed endpoint's
// queued deliveries while it holds the lock that keeps changes from
// queueing more, so the statement must read those rows only, not the
// month of history nor other endpoints' queues, also when the statistics
// were taken while the table was nearly empty.
func TestRemovalReadsOnlyItsQueue(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	pool := dbtest.Pool(t)
	deliveries := func(endpoint, status string, n int) {
		t.Helper()
		if _, err := pool.Exec(ctx, `
INSERT INTO webhook_deliveries (endpoint, ticket_id, event, payload, status, sent_at)
SELECT $1, i % 50, 'ticket.created', '{}', $2, CASE WHEN $2 = 'sent' THEN now() END
FROM generate_series(1, $3) AS i`, endpoint, status, n); err != nil {
			t.Fatal(err)
		}
	}
	deliveries("crm", "queued", 20)
	if _, err := pool.Exec(ctx, `ANALYZE webhook_deliveries`); err != nil {
		t.Fatal(err)
	}
	deliveries("crm", "sent", 20000)
	deliveries("crm", "given_up", 1000)
	deliveries("erp", "queued", 3000)
	deliveries("crm", "queued", 30)
	const queued = 20 + 30
	for _, mode := range []string{"force_custom_plan", "force_generic_plan"} {
		tx, err := pool.Begin(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := tx.Exec(ctx, ticketing.KeyLookupsSQL); err != nil {
			t.Fatal(err)
		}
		if _, err := tx.Exec(ctx, "SELECT set_config('plan_cache_mode', $1, true)", mode); err != nil {
			t.Fatal(err)
		}
		if _, err := tx.Exec(ctx, "PREPARE removed_"+mode+" AS "+removedSQL); err != nil {
			t.Fatal(err)
		}
		// Each queued row may be read twice: its index entry, then the row.
		if r := dbtest.PlanReads(t, tx, "webhook_deliveries", "removed_"+mode, []string{"crm"}); r.Rows > 2*queued {
			t.Errorf("%s: giving up crm's %d queued deliveries of 24,050 read %d rows or index entries of webhook_deliveries; want at most %d",
				mode, queued, r.Rows, 2*queued)
		}
		tx.Rollback(ctx)
	}
}
