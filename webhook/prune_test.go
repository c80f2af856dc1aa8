package webhook_test

import (
	"context"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/deskgate/deskgate/internal/dbtest"
	"github.com/deskgate/deskgate/ticketing"
	"github.com/deskgate/deskgate/ticketing/rules"
	"github.com/deskgate/deskgate/webhook"
)

const month = 30 * 24 * time.Hour

// insertDeliveries inserts n deliveries of endpoint with status, queued
// ago, and returns nothing: their ids do not matter.
func insertDeliveries(t *testing.T, pool *pgxpool.Pool, endpoint, status string, ago time.Duration, n int) {
	t.Helper()
	if _, err := pool.Exec(context.Background(), `
INSERT INTO webhook_deliveries (endpoint, ticket_id, event, payload, status, created_at, sent_at)
SELECT $1, i, 'ticket.created', '{}', $2, now() - $3 * interval '1 second',
       CASE WHEN $2 = 'sent' THEN now() - $3 * interval '1 second' END
FROM generate_series(1, $4) AS i`, endpoint, status, ago.Seconds(), n); err != nil {
		t.Fatal(err)
	}
}

// countDeliveries returns the deliveries by status and age: "sent old"
// counts those sent that were queued more than a month ago.
func countDeliveries(t *testing.T, pool *pgxpool.Pool) map[string]int {
	t.Helper()
	return counts(t, pool, `
SELECT status || CASE WHEN created_at < now() - interval '30 days' THEN ' old' ELSE ' recent' END, count(*)
FROM webhook_deliveries GROUP BY 1`)
}

// counts runs query, which returns a key and a count a row, as a map.
func counts(t *testing.T, pool *pgxpool.Pool, query string, args ...any) map[string]int {
	t.Helper()
	rows, err := pool.Query(context.Background(), query, args...)
	if err != nil {
		t.Fatal(err)
	}
	m := map[string]int{}
	var key string
	var n int
	if _, err := pgx.ForEachRow(rows, []any{&key, &n}, func() error { m[key] = n; return nil }); err != nil {
		t.Fatal(err)
	}
	return m
}

// TestPruneKeepsQueuedAndRecent: Prune deletes the deliveries sent or
// given up that were queued before the cutoff, in batches, and keeps the
// queued ones however old (those of an endpoint no longer configured
// too: Sync gives them up when it removes the endpoint, Prune never
// does) and the recent ones.
func TestPruneKeepsQueuedAndRecent(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	pool := dbtest.Pool(t)
	insertDeliveries(t, pool, "crm", "sent", 40*24*time.Hour, 2500) // three batches
	insertDeliveries(t, pool, "crm", "given_up", 31*24*time.Hour, 10)
	insertDeliveries(t, pool, "gone", "queued", 90*24*time.Hour, 5)
	insertDeliveries(t, pool, "crm", "sent", 29*24*time.Hour, 20)
	insertDeliveries(t, pool, "crm", "given_up", 2*24*time.Hour, 3)
	insertDeliveries(t, pool, "crm", "queued", time.Minute, 7)

	n, err := webhook.Prune(ctx, pool, month)
	if err != nil || n != 2510 {
		t.Fatalf("Prune(30 days) = %d, %v; want 2510 deleted", n, err)
	}
	want := map[string]int{"queued old": 5, "queued recent": 7, "sent recent": 20, "given_up recent": 3}
	got := countDeliveries(t, pool)
	for k, v := range want {
		if got[k] != v {
			t.Errorf("after Prune: %d %s deliveries, want %d (all: %v)", got[k], k, v, got)
		}
	}
	if len(got) != len(want) {
		t.Errorf("after Prune: %v, want %v", got, want)
	}
	if n, err := webhook.Prune(ctx, pool, month); err != nil || n != 0 {
		t.Errorf("Prune again = %d, %v; want nothing deleted", n, err)
	}
	if n, err := webhook.Prune(ctx, pool, 0); err == nil || n != 0 {
		t.Errorf("Prune(0) = %d, %v; want an error and nothing deleted", n, err)
	}
}

