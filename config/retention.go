package config

import (
	"cmp"
	"time"
)

// Retention says what deskgate removes of old data: the raw mail of old
// tickets (off by default) and finished webhook deliveries.
type Retention struct {
	// ClosedTicketsAfter removes the raw bytes of the captured mail and the
	// content of the attachments of tickets closed this long ago, keeping
	// the tickets, their text and events and what recognises mail fetched
	// again. 0 (the default): keep everything.
	ClosedTicketsAfter time.Duration `yaml:"closed_tickets_after"`
	// WebhookDeliveriesAfter removes webhook deliveries sent or given up
	// that were queued this long ago; queued ones stay, and the counts of
	// status and /metrics keep them. Default 720h (30 days); it cannot be
	// turned off.
	WebhookDeliveriesAfter time.Duration `yaml:"webhook_deliveries_after"`
}

// defaultWebhookDeliveriesAfter keeps finished webhook deliveries for 30
// days: long enough to look into what an endpoint was sent last month,
// short enough that the table holds a month of a busy desk's events.
const defaultWebhookDeliveriesAfter = 30 * 24 * time.Hour

// minRetention is the shortest retention: a day, so that a mistyped 24m
// cannot empty yesterday's mail.
const minRetention = 24 * time.Hour

func (v validator) retention(r *Retention) {
	if r.ClosedTicketsAfter != 0 {
		v.minDuration("retention.closed_tickets_after", r.ClosedTicketsAfter, minRetention)
	}
	if v.has("retention.webhook_deliveries_after") && r.WebhookDeliveriesAfter < minRetention {
		v.errorf("retention.webhook_deliveries_after", "must be at least %s (finished deliveries are always removed in the end; "+
			"the default, %s, keeps them for 30 days)", shortDuration(minRetention), shortDuration(defaultWebhookDeliveriesAfter))
	}
}

func (r *Retention) setDefaults() {
	r.WebhookDeliveriesAfter = cmp.Or(r.WebhookDeliveriesAfter, defaultWebhookDeliveriesAfter)
}
