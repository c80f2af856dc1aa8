package main

import (
	"context"
	"log/slog"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/deskgate/deskgate/config"
	"github.com/deskgate/deskgate/ticketing"
	"github.com/deskgate/deskgate/webhook"
)

// retentionInterval is how often serve looks for what retention removes:
// the raw mail and attachments of long-closed tickets, and finished webhook
// deliveries.
const retentionInterval = time.Hour

// retain runs retention at start and then every retentionInterval until
// ctx is done.
func retain(ctx context.Context, pool *pgxpool.Pool, r config.Retention, log *slog.Logger) error {
	t := time.NewTicker(retentionInterval)
	defer t.Stop()
	for {
		retainOnce(ctx, pool, r, log)
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
	}
}

// retainOnce removes the raw mail and attachments of tickets closed longer
// than retention.closed_tickets_after (unless it is 0, unset), and the
// webhook deliveries sent or given up that were queued longer than
// retention.webhook_deliveries_after ago (always: a delivery is queued for
// every change an endpoint asked for, and once finished deskgate reads it
// no more).
func retainOnce(ctx context.Context, pool *pgxpool.Pool, r config.Retention, log *slog.Logger) {
	if after := r.ClosedTicketsAfter; after > 0 {
		t, err := ticketing.Retain(ctx, pool, after)
		switch {
		case err != nil && ctx.Err() == nil:
			log.Error("retention", "err", err)
		case t.Tickets > 0:
			log.Info("retention removed raw mail and attachments of closed tickets", "tickets", t.Tickets,
				"raw_messages", t.RawMessages, "raw_bytes", t.RawBytes, "attachments", t.Attachments,
				"attachment_bytes", t.AttachmentBytes, "closed_for", after)
		}
	}
	n, err := webhook.Prune(ctx, pool, r.WebhookDeliveriesAfter)
	switch {
	case err != nil && ctx.Err() == nil:
		log.Error("retention of webhook deliveries", "err", err)
	case n > 0:
		log.Info("retention removed finished webhook deliveries", "deliveries", n, "older_than", r.WebhookDeliveriesAfter)
	}
}
