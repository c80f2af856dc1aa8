package ticketing

import (
	"context"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/deskgate/deskgate/internal/dbtest"
)

// The sender's statements must read only the rows they act on, however
// long the queue behind them and whatever the planner's statistics say: a
// backlog grows the outbox faster than autovacuum analyzes it, so during
// one the statistics describe a nearly empty table. These tests build
// that state (a fresh database, never analyzed) and read the plans the
// statements ran with.

// queueRows queues n notifications straight into the outbox.
func queueRows(t *testing.T, db DB, n int) {
	t.Helper()
	_, err := db.Exec(context.Background(), `
INSERT INTO outbox (event, automatic, recipient, message_id, from_name, from_addr, subject, text_body, next_attempt_at)
SELECT 'acknowledgement', i % 2 = 0, 'r' || i || '@example.se', 'plan-' || i || '-' || random() || '@desk.example', 'Desk', 'help@desk.example',
       'Subject ' || i, repeat('text ', 200), now() - interval '1 hour' + i * interval '1 ms'
FROM generate_series(1, $1) AS i`, n)
	if err != nil {
		t.Fatal(err)
	}
}

// outboxRowsRead runs query under EXPLAIN ANALYZE in tx with the plan
// cache mode given (pgx prepares every statement, and after five runs
// PostgreSQL may keep a generic plan, made once with the statistics of
// that moment) and returns how many outbox rows and index entries its
// scans returned, and whether the plan sorts.
func outboxRowsRead(t *testing.T, pool *pgxpool.Pool, mode, prelude, query string, args ...any) (rows int, sorts bool) {
	t.Helper()
	ctx := context.Background()
	tx, err := pool.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback(ctx)
	if _, err := tx.Exec(ctx, prelude); err != nil {
		t.Fatal(err)
	}
	if _, err := tx.Exec(ctx, "SELECT set_config('plan_cache_mode', $1, true)", mode); err != nil {
		t.Fatal(err)
	}
	name := fmt.Sprintf("planned_%d", planned.Add(1)) // PREPARE outlives the transaction
	if _, err := tx.Exec(ctx, "PREPARE "+name+" AS "+query); err != nil {
		t.Fatal(err)
	}
	r := dbtest.PlanReads(t, tx, "outbox", name, args...) // in a savepoint of tx
	return r.Rows, r.Sorts
}

var planned atomic.Int64

var planModes = []string{"force_custom_plan", "force_generic_plan"}

func TestClaimReadsOnlyTheRowsItTakes(t *testing.T) {
	t.Parallel()
	pool := dbtest.Pool(t)
	queueRows(t, pool, 3000)
	for _, mode := range planModes {
		for _, query := range []string{claimAnySQL, claimPersonalSQL} {
			rows, sorts := outboxRowsRead(t, pool, mode, claimPlanSQL, query, "p", time.Minute, 20)
			if sorts || rows > 40 {
				t.Errorf("%s: claiming 20 of 3,000 queued rows read %d outbox rows (sorting: %v); want the queue's index read in order: 20 rows and their updates",
					mode, rows, sorts)
			}
		}
	}
}

