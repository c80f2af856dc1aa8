package webhook

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strconv"
	"time"

	"github.com/jackc/pgx/v5"
	"golang.org/x/sync/errgroup"

	"github.com/deskgate/deskgate/ticketing"
)

// Sender delivers the queued webhooks of its endpoints until stopped.
// Any number of processes may run one: a delivery is claimed with a lease.
type Sender struct {
	DB        ticketing.DB
	Endpoints []Endpoint
	Log       *slog.Logger
	Owner     string // the lease owner, owner.New
	// Client makes the calls; nil: one with a 10-second timeout.
	Client *http.Client
	// Poll is how often an idle endpoint's queue is looked at; 0: 1s.
	Poll time.Duration
	// Backoff is the wait after the nth failed attempt; nil: 5s doubling
	// up to an hour.
	Backoff func(attempt int) time.Duration
}

// DefaultMaxAge is how long a delivery is retried unless the endpoint
// says otherwise.
const DefaultMaxAge = 24 * time.Hour

func defaultBackoff(n int) time.Duration {
	return min(5*time.Second<<min(n-1, 20), time.Hour)
}

// Run delivers until ctx is done, one loop per endpoint, so that a slow
// or failing endpoint delays only its own deliveries.
func (s *Sender) Run(ctx context.Context) error {
	if s.Client == nil {
		s.Client = &http.Client{Timeout: 10 * time.Second}
	}
	if s.Poll == 0 {
		s.Poll = time.Second
	}
	if s.Backoff == nil {
		s.Backoff = defaultBackoff
	}
	g, ctx := errgroup.WithContext(ctx)
	for _, ep := range s.Endpoints {
		g.Go(func() error {
			for {
				n, err := s.round(ctx, ep)
				if ctx.Err() != nil {
					return nil
				}
				if err != nil {
					s.Log.Error("webhook delivery", "endpoint", ep.Name, "err", err)
				}
				if n > 0 && err == nil {
					continue
				}
				select {
				case <-ctx.Done():
					return nil
				case <-time.After(s.Poll):
				}
			}
		})
	}
	return g.Wait()
}

// giveUpSQL gives up an endpoint's deliveries queued longer than its
// limit, and counts them in its totals in the same statement.
const giveUpSQL = `
WITH g AS (
    UPDATE webhook_deliveries SET status = 'given_up', lease_owner = NULL, lease_until = NULL
    WHERE endpoint = $1 AND status = 'queued' AND created_at < now() - $2 * interval '1 second'
      AND (lease_until IS NULL OR lease_until < now())
    RETURNING id, event, ticket_id, attempts, last_error
), counted AS (
    INSERT INTO webhook_totals AS t (endpoint, given_up) SELECT $1, count(*) FROM g HAVING count(*) > 0
    ON CONFLICT (endpoint) DO UPDATE SET given_up = t.given_up + EXCLUDED.given_up
)
SELECT id, event, ticket_id, attempts, last_error FROM g`

// claimSQL claims due deliveries of an endpoint, at most one per ticket
// and only a ticket's oldest queued one, so that a ticket's events arrive
// in order.
const claimSQL = `
WITH c AS (
    SELECT id FROM webhook_deliveries d
    WHERE endpoint = $1 AND status = 'queued' AND next_attempt_at <= now() AND (lease_until IS NULL OR lease_until < now())
      AND NOT EXISTS (SELECT 1 FROM webhook_deliveries p WHERE p.endpoint = d.endpoint AND p.ticket_id = d.ticket_id
                      AND p.status = 'queued' AND p.id < d.id)
    ORDER BY id LIMIT $3 FOR UPDATE SKIP LOCKED
)
UPDATE webhook_deliveries d SET lease_owner = $2, lease_until = now() + $4 * interval '1 second', attempts = attempts + 1
FROM c WHERE d.id = c.id
RETURNING d.id, d.payload, d.attempts`