// TestPruneReadsOnlyWhatItDeletes: each batch of Prune reads the old
// finished deliveries it deletes, not the queue or the recent history,
// also when the statistics were taken while every delivery was queued.
func TestPruneReadsOnlyWhatItDeletes(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	pool := dbtest.Pool(t)
	insertDeliveries(t, pool, "crm", "queued", time.Minute, 20)
	if _, err := pool.Exec(ctx, `ANALYZE webhook_deliveries`); err != nil {
		t.Fatal(err)
	}
	insertDeliveries(t, pool, "crm", "sent", 40*24*time.Hour, 50)
	insertDeliveries(t, pool, "crm", "queued", 40*24*time.Hour, 3000)
	insertDeliveries(t, pool, "crm", "sent", 24*time.Hour, 20000)
	// pgx prepares the statement, and PostgreSQL may keep a generic plan
	// after five runs: a long history is pruned in many batches on one
	// connection.
	for _, mode := range []string{"force_custom_plan", "force_generic_plan"} {
		tx, err := pool.Begin(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := tx.Exec(ctx, "SELECT set_config('plan_cache_mode', $1, true)", mode); err != nil {
			t.Fatal(err)
		}
		if _, err := tx.Exec(ctx, "PREPARE prune_"+mode+" AS "+webhook.PruneSQL); err != nil {
			t.Fatal(err)
		}
		// The batch's rows, read by the index, then locked and deleted.
		if r := dbtest.PlanReads(t, tx, "webhook_deliveries", "prune_"+mode, month.Seconds(), 1000); r.Rows > 3*50 {
			t.Errorf("%s: pruning 50 of 23,070 deliveries read %d rows or index entries of webhook_deliveries; want at most %d",
				mode, r.Rows, 3*50)
		}
		tx.Rollback(ctx)
	}
}

// TestTotalsSurvivePruning: the counts of deliveries sent and given up,
// the last one sent and the last error, which status and /metrics show,
// are the same before and after the deliveries they count are pruned,
// and go on counting new ones.
func TestTotalsSurvivePruning(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	pool := dbtest.Pool(t)
	rc := &receiver{fail: 2}
	srv := httptest.NewServer(rc)
	defer srv.Close()
	ep := webhook.Endpoint{Name: "crm", URL: srv.URL, Secret: secret, MaxAge: time.Hour, Events: []string{"ticket.created", "ticket.status_changed"}}
	desk := ticketing.NewDesk(slog.New(slog.DiscardHandler), ticketing.Config{DeskAddresses: []string{"help@desk.example"},
		Policy: ticketing.PolicyConfig{Matrix: rules.DefaultMatrix(), DefaultImpact: "Low", DefaultUrgency: "Normal"}})
	if _, err := webhook.Sync(ctx, pool, []webhook.Endpoint{ep}); err != nil {
		t.Fatal(err)
	}
	sender := &webhook.Sender{DB: pool, Endpoints: []webhook.Endpoint{ep}, Owner: "test", Log: slog.New(slog.DiscardHandler),
		Client: &http.Client{Timeout: time.Second}, Poll: 5 * time.Millisecond, Backoff: func(int) time.Duration { return 5 * time.Millisecond }}
	runCtx, stop := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- sender.Run(runCtx) }()
	defer func() {
		stop()
		if err := <-done; err != nil {
			t.Errorf("Sender.Run = %v", err)
		}
	}()
	// waitFor waits until the endpoint has nothing queued and sent sent.
	waitFor := func(sent int64) webhook.Backlog {
		t.Helper()
		deadline := time.Now().Add(30 * time.Second)
		for {
			bs, err := webhook.Backlogs(ctx, pool)
			if err != nil {
				t.Fatal(err)
			}
			if len(bs) == 1 && bs[0].Queued == 0 && bs[0].Sent >= sent {
				return bs[0]
			}
			if time.Now().After(deadline) {
				t.Fatalf("Backlogs = %+v, want nothing queued and %d sent", bs, sent)
			}
			time.Sleep(10 * time.Millisecond)
		}
	}

	// Three tickets created and one changed: four deliveries, two attempts
	// failed; and one given up.
	a := open(t, pool, desk, 1, "VPN down")
	open(t, pool, desk, 2, "Printer")
	open(t, pool, desk, 3, "Badge")
	if err := desk.Apply(ctx, pool, a, "", ticketing.Change{Status: ptr("open")}); err != nil {
		t.Fatal(err)
	}
	if _, err := pool.Exec(ctx, `INSERT INTO webhook_deliveries (endpoint, ticket_id, event, payload, created_at, next_attempt_at)
		VALUES ('crm', NULL, 'ticket.status_changed', '{}', now() - interval '2 hours', now() + interval '1 hour')`); err != nil {
		t.Fatal(err)
	}
	before := waitFor(4)
	if before.Sent != 4 || before.GivenUp != 1 || before.LastSent == nil || before.LastError == "" {
		t.Fatalf("Backlogs = %+v, want 4 sent, 1 given up, the last sent and the last error", before)
	}

	// A month later the finished deliveries are pruned; the counts stay.
	if _, err := pool.Exec(ctx, `UPDATE webhook_deliveries SET created_at = created_at - interval '40 days'`); err != nil {
		t.Fatal(err)
	}
	if n, err := webhook.Prune(ctx, pool, month); err != nil || n != 5 {
		t.Fatalf("Prune = %d, %v; want the 5 finished deliveries deleted", n, err)
	}
	if got := countDeliveries(t, pool); len(got) != 0 {
		t.Fatalf("after Prune: deliveries %v, want none", got)
	}
	after := waitFor(0)
	if after.Sent != before.Sent || after.GivenUp != before.GivenUp || !after.LastSent.Equal(*before.LastSent) ||
		after.LastError != before.LastError {
		t.Errorf("Backlogs after pruning = %+v, want what it was before: %+v", after, before)
	}

	// New deliveries are counted on top.
	if err := desk.Apply(ctx, pool, a, "", ticketing.Change{Status: ptr("pending")}); err != nil {
		t.Fatal(err)
	}
	open(t, pool, desk, 4, "Laptop")
	later := waitFor(6)
	if later.Sent != 6 || later.GivenUp != 1 || !later.LastSent.After(*before.LastSent) {
		t.Errorf("Backlogs after two more deliveries = %+v, want 6 sent, 1 given up, a later last sent", later)
	}
}
