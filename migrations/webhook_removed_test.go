package migrations_test

import (
	"context"
	"maps"
	"testing"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/deskgate/deskgate/internal/dbtest"
	"github.com/deskgate/deskgate/migrations"
)

// TestRemovedEndpointsQueuesGivenUp: migration 00030 gives up the
// deliveries left queued by endpoints removed from the configuration
// before Sync gave them up itself, counted in their totals, and leaves
// the configured endpoints' queues and every finished delivery alone;
// its Down section changes nothing, and running it again counts nothing
// twice.
func TestRemovedEndpointsQueuesGivenUp(t *testing.T) {
	ctx := context.Background()
	pool, err := pgxpool.New(ctx, dbtest.EmptyURL(t))
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()
	if err := migrations.UpTo(ctx, pool, 27); err != nil {
		t.Fatal(err)
	}
	if _, err := pool.Exec(ctx, `
INSERT INTO webhook_endpoints (name, events) VALUES ('crm', '{ticket.created}');
INSERT INTO webhook_totals (endpoint, sent, given_up, last_error) VALUES ('gone', 7, 1, 'answered 500');
INSERT INTO webhook_deliveries (endpoint, event, payload, status, last_error, lease_owner, lease_until) VALUES
    ('crm', 'ticket.created', '{}', 'queued', 'answered 500', NULL, NULL),
    ('gone', 'ticket.created', '{}', 'queued', '', NULL, NULL),
    ('gone', 'ticket.created', '{}', 'queued', 'answered 500', 'old-process', now() + interval '1 minute'),
    ('gone', 'ticket.created', '{}', 'sent', '', NULL, NULL),
    ('gone', 'ticket.created', '{}', 'given_up', 'timeout', NULL, NULL),
    ('left', 'ticket.created', '{}', 'queued', '', NULL, NULL)`); err != nil {
		t.Fatal(err)
	}
	read := func() (deliveries, totals map[string]int) {
		t.Helper()
		deliveries, totals = map[string]int{}, map[string]int{}
		for q, m := range map[string]map[string]int{
			`SELECT endpoint || ' ' || status || ': ' || last_error || CASE WHEN lease_owner IS NULL THEN '' ELSE ' (leased)' END, count(*)
			 FROM webhook_deliveries GROUP BY 1`: deliveries,
			`SELECT endpoint || ' sent ' || sent || ', given up ' || given_up || ': ' || last_error, 1 FROM webhook_totals`: totals,
		} {
			rows, err := pool.Query(ctx, q)
			if err != nil {
				t.Fatal(err)
			}
			var k string
			var n int
			for rows.Next() {
				if err := rows.Scan(&k, &n); err != nil {
					t.Fatal(err)
				}
				m[k] = n
			}
			if rows.Err() != nil {
				t.Fatal(rows.Err())
			}
		}
		return deliveries, totals
	}
	const removed = "given_up: endpoint removed from the configuration"
	wantDeliveries := map[string]int{
		"crm queued: answered 500":                         1,
		"gone " + removed:                                  1,
		"gone " + removed + "; last attempt: answered 500": 1,
		"gone sent: ":                                      1,
		"gone given_up: timeout":                           1,
		"left " + removed:                                  1,
	}
	// The totals' last error stays the last failed attempt's.
	wantTotals := map[string]int{"gone sent 7, given up 3: answered 500": 1, "left sent 0, given up 1: ": 1}
	check := func(when string) {
		t.Helper()
		deliveries, totals := read()
		if !maps.Equal(deliveries, wantDeliveries) {
			t.Errorf("deliveries %s = %v, want %v", when, deliveries, wantDeliveries)
		}
		if !maps.Equal(totals, wantTotals) {
			t.Errorf("totals %s = %v, want %v", when, totals, wantTotals)
		}
	}
	if _, err := migrations.Up(ctx, pool, nil); err != nil {
		t.Fatal(err)
	}
	check("after 00030")
	if err := migrations.DownTo(ctx, pool, 27); err != nil {
		t.Fatalf("00030 down: %v", err)
	}
	check("after 00030 down")
	if _, err := migrations.Up(ctx, pool, nil); err != nil {
		t.Fatalf("00030 up again: %v", err)
	}
	check("after 00030 down and up")
}
