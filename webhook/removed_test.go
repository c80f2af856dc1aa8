package webhook_test

import (
	"context"
	"log/slog"
	"maps"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/deskgate/deskgate/internal/dbtest"
	"github.com/deskgate/deskgate/ticketing"
	"github.com/deskgate/deskgate/ticketing/rules"
	"github.com/deskgate/deskgate/webhook"
)

func newDesk() *ticketing.Desk {
	return ticketing.NewDesk(slog.New(slog.DiscardHandler), ticketing.Config{DeskAddresses: []string{"help@desk.example"},
		Policy: ticketing.PolicyConfig{Matrix: rules.DefaultMatrix(), DefaultImpact: "Low", DefaultUrgency: "Normal"}})
}

// deliveryStates returns an endpoint's deliveries as "status: last_error"
// counts.
func deliveryStates(t *testing.T, pool *pgxpool.Pool, endpoint string) map[string]int {
	t.Helper()
	return counts(t, pool, `
SELECT status || ': ' || last_error, count(*) FROM webhook_deliveries WHERE endpoint = $1 GROUP BY 1`, endpoint)
}

// totals returns an endpoint's row of webhook_totals: sent and given up.
func totals(t *testing.T, pool *pgxpool.Pool, endpoint string) (sent, givenUp int64) {
	t.Helper()
	err := pool.QueryRow(context.Background(), `
SELECT coalesce(sum(sent), 0), coalesce(sum(given_up), 0) FROM webhook_totals WHERE endpoint = $1`, endpoint).Scan(&sent, &givenUp)
	if err != nil {
		t.Fatal(err)
	}
	return sent, givenUp
}

// TestRemovedEndpointsQueueIsGivenUp: deliveries queued for an endpoint
// that then leaves the configuration have no sender loop and would stay
// queued for ever, never pruned and shown nowhere; Sync gives them up, in
// the transaction that removes the endpoint, with the reason, and counts
// them in its totals, so that retention prunes them with the rest.
func TestRemovedEndpointsQueueIsGivenUp(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	pool := dbtest.Pool(t)
	rc := &receiver{}
	srv := httptest.NewServer(rc)
	defer srv.Close()
	crm := webhook.Endpoint{Name: "crm", URL: srv.URL, Secret: secret, MaxAge: time.Hour, Events: []string{"ticket.created"}}
	erp := webhook.Endpoint{Name: "erp", URL: srv.URL, Secret: secret, MaxAge: time.Hour, Events: []string{"ticket.created"}}
	if _, err := webhook.Sync(ctx, pool, []webhook.Endpoint{crm, erp}); err != nil {
		t.Fatal(err)
	}
	desk := newDesk()
	a := open(t, pool, desk, 1, "VPN down")
	open(t, pool, desk, 2, "Printer")
	open(t, pool, desk, 3, "Badge")
	// One of crm's had been tried and had failed.
	if _, err := pool.Exec(ctx, `UPDATE webhook_deliveries SET attempts = 2, last_error = 'answered 500'
		WHERE endpoint = 'crm' AND ticket_id = $1`, a); err != nil {
		t.Fatal(err)
	}

	// crm leaves the configuration.
	if got, err := webhook.Sync(ctx, pool, []webhook.Endpoint{erp}); err != nil || !slices.Equal(got, []webhook.Removed{{"crm", 3}}) {
		t.Fatalf("Sync(erp) = %v, %v; want crm removed with 3 deliveries given up", got, err)
	}
	// What runs for the configuration left, erp's sender, delivers erp's
	// and never looks at crm's.
	sender := &webhook.Sender{DB: pool, Endpoints: []webhook.Endpoint{erp}, Owner: "test", Log: slog.New(slog.DiscardHandler),
		Client: &http.Client{Timeout: time.Second}, Poll: 5 * time.Millisecond}
	runCtx, stop := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- sender.Run(runCtx) }()
	for deadline := time.Now().Add(30 * time.Second); ; {
		if got := deliveryStates(t, pool, "erp"); got["sent: "] == 3 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("erp's deliveries = %v, want 3 sent", deliveryStates(t, pool, "erp"))
		}
		time.Sleep(10 * time.Millisecond)
	}
	stop()
	if err := <-done; err != nil {
		t.Errorf("Sender.Run = %v", err)
	}

	const removed = "endpoint removed from the configuration"
	want := map[string]int{"given_up: " + removed: 2, "given_up: " + removed + "; last attempt: answered 500": 1}
	got := deliveryStates(t, pool, "crm")
	if len(got) != len(want) {
		t.Errorf("crm's deliveries after it left the configuration = %v, want %v", got, want)
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("crm's deliveries after it left the configuration = %v, want %v", got, want)
			break
		}
	}
	if sent, givenUp := totals(t, pool, "crm"); sent != 0 || givenUp != 3 {
		t.Errorf("crm's totals = %d sent, %d given up; want 0 and 3", sent, givenUp)
	}
	if sent, givenUp := totals(t, pool, "erp"); sent != 3 || givenUp != 0 {
		t.Errorf("erp's totals = %d sent, %d given up; want 3 and 0", sent, givenUp)
	}

	// A month later retention prunes them with the rest.
	if _, err := pool.Exec(ctx, `UPDATE webhook_deliveries SET created_at = created_at - interval '40 days'`); err != nil {
		t.Fatal(err)
	}
	if n, err := webhook.Prune(ctx, pool, month); err != nil || n != 6 {
		t.Errorf("Prune a month later = %d, %v; want all 6 deliveries, crm's 3 and erp's 3, deleted (left: crm %v, erp %v)",
			n, err, deliveryStates(t, pool, "crm"), deliveryStates(t, pool, "erp"))
	}
	rc.mu.Lock()
	if rc.requests != 3 || strings.Join(rc.bad, "") != "" {
		t.Errorf("the receiver had %d requests (bad: %q), want erp's 3", rc.requests, rc.bad)
	}
	rc.mu.Unlock()
}

