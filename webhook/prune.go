package webhook

import (
	"context"
	"fmt"
	"time"

	"github.com/deskgate/deskgate/ticketing"
)

// pruneBatch bounds the deliveries one statement deletes, so that pruning
// a long history holds its locks briefly and a process stopping waits for
// one batch at most.
const pruneBatch = 1000

// pruneSQL deletes a batch of the oldest finished deliveries queued before
// the cutoff, found through webhook_deliveries_finished (so it reads no
// queued and no recent row). SKIP LOCKED lets several processes prune at
// once, each deleting other rows.
const pruneSQL = `
DELETE FROM webhook_deliveries d USING (
    SELECT id FROM webhook_deliveries
    WHERE status <> 'queued' AND created_at < now() - $1::float8 * interval '1 second'
    ORDER BY created_at LIMIT $2 FOR UPDATE SKIP LOCKED
) old
WHERE d.id = old.id`

// Prune deletes the deliveries sent or given up that were queued longer
// ago than keep, in batches of its own transaction each, and returns how
// many it deleted. Queued deliveries are never deleted, however old. The
// endpoints' totals (Backlog's Sent, GivenUp, LastSent and LastError) do
// not change: they were counted when each delivery was recorded. keep
// must be positive.
func Prune(ctx context.Context, db ticketing.DB, keep time.Duration) (int64, error) {
	if keep <= 0 {
		return 0, fmt.Errorf("webhook: pruning finished deliveries: keep %v, want a positive duration", keep)
	}
	var total int64
	for {
		tag, err := db.Exec(ctx, pruneSQL, keep.Seconds(), pruneBatch)
		if err != nil {
			return total, fmt.Errorf("webhook: pruning finished deliveries: %w", err)
		}
		total += tag.RowsAffected()
		if tag.RowsAffected() < pruneBatch {
			return total, nil
		}
	}
}
