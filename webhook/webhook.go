// Package webhook delivers the desk's events to other systems over HTTP:
// mailout's twin. The deliveries are rows of webhook_deliveries, queued by
// a trigger on the event log in the transaction of each change (so a
// delivery exists if and only if its change committed); a Sender claims
// them with a lease, POSTs them signed by the Standard Webhooks convention
// (webhook-id, webhook-timestamp, webhook-signature: HMAC-SHA256), at
// least once and in order per ticket, retries with back-off, and gives up
// on those older than the endpoint's limit.
package webhook

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/deskgate/deskgate/ticketing"
)

// Events are the events an endpoint may ask for.
var Events = []string{
	"ticket.created", "ticket.status_changed", "ticket.priority_changed", "ticket.assignee_changed",
	"message.received", "agent.reply", "sla.warning", "sla.breach", "notification.failed",
}

// Endpoint is one receiver of webhooks.
type Endpoint struct {
	Name   string
	URL    string
	Secret string   // whsec_ and base64, as Standard Webhooks libraries expect, or any other string
	Events []string // from Events
	// MaxAge is how long a delivery is retried before it is given up.
	MaxAge time.Duration
}

// Removed is an endpoint that Sync found gone from the configuration and
// removed, and how many of its queued deliveries it gave up.
type Removed struct {
	Endpoint string
	GivenUp  int64
}

// Sync makes the endpoints the ones deliveries are queued for: from then
// on, each change queues a delivery for every endpoint that asked for its
// event. An endpoint no longer listed gets no new deliveries, and no
// sender delivers to it, so in the same transaction Sync gives up its
// queued deliveries (also one being tried: its outcome is then not
// recorded), counts them in its totals and returns it. Should it return
// to the configuration, it starts with an empty queue. Several processes
// may sync the same configuration: an endpoint is removed, and its
// deliveries given up and counted, by one of them.
func Sync(ctx context.Context, db ticketing.Beginner, eps []Endpoint) ([]Removed, error) {
	var removed []Removed
	err := pgx.BeginFunc(ctx, db, func(tx pgx.Tx) error {
		names := make([]string, len(eps))
		for i, e := range eps {
			names[i] = e.Name
		}
		rows, err := tx.Query(ctx, `DELETE FROM webhook_endpoints WHERE NOT name = ANY($1) RETURNING name`, names)
		if err != nil {
			return err
		}
		gone, err := pgx.CollectRows(rows, pgx.RowTo[string])
		if err != nil {
			return err
		}
		for _, e := range eps {
			if _, err := tx.Exec(ctx, upsertEndpointSQL, e.Name, e.Events); err != nil {
				return err
			}
		}
		var on bool
		if err := tx.QueryRow(ctx, triggerOnSQL).Scan(&on); err != nil {
			return err
		}
		switch {
		case len(eps) > 0 && !on:
			_, err = tx.Exec(ctx, `ALTER TABLE events ENABLE TRIGGER webhook_enqueue`)
		case len(eps) == 0 && on:
			_, err = tx.Exec(ctx, `ALTER TABLE events DISABLE TRIGGER webhook_enqueue`)
		}
		if err != nil || len(gone) == 0 {
			return err
		}
		removed, err = giveUpRemoved(ctx, tx, gone)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("webhook: recording the endpoints: %w", err)
	}
	return removed, nil
}

// removedError is the last_error of a delivery given up because its
// endpoint left the configuration; the error of its last failed attempt,
// if any, follows it.
const removedError = "endpoint removed from the configuration"

// removedSQL gives up the queued deliveries of the endpoints $1, whatever
// their lease, counts them in their totals, and returns how many per
// endpoint. It reads their rows through the queue's partial indexes (with
// KeyLookupsSQL before it: TestRemovalReadsOnlyItsQueue).
const removedSQL = `
WITH g AS (
    UPDATE webhook_deliveries SET status = 'given_up', lease_owner = NULL, lease_until = NULL,
        last_error = '` + removedError + `' || CASE WHEN last_error = '' THEN '' ELSE '; last attempt: ' || last_error END
    WHERE endpoint = ANY($1) AND status = 'queued'
    RETURNING endpoint
), n AS (
    SELECT endpoint, count(*) AS given_up FROM g GROUP BY endpoint
), counted AS (
    INSERT INTO webhook_totals AS t (endpoint, given_up) SELECT endpoint, given_up FROM n
    ON CONFLICT (endpoint) DO UPDATE SET given_up = t.given_up + EXCLUDED.given_up
)
SELECT r.name, coalesce(n.given_up, 0) FROM unnest($1::text[]) AS r (name) LEFT JOIN n ON n.endpoint = r.name
ORDER BY r.name`

// giveUpRemoved gives up the queued deliveries of the endpoints gone,
// which tx has just removed.
//
// A change in flight may have read the endpoints before tx removed them
// and queued deliveries for them that tx cannot see until it commits,
// after which nothing would ever give them up. So tx first locks the
// deliveries in SHARE mode: that waits for every transaction that has
// queued one to end, and holds back those about to queue one until tx
// commits, when their statement sees the endpoints gone. Senders and
// pruning wait too, for as long. The lock comes after the trigger is
// switched: switching it locks events, which a change holds before it
// queues a delivery, so the other order could deadlock.
func giveUpRemoved(ctx context.Context, tx pgx.Tx, gone []string) ([]Removed, error) {
	if _, err := tx.Exec(ctx, `LOCK TABLE webhook_deliveries IN SHARE MODE`); err != nil {
		return nil, err
	}
	if _, err := tx.Exec(ctx, ticketing.KeyLookupsSQL); err != nil {
		return nil, err
	}
	rows, err := tx.Query(ctx, removedSQL, gone)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, pgx.RowToStructByPos[Removed])
}

// triggerOnSQL says whether the trigger that queues deliveries is on: it
// is only while endpoints are configured, so that a desk without webhooks
// pays nothing for it (switching it takes a brief lock on events, only
// when the configuration gains its first endpoint or loses its last).
const triggerOnSQL = `SELECT tgenabled <> 'D' FROM pg_trigger WHERE tgname = 'webhook_enqueue' AND tgrelid = 'events'::regclass`

const upsertEndpointSQL = `
INSERT INTO webhook_endpoints (name, events) VALUES ($1, $2)
ON CONFLICT (name) DO UPDATE SET events = EXCLUDED.events`