// TestKeptEndpointKeepsItsQueue: syncing a configuration that keeps an
// endpoint, with other events or beside one removed, or again from
// another process, leaves its queued deliveries as they were.
func TestKeptEndpointKeepsItsQueue(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	pool := dbtest.Pool(t)
	crm := webhook.Endpoint{Name: "crm", URL: "http://127.0.0.1:1", Secret: secret, Events: []string{"ticket.created"}}
	erp := webhook.Endpoint{Name: "erp", URL: "http://127.0.0.1:1", Secret: secret, Events: []string{"ticket.created"}}
	if _, err := webhook.Sync(ctx, pool, []webhook.Endpoint{crm, erp}); err != nil {
		t.Fatal(err)
	}
	desk := newDesk()
	a := open(t, pool, desk, 1, "VPN down")
	open(t, pool, desk, 2, "Printer")
	if _, err := pool.Exec(ctx, `UPDATE webhook_deliveries SET attempts = 2, last_error = 'answered 500'
		WHERE endpoint = 'crm' AND ticket_id = $1`, a); err != nil {
		t.Fatal(err)
	}
	want := map[string]int{"queued: ": 1, "queued: answered 500": 1}
	crm.Events = []string{"ticket.created", "ticket.status_changed"}
	for i, c := range []struct {
		eps     []webhook.Endpoint
		removed []webhook.Removed
	}{
		{[]webhook.Endpoint{crm, erp}, nil},
		{[]webhook.Endpoint{erp, crm}, nil},
		{[]webhook.Endpoint{crm}, []webhook.Removed{{"erp", 2}}},
		{[]webhook.Endpoint{crm}, nil}, // another process, the same configuration
	} {
		got, err := webhook.Sync(ctx, pool, c.eps)
		if err != nil || !slices.Equal(got, c.removed) {
			t.Errorf("Sync %d = %v, %v; want %v removed", i+1, got, err, c.removed)
		}
		if got := deliveryStates(t, pool, "crm"); !maps.Equal(got, want) {
			t.Errorf("after Sync %d crm's deliveries = %v, want %v", i+1, got, want)
		}
	}
	if sent, givenUp := totals(t, pool, "crm"); sent != 0 || givenUp != 0 {
		t.Errorf("crm's totals = %d sent, %d given up; want none", sent, givenUp)
	}
	if sent, givenUp := totals(t, pool, "erp"); sent != 0 || givenUp != 2 {
		t.Errorf("erp's totals = %d sent, %d given up; want 0 and 2", sent, givenUp)
	}
}

