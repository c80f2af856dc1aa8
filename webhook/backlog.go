package webhook

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/deskgate/deskgate/ticketing"
)

// Backlog is where one endpoint's deliveries stand.
type Backlog struct {
	Endpoint  string     `json:"endpoint"`
	Queued    int64      `json:"queued"`     // waiting, being delivered or retried
	Oldest    *time.Time `json:"oldest"`     // when the oldest queued one was queued
	LastError string     `json:"last_error"` // the latest failed attempt's error
	LastSent  *time.Time `json:"last_sent"`
	// Sent and GivenUp count every delivery since the endpoint was first
	// configured under its name; pruning finished deliveries lowers
	// neither.
	Sent    int64 `json:"sent"`
	GivenUp int64 `json:"given_up"`
}

// backlogSQL reads the queued deliveries, through the queue's partial
// indexes (the rows waiting, not the history), and the endpoint's totals,
// which the sender keeps as it records each outcome.
const backlogSQL = `
SELECT e.name, q.queued, q.oldest, coalesce(t.last_error, ''), t.last_sent, coalesce(t.sent, 0), coalesce(t.given_up, 0)
FROM webhook_endpoints e
CROSS JOIN LATERAL (SELECT count(*) AS queued, min(created_at) AS oldest FROM webhook_deliveries d
                    WHERE d.endpoint = e.name AND d.status = 'queued') q
LEFT JOIN webhook_totals t ON t.endpoint = e.name
ORDER BY e.name`

// Backlogs returns each configured endpoint's backlog, for status and
// metrics. It reads the queued deliveries only, whatever the planner's
// statistics say: the statement runs in a batch (one transaction) after
// ticketing.KeyLookupsSQL, so its plan, made once per connection and kept,
// reads the queue's index even when it was made while every delivery was
// queued, before thousands were sent (TestBacklogReadsOnlyTheQueue).
func Backlogs(ctx context.Context, db ticketing.Batcher) ([]Backlog, error) {
	var bs []Backlog
	b := &pgx.Batch{}
	b.Queue(ticketing.KeyLookupsSQL)
	b.Queue(backlogSQL).Query(func(rows pgx.Rows) error {
		var err error
		bs, err = pgx.CollectRows(rows, pgx.RowToStructByPos[Backlog])
		return err
	})
	if err := db.SendBatch(ctx, b).Close(); err != nil {
		return nil, fmt.Errorf("webhook: reading the backlog: %w", err)
	}
	return bs, nil
}
