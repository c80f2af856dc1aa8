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
	Sent      int64      `json:"sent"`
	GivenUp   int64      `json:"given_up"`
}

const backlogSQL = `
SELECT e.name,
    (SELECT count(*) FROM webhook_deliveries d WHERE d.endpoint = e.name AND d.status = 'queued'),
    (SELECT min(created_at) FROM webhook_deliveries d WHERE d.endpoint = e.name AND d.status = 'queued'),
    coalesce((SELECT last_error FROM webhook_deliveries d WHERE d.endpoint = e.name AND last_error <> '' ORDER BY id DESC LIMIT 1), ''),
    (SELECT max(sent_at) FROM webhook_deliveries d WHERE d.endpoint = e.name AND d.status = 'sent'),
    (SELECT count(*) FROM webhook_deliveries d WHERE d.endpoint = e.name AND d.status = 'sent'),
    (SELECT count(*) FROM webhook_deliveries d WHERE d.endpoint = e.name AND d.status = 'given_up')
FROM webhook_endpoints e ORDER BY e.name`

// Backlogs returns each configured endpoint's backlog, for status and
// metrics.
func Backlogs(ctx context.Context, db ticketing.DB) ([]Backlog, error) {
	rows, err := db.Query(ctx, backlogSQL)
	if err != nil {
		return nil, fmt.Errorf("webhook: reading the backlog: %w", err)
	}
	bs, err := pgx.CollectRows(rows, pgx.RowToStructByPos[Backlog])
	if err != nil {
		return nil, fmt.Errorf("webhook: reading the backlog: %w", err)
	}
	return bs, nil
}