// TestReturningEndpointStartsEmpty: an endpoint removed from the
// configuration and then configured again under the same name is sent
// only the changes made after it returned, and its totals go on from
// where they were.
func TestReturningEndpointStartsEmpty(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	pool := dbtest.Pool(t)
	rc := &receiver{}
	srv := httptest.NewServer(rc)
	defer srv.Close()
	crm := webhook.Endpoint{Name: "crm", URL: srv.URL, Secret: secret, MaxAge: time.Hour, Events: []string{"ticket.created"}}
	desk := newDesk()
	if _, err := webhook.Sync(ctx, pool, []webhook.Endpoint{crm}); err != nil {
		t.Fatal(err)
	}
	open(t, pool, desk, 1, "VPN down")
	open(t, pool, desk, 2, "Printer")
	if got, err := webhook.Sync(ctx, pool, nil); err != nil || !slices.Equal(got, []webhook.Removed{{"crm", 2}}) {
		t.Fatalf("Sync(none) = %v, %v; want crm removed with 2 deliveries given up", got, err)
	}
	open(t, pool, desk, 3, "Badge") // while crm is away: nothing queued
	if got, err := webhook.Sync(ctx, pool, []webhook.Endpoint{crm}); err != nil || len(got) != 0 {
		t.Fatalf("Sync(crm) = %v, %v; want nothing removed", got, err)
	}
	bs, err := webhook.Backlogs(ctx, pool)
	if err != nil || len(bs) != 1 || bs[0].Queued != 0 || bs[0].GivenUp != 2 {
		t.Fatalf("Backlogs after crm returned = %+v, %v; want crm with nothing queued and 2 given up", bs, err)
	}
	c := open(t, pool, desk, 4, "Laptop")
	sender := &webhook.Sender{DB: pool, Endpoints: []webhook.Endpoint{crm}, Owner: "test", Log: slog.New(slog.DiscardHandler),
		Client: &http.Client{Timeout: time.Second}, Poll: 5 * time.Millisecond}
	runCtx, stop := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- sender.Run(runCtx) }()
	for deadline := time.Now().Add(30 * time.Second); ; {
		bs, err := webhook.Backlogs(ctx, pool)
		if err != nil {
			t.Fatal(err)
		}
		if len(bs) == 1 && bs[0].Sent == 1 {
			if bs[0].Queued != 0 || bs[0].GivenUp != 2 {
				t.Errorf("Backlogs = %+v, want crm with 1 sent, 2 given up and nothing queued", bs)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("Backlogs = %+v, want crm's new delivery sent", bs)
		}
		time.Sleep(10 * time.Millisecond)
	}
	time.Sleep(50 * time.Millisecond) // ten more polls: nothing else to send
	stop()
	if err := <-done; err != nil {
		t.Errorf("Sender.Run = %v", err)
	}
	rc.mu.Lock()
	defer rc.mu.Unlock()
	if len(rc.accepted) != 1 || rc.accepted[0].Data.Ticket != c || rc.requests != 1 {
		t.Errorf("crm was sent %+v in %d requests, want only ticket %d's creation", rc.accepted, rc.requests, c)
	}
}