// sentSQL records a delivery as sent and counts it in its endpoint's
// totals, in one statement: the count is exact, and status and /metrics
// read it without reading the deliveries, which are pruned.
const sentSQL = `
WITH s AS (
    UPDATE webhook_deliveries SET status = 'sent', sent_at = now(), lease_owner = NULL, lease_until = NULL
    WHERE id = $1 AND lease_owner = $2 AND status = 'queued'
    RETURNING endpoint, sent_at
)
INSERT INTO webhook_totals AS t (endpoint, sent, last_sent) SELECT endpoint, 1, sent_at FROM s
ON CONFLICT (endpoint) DO UPDATE SET sent = t.sent + 1, last_sent = greatest(t.last_sent, EXCLUDED.last_sent)`

// failedSQL records a failed attempt and its error, also as the
// endpoint's latest.
const failedSQL = `
WITH f AS (
    UPDATE webhook_deliveries SET next_attempt_at = now() + $3 * interval '1 second', last_error = $4,
        lease_owner = NULL, lease_until = NULL
    WHERE id = $1 AND lease_owner = $2
    RETURNING endpoint
)
INSERT INTO webhook_totals AS t (endpoint, last_error) SELECT endpoint, $4 FROM f
ON CONFLICT (endpoint) DO UPDATE SET last_error = EXCLUDED.last_error`

type delivery struct {
	id       int64
	payload  json.RawMessage
	attempts int
}

// round gives up what is too old, then claims and delivers a batch;
// it returns how many it delivered or tried.
func (s *Sender) round(ctx context.Context, ep Endpoint) (int, error) {
	maxAge := ep.MaxAge
	if maxAge == 0 {
		maxAge = DefaultMaxAge
	}
	rows, err := s.DB.Query(ctx, giveUpSQL, ep.Name, maxAge.Seconds())
	if err != nil {
		return 0, fmt.Errorf("webhook: giving up old deliveries: %w", err)
	}
	var id int64
	var event, lastErr string
	var ticket *int64
	var attempts int
	if _, err := pgx.ForEachRow(rows, []any{&id, &event, &ticket, &attempts, &lastErr}, func() error {
		s.Log.Warn("webhook delivery given up", "endpoint", ep.Name, "delivery", id, "event", event, "ticket", ticket,
			"attempts", attempts, "last_error", lastErr, "older_than", maxAge)
		return nil
	}); err != nil {
		return 0, fmt.Errorf("webhook: giving up old deliveries: %w", err)
	}
	lease := s.Client.Timeout + time.Minute
	rows, err = s.DB.Query(ctx, claimSQL, ep.Name, s.Owner, 20, lease.Seconds())
	if err != nil {
		return 0, fmt.Errorf("webhook: claiming deliveries: %w", err)
	}
	ds, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (delivery, error) {
		var d delivery
		return d, row.Scan(&d.id, &d.payload, &d.attempts)
	})
	if err != nil {
		return 0, fmt.Errorf("webhook: claiming deliveries: %w", err)
	}
	for _, d := range ds {
		if err := s.deliver(ctx, ep, d); err != nil {
			wait := s.Backoff(d.attempts)
			s.Log.Info("webhook delivery failed", "endpoint", ep.Name, "delivery", d.id, "attempt", d.attempts, "err", err, "retry_in", wait)
			if _, err := s.DB.Exec(ctx, failedSQL, d.id, s.Owner, wait.Seconds(), err.Error()); err != nil {
				return len(ds), fmt.Errorf("webhook: recording a failure: %w", err)
			}
			continue
		}
		if _, err := s.DB.Exec(ctx, sentSQL, d.id, s.Owner); err != nil {
			return len(ds), fmt.Errorf("webhook: recording a delivery: %w", err)
		}
	}
	return len(ds), nil
}

// deliver POSTs one delivery, signed; any 2xx answer is success.
func (s *Sender) deliver(ctx context.Context, ep Endpoint, d delivery) error {
	id := "msg_" + strconv.FormatInt(d.id, 10)
	now := time.Now()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, ep.URL, bytes.NewReader(d.payload))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "deskgate-webhook")
	req.Header.Set("webhook-id", id)
	req.Header.Set("webhook-timestamp", strconv.FormatInt(now.Unix(), 10))
	req.Header.Set("webhook-signature", Sign(ep.Secret, id, now, d.payload))
	resp, err := s.Client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 200))
	if resp.StatusCode/100 != 2 {
		return fmt.Errorf("%s answered %s: %s", ep.URL, resp.Status, bytes.TrimSpace(body))
	}
	return nil
}
