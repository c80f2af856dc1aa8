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

// Sync makes the endpoints the ones deliveries are queued for: from then
// on, each change queues a delivery for every endpoint that asked for its
// event. An endpoint no longer listed gets no new deliveries.
func Sync(ctx context.Context, db ticketing.Beginner, eps []Endpoint) error {
	err := pgx.BeginFunc(ctx, db, func(tx pgx.Tx) error {
		names := make([]string, len(eps))
		for i, e := range eps {
			names[i] = e.Name
		}
		if _, err := tx.Exec(ctx, `DELETE FROM webhook_endpoints WHERE NOT name = ANY($1)`, names); err != nil {
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
			_, err := tx.Exec(ctx, `ALTER TABLE events ENABLE TRIGGER webhook_enqueue`)
			return err
		case len(eps) == 0 && on:
			_, err := tx.Exec(ctx, `ALTER TABLE events DISABLE TRIGGER webhook_enqueue`)
			return err
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("webhook: recording the endpoints: %w", err)
	}
	return nil
}

// triggerOnSQL says whether the trigger that queues deliveries is on: it
// is only while endpoints are configured, so that a desk without webhooks
// pays nothing for it (switching it takes a brief lock on events, only
// when the configuration gains its first endpoint or loses its last).
const triggerOnSQL = `SELECT tgenabled <> 'D' FROM pg_trigger WHERE tgname = 'webhook_enqueue' AND tgrelid = 'events'::regclass`

const upsertEndpointSQL = `
INSERT INTO webhook_endpoints (name, events) VALUES ($1, $2)
ON CONFLICT (name) DO UPDATE SET events = EXCLUDED.events`