// TestRemovalWaitsForChangesInFlight: a change that read the endpoints
// before Sync removed one queues a delivery for it that Sync cannot see
// until the change commits. Sync waits for such changes, and a change
// that queues while Sync waits sees the endpoint gone, so nothing is
// left queued for it; also when Sync removes the last endpoint and
// switches the trigger off, without deadlocking with the changes.
func TestRemovalWaitsForChangesInFlight(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	pool := dbtest.Pool(t)
	crm := webhook.Endpoint{Name: "crm", URL: "http://127.0.0.1:1", Secret: secret, Events: []string{"ticket.created"}}
	erp := webhook.Endpoint{Name: "erp", URL: "http://127.0.0.1:1", Secret: secret, Events: []string{"ticket.created"}}
	// change begins a transaction that creates ticket id, and so queues its
	// deliveries, and leaves it open.
	change := func(id int) (pgx.Tx, error) {
		tx, err := pool.Begin(ctx)
		if err != nil {
			return nil, err
		}
		if _, err := tx.Exec(ctx, `INSERT INTO tickets (id, subject, requester_addr, received_at)
			VALUES ($1::bigint, 'Subject', 'c' || $1::bigint || '@example.se', now())`, id); err != nil {
			tx.Rollback(ctx)
			return nil, err
		}
		if _, err := tx.Exec(ctx, `INSERT INTO events (ticket_id, actor, kind, detail) VALUES ($1, 'deskgate', 'ticket.created', '{}')`, id); err != nil {
			tx.Rollback(ctx)
			return nil, err
		}
		return tx, nil
	}
	// waiting waits until n statements wait for a lock on the deliveries or
	// the events, or until done has an answer.
	waiting := func(n int, done <-chan error) {
		t.Helper()
		for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); time.Sleep(5 * time.Millisecond) {
			if len(done) > 0 {
				return
			}
			var got int
			if err := pool.QueryRow(ctx, `SELECT count(*) FROM pg_locks WHERE NOT granted AND locktype = 'relation'
				AND relation IN ('webhook_deliveries'::regclass, 'events'::regclass)`).Scan(&got); err != nil {
				t.Fatal(err)
			}
			if got >= n {
				return
			}
		}
		t.Fatalf("no %d statements waiting for the deliveries or the events", n)
	}

	for i, c := range []struct {
		keep    []webhook.Endpoint
		removed []webhook.Removed
		// the deliveries after it, as "status: last_error" counts
		crm, erp map[string]int
	}{
		{[]webhook.Endpoint{erp}, []webhook.Removed{{"crm", 1}},
			map[string]int{"given_up: endpoint removed from the configuration": 1}, map[string]int{"queued: ": 2}},
		// The trigger is switched off: the change during Sync queues nothing.
		{nil, []webhook.Removed{{"crm", 1}, {"erp", 3}},
			map[string]int{"given_up: endpoint removed from the configuration": 2},
			map[string]int{"given_up: endpoint removed from the configuration": 3}},
	} {
		if _, err := webhook.Sync(ctx, pool, []webhook.Endpoint{crm, erp}); err != nil {
			t.Fatal(err)
		}
		before, err := change(2*i + 1) // queued for crm and erp, not committed
		if err != nil {
			t.Fatal(err)
		}
		defer before.Rollback(ctx) // after a failure
		done := make(chan error, 1)
		var removed []webhook.Removed
		go func() {
			var err error
			removed, err = webhook.Sync(ctx, pool, c.keep)
			done <- err
		}()
		waiting(1, done)
		queued := make(chan error, 1)
		go func() { // a change that queues while Sync waits
			tx, err := change(2*i + 2)
			if err == nil {
				err = tx.Commit(ctx)
			}
			queued <- err
		}()
		waiting(2, done)
		if err := before.Commit(ctx); err != nil {
			t.Fatal(err)
		}
		if err := <-done; err != nil || !slices.Equal(removed, c.removed) {
			t.Errorf("Sync(%d endpoints) = %v, %v; want %v removed", len(c.keep), removed, err, c.removed)
		}
		if err := <-queued; err != nil {
			t.Fatal(err)
		}
		if got := deliveryStates(t, pool, "crm"); !maps.Equal(got, c.crm) {
			t.Errorf("after Sync(%d endpoints) crm's deliveries = %v, want %v", len(c.keep), got, c.crm)
		}
		if got := deliveryStates(t, pool, "erp"); !maps.Equal(got, c.erp) {
			t.Errorf("after Sync(%d endpoints) erp's deliveries = %v, want %v", len(c.keep), got, c.erp)
		}
	}
	if _, givenUp := totals(t, pool, "crm"); givenUp != 2 {
		t.Errorf("crm's totals: %d given up, want 2", givenUp)
	}
	if _, givenUp := totals(t, pool, "erp"); givenUp != 3 {
		t.Errorf("erp's totals: %d given up, want 3", givenUp)
	}
}

