package main

import (
	"context"
	"log/slog"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/deskgate/deskgate/ticketing"
)

// retentionInterval is how often serve looks for closed tickets whose raw
// mail and attachments retention removes.
const retentionInterval = time.Hour

// retain runs retention every retentionInterval until ctx is done; after
// 0 (retention.closed_tickets_after unset) turns it off.
func retain(ctx context.Context, pool *pgxpool.Pool, after time.Duration, log *slog.Logger) error {
	if after <= 0 {
		return nil
	}
	t := time.NewTicker(retentionInterval)
	defer t.Stop()
	for {
		r, err := ticketing.Retain(ctx, pool, after)
		switch {
		case err != nil && ctx.Err() == nil:
			log.Error("retention", "err", err)
		case r.Tickets > 0:
			log.Info("retention removed raw mail and attachments of closed tickets", "tickets", r.Tickets,
				"raw_messages", r.RawMessages, "raw_bytes", r.RawBytes, "attachments", r.Attachments,
				"attachment_bytes", r.AttachmentBytes, "closed_for", after)
		}
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
	}
}
