package ticketing

import (
	"context"
	"fmt"
	"time"
)

// Backlog is the outbox's queue as `deskgate status` shows it.
type Backlog struct {
	Queued    int       // emails waiting to be sent or retried
	Deferred  int       // of those, emails tried before (waiting for a retry)
	OldestDue time.Time // the earliest due time of queued mail that is due now; zero when none is
}

const backlogSQL = `
SELECT count(*), count(*) FILTER (WHERE attempts > 0), min(next_attempt_at) FILTER (WHERE next_attempt_at <= now())
  FROM outbox WHERE status = 'queued'`

// OutboxBacklog counts the outbox's queued mail (through the partial
// index of queued rows).
func OutboxBacklog(ctx context.Context, db DB) (Backlog, error) {
	var b Backlog
	var due *time.Time
	if err := db.QueryRow(ctx, backlogSQL).Scan(&b.Queued, &b.Deferred, &due); err != nil {
		return b, fmt.Errorf("ticketing: counting the outbox's queue: %w", err)
	}
	if due != nil {
		b.OldestDue = *due
	}
	return b, nil
}