// TestConcurrentSyncsRemoveOnce: processes starting at once with the same
// configuration each sync it; the endpoint it lacks is removed, and its
// queue given up and counted, by one of them.
func TestConcurrentSyncsRemoveOnce(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	pool := dbtest.Pool(t)
	crm := webhook.Endpoint{Name: "crm", URL: "http://127.0.0.1:1", Secret: secret, Events: []string{"ticket.created"}}
	erp := webhook.Endpoint{Name: "erp", URL: "http://127.0.0.1:1", Secret: secret, Events: []string{"ticket.created"}}
	for _, keep := range [][]webhook.Endpoint{{erp}, nil} { // one endpoint left, then none
		if _, err := webhook.Sync(ctx, pool, []webhook.Endpoint{crm, erp}); err != nil {
			t.Fatal(err)
		}
		if _, err := pool.Exec(ctx, `
WITH t AS (INSERT INTO tickets (subject, requester_addr, received_at)
           SELECT 'Subject', 'c' || i || '@example.se', now() FROM generate_series(1, 5) AS i RETURNING id)
INSERT INTO events (ticket_id, actor, kind, detail) SELECT id, 'deskgate', 'ticket.created', '{}' FROM t`); err != nil {
			t.Fatal(err)
		}
		results := make(chan []webhook.Removed, 4)
		errs := make(chan error, 4)
		for range 4 {
			go func() {
				r, err := webhook.Sync(ctx, pool, keep)
				results <- r
				errs <- err
			}()
		}
		var removed []webhook.Removed
		for range 4 {
			removed = append(removed, <-results...)
			if err := <-errs; err != nil {
				t.Error(err)
			}
		}
		want := []webhook.Removed{{"crm", 5}}
		if len(keep) == 0 { // erp's queue holds both rounds' deliveries
			want = []webhook.Removed{{"crm", 5}, {"erp", 10}}
		}
		slices.SortFunc(removed, func(a, b webhook.Removed) int { return strings.Compare(a.Endpoint, b.Endpoint) })
		if !slices.Equal(removed, want) {
			t.Errorf("4 Syncs of %d endpoints removed %v in all, want %v", len(keep), removed, want)
		}
	}
	if _, givenUp := totals(t, pool, "crm"); givenUp != 10 {
		t.Errorf("crm's totals: %d given up, want 10", givenUp)
	}
	if _, givenUp := totals(t, pool, "erp"); givenUp != 10 {
		t.Errorf("erp's totals: %d given up, want 10", givenUp)
	}
	var queued int
	if err := pool.QueryRow(ctx, `SELECT count(*) FROM webhook_deliveries WHERE status = 'queued'`).Scan(&queued); err != nil || queued != 0 {
		t.Errorf("%d deliveries queued (%v), want none", queued, err)
	}
}