func TestRecordingAResultReadsOnlyItsRow(t *testing.T) {
	t.Parallel()
	pool := dbtest.Pool(t)
	ctx := context.Background()
	lease := func() int64 {
		queueRows(t, pool, 1)
		var id int64
		if err := pool.QueryRow(ctx, `UPDATE outbox SET lease_owner = 'p', lease_until = now() + interval '1 minute', attempts = 1
			WHERE status = 'queued' RETURNING id`).Scan(&id); err != nil {
			t.Fatal(err)
		}
		return id
	}
	args := func(id int64) []any {
		return []any{"p", []int64{id}, []string{ResultSent}, []string{"250 ok"}, []time.Time{time.Now()}, 0.0, []int32{1},
			[]bool{false}, []int64{}, []string{}, []string{}, []string{}, []bool{true}, []int32{0}}
	}
	// The sender's connection plans the statement while the outbox is
	// nearly empty (a generic plan: pgx prepares it, and PostgreSQL keeps
	// one after five runs)...
	conn, err := pool.Acquire(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Release()
	if _, err := conn.Exec(ctx, "SET plan_cache_mode = force_generic_plan; PREPARE record AS "+recordResultsSQL); err != nil {
		t.Fatal(err)
	}
	queueRows(t, pool, 200)
	if _, err := pool.Exec(ctx, `UPDATE outbox SET lease_owner = 'p', lease_until = now() + interval '1 minute', attempts = 1 WHERE id % 5 = 0`); err != nil {
		t.Fatal(err)
	}
	dbtest.PlanReads(t, conn.Conn(), "outbox", "record", args(lease())...)
	// ... then claims and settles 3,000 emails before autovacuum comes,
	// and now holds one.
	queueRows(t, pool, 3000)
	if _, err := pool.Exec(ctx, `UPDATE outbox SET lease_owner = 'p', lease_until = now() + interval '1 minute', attempts = 1`); err != nil {
		t.Fatal(err)
	}
	if _, err := pool.Exec(ctx, `UPDATE outbox SET status = 'sent', lease_owner = NULL, lease_until = NULL`); err != nil {
		t.Fatal(err)
	}
	if r := dbtest.PlanReads(t, conn.Conn(), "outbox", "record", args(lease())...); r.Rows > 4 {
		t.Errorf("recording one result read %d outbox rows or index entries; want its own row", r.Rows)
	}
}

func TestRecentMailCountsReadOnlyTheRecipientsRows(t *testing.T) {
	t.Parallel()
	pool := dbtest.Pool(t)
	queueRows(t, pool, 3000)
	// Mail that answered someone is in the conversation index, which the
	// statistics, gathered before, believe empty (as on a desk whose
	// history holds no such mail, before a backlog fills it): a
	// conversation's count must read its pair's entries, not every recent
	// one (each batch read them all: 36 ms a batch on the million-ticket
	// fixture).
	if _, err := pool.Exec(context.Background(), `ANALYZE outbox; UPDATE outbox SET sender = 'help@desk.example'`); err != nil {
		t.Fatal(err)
	}
	// A batch's recipients: 300 new addresses and one with a row.
	addrs, tickets := []string{"r2@example.se"}, []int64{0}
	for i := range 300 {
		addrs, tickets = append(addrs, fmt.Sprintf("new%d@example.se", i)), append(tickets, 0)
	}
	windows := []float64{3600, 86400}
	for _, mode := range planModes {
		for _, query := range []string{recentAutomaticSQL, recentRelayedSQL, recentTicketSQL} {
			rows, _ := outboxRowsRead(t, pool, mode, "SELECT 1", query, addrs, tickets, windows)
			if rows > 20 {
				t.Errorf("%s: counting the recent mail of 301 recipients read %d outbox rows; want only theirs:\n%s", mode, rows, query)
			}
		}
		senders := make([]string, len(addrs))
		for i := range senders {
			senders[i] = "zz" + addrs[i] // pairs are (least, greatest)
		}
		if rows, _ := outboxRowsRead(t, pool, mode, "SELECT 1", conversationSQL, addrs, senders, 3600.0); rows > 20 {
			t.Errorf("%s: counting the mail of 301 conversations read %d outbox rows; want only theirs", mode, rows)
		}
	}
}

// TestPlannedBatchSettingsHoldForTheBatchOnly: the claim and the recording
// of results rely on a batch being one transaction, so that the planner
// settings queued first hold for the statement after them, on the same
// connection, and not for what the connection runs next.
func TestPlannedBatchSettingsHoldForTheBatchOnly(t *testing.T) {
	ctx := context.Background()
	conn, err := dbtest.Pool(t).Acquire(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Release()
	var in, after string
	b := plannedBatch(genericPlanSQL)
	b.Queue("SELECT current_setting('plan_cache_mode')").QueryRow(func(r pgx.Row) error { return r.Scan(&in) })
	if err := conn.SendBatch(ctx, b).Close(); err != nil {
		t.Fatal(err)
	}
	if err := conn.QueryRow(ctx, "SELECT current_setting('plan_cache_mode')").Scan(&after); err != nil {
		t.Fatal(err)
	}
	if in != "force_generic_plan" || after != "auto" {
		t.Errorf("plan_cache_mode in the batch %q, after it %q; want force_generic_plan, then auto", in, after)
	}
}

// TestIngestLookupsReadOnlyTheirRows: the ingest transaction looks a
// batch's rows up by key, and must read only those, whatever the planner's
// statistics say. Planned with the statistics of a nearly empty table, as a
// fresh desk's first backlog plans them, each lookup read its table whole
// (BenchmarkIngest: 20-44 ms a batch for contacts alone by 6,000 rows).
// Receive plans each statement for its values (freshPlans), as here.
func TestIngestLookupsReadOnlyTheirRows(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	pool := dbtest.Pool(t)
	grow := func(from, to int) {
		t.Helper()
		for _, q := range []string{
			`INSERT INTO contacts (address) SELECT 'c' || i || '@example.se' FROM generate_series($1::int, $2::int) AS i`,
			`INSERT INTO tickets (id, subject, requester_name, requester_addr, received_at)
			 SELECT i, 'Subject ' || i, '', 'c' || i || '@example.se', now() FROM generate_series($1::int, $2::int) AS i`,
			`INSERT INTO messages (ticket_id, direction, message_id, from_name, from_addr, subject, text_body, class, fingerprint, search)
			 SELECT i, 'in', 'm' || i || '@example.se', '', 'c' || i || '@example.se', 'Subject ' || i, 'text', 'human', '\x00', ''
			 FROM generate_series($1::int, $2::int) AS i`,
		} {
			if _, err := pool.Exec(ctx, q, from, to); err != nil {
				t.Fatal(err)
			}
		}
	}
	grow(1, 20)
	if _, err := pool.Exec(ctx, `ANALYZE contacts, tickets, messages`); err != nil {
		t.Fatal(err)
	}
	grow(21, 6000)
	var addrs, mids []string
	var ids []int64
	for i := 3001; i <= 3200; i++ {
		addrs, mids, ids = append(addrs, fmt.Sprintf("c%d@example.se", i)), append(mids, fmt.Sprintf("m%d@example.se", i)), append(ids, int64(i))
	}
	for _, l := range []struct {
		table, query string
		arg          any
	}{
		{"contacts", knownSQL, addrs},
		{"messages", lookupMessagesSQL, mids},
		{"tickets", ticketInfoSQL, ids},
		{"tickets", ticketRulesSQL, ids},
		{"tickets", nextResponseSQL, ids},
	} {
		err := pgx.BeginFunc(ctx, pool, func(tx pgx.Tx) error {
			if _, err := tx.Exec(ctx, KeyLookupsSQL); err != nil {
				return err
			}
			if r := dbtest.QueryReads(t, tx, l.table, l.query, l.arg); r.Rows > 400 {
				t.Errorf("looking up 200 keys among 6,000 rows read %d %s rows or index entries; want about theirs:\n%s",
					r.Rows, l.table, l.query)
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
}

// TestFixingBodiesReadsOnlyTheirRows: storing the bodies rendered for a
// claim reads the claimed rows only, with the plan the sender's
// connection made while the outbox was nearly empty, after 3,000 emails
// were claimed and settled by the same owner (their entries still in
// outbox_leased until vacuum).
func TestFixingBodiesReadsOnlyTheirRows(t *testing.T) {
	t.Parallel()
	pool := dbtest.Pool(t)
	ctx := context.Background()
	claim := func(n int) []int64 {
		queueRows(t, pool, n)
		rows, err := pool.Query(ctx, `UPDATE outbox SET lease_owner = 'p', lease_until = now() + interval '1 minute', attempts = 1,
			render_data = '{}' WHERE status = 'queued' AND lease_owner IS NULL RETURNING id`)
		if err != nil {
			t.Fatal(err)
		}
		ids, err := pgx.CollectRows(rows, pgx.RowTo[int64])
		if err != nil {
			t.Fatal(err)
		}
		return ids
	}
	args := func(ids []int64) []any {
		n := len(ids)
		attempts, texts, failures := make([]int32, n), make([]string, n), make([]string, n)
		for i := range ids {
			attempts[i], texts[i] = 1, "text"
		}
		return []any{"p", ids, attempts, texts, texts, failures}
	}
	conn, err := pool.Acquire(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Release()
	// as in RenderClaimed's batch, after KeyLookupsSQL
	if _, err := conn.Exec(ctx, "SET plan_cache_mode = force_generic_plan; SET enable_seqscan = off; PREPARE fix AS "+fixBodiesSQL); err != nil {
		t.Fatal(err)
	}
	dbtest.PlanReads(t, conn.Conn(), "outbox", "fix", args(claim(5))...)
	claim(3000)
	if _, err := pool.Exec(ctx, `UPDATE outbox SET status = 'sent', lease_owner = NULL, lease_until = NULL, render_data = NULL`); err != nil {
		t.Fatal(err)
	}
	// each row read to lock it, then to update it: about 4 entries a row
	if r := dbtest.PlanReads(t, conn.Conn(), "outbox", "fix", args(claim(20))...); r.Rows > 5*20 {
		t.Errorf("fixing the bodies of 20 claimed emails read %d outbox rows or index entries; want their own", r.Rows)
	}
}

// TestRenewingReadsOnlyTheQueue: renewing an owner's claims, which locks
// them in the order of their ids, reads the queue (outbox_due) and not
// the outbox's whole history, whatever the statistics say (planned while
// the outbox held 10 rows, it read all 20,010 after).
func TestRenewingReadsOnlyTheQueue(t *testing.T) {
	t.Parallel()
	pool := dbtest.Pool(t)
	ctx := context.Background()
	queueRows(t, pool, 10)
	if _, err := pool.Exec(ctx, `ANALYZE outbox`); err != nil {
		t.Fatal(err)
	}
	queueRows(t, pool, 20000)
	if _, err := pool.Exec(ctx, `UPDATE outbox SET status = 'sent' WHERE id % 10 <> 0;
		UPDATE outbox SET lease_owner = 'p', lease_until = now() + interval '1 minute' WHERE id % 100 = 0`); err != nil {
		t.Fatal(err)
	}
	if _, err := pool.Exec(ctx, `VACUUM outbox`); err != nil { // vacuumed, not analyzed
		t.Fatal(err)
	}
	for _, mode := range planModes {
		rows, _ := outboxRowsRead(t, pool, mode, KeyLookupsSQL, renewClaimsSQL, "p", time.Minute) // as RenewClaims runs it
		// each queued row: its index entry and its heap row
		if rows > 3*2001 {
			t.Errorf("%s: renewing 200 claims read %d outbox rows among 2,001 queued and 18,009 sent; want the queue at most", mode, rows)
		}
	}
}
