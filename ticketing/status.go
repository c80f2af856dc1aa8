package ticketing

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/deskgate/deskgate/templates"
	"github.com/deskgate/deskgate/ticketing/rules"
)

// Ticket statuses, in lifecycle order.
const (
	StatusNew      = "new"      // received, nobody has worked on it yet
	StatusOpen     = "open"     // being worked on
	StatusPending  = "pending"  // waiting for the requester
	StatusResolved = "resolved" // answered; a reply within the reopen window reopens it
	StatusClosed   = "closed"   // final; a reply opens a new ticket linked to it
)

// transitions lists, for each status, the statuses a ticket may move to.
// This is the one place the lifecycle is decided.
var transitions = map[string][]string{
	StatusNew:      {StatusOpen, StatusPending, StatusResolved, StatusClosed},
	StatusOpen:     {StatusPending, StatusResolved, StatusClosed},
	StatusPending:  {StatusOpen, StatusResolved, StatusClosed},
	StatusResolved: {StatusOpen, StatusClosed},
	StatusClosed:   {},
}

// ErrTransition is returned for a status change the lifecycle forbids.
var ErrTransition = errors.New("status change not allowed")

// CanTransition reports whether a ticket may move from one status to another.
func CanTransition(from, to string) bool {
	return slices.Contains(transitions[from], to)
}

const setStatusSQL = `
WITH old AS (SELECT status FROM tickets WHERE id = $1 FOR NO KEY UPDATE),
t AS (
    UPDATE tickets SET status = $2, updated_at = now(),
        resolved_at = CASE WHEN $2 = 'resolved' THEN now() WHEN $2 = 'closed' THEN resolved_at END,
        closed_at = CASE WHEN $2 = 'closed' THEN now() END
    WHERE id = $1 AND status = (SELECT status FROM old) AND status = $3
    RETURNING id
)
INSERT INTO events (ticket_id, actor, kind, detail)
SELECT id, $4, 'status.changed', jsonb_build_object('from', $3::text, 'to', $2::text, 'why', $5::text) FROM t
RETURNING id`

// Beginner starts transactions: a *pgxpool.Pool, a *pgx.Conn or a pgx.Tx
// (which starts a savepoint).
type Beginner interface {
	Begin(ctx context.Context) (pgx.Tx, error)
}

// statusEvents maps a status to the notification moving to it sends.
var statusEvents = map[string]string{
	StatusPending:  templates.StatusPending,
	StatusResolved: templates.StatusResolved,
	StatusClosed:   templates.StatusClosed,
}

// SetStatus moves ticket number to status to, as actor, for the reason why,
// records the change and queues its notification, in one transaction. It
// returns ErrTransition for a change the lifecycle forbids and ErrNotFound
// for a ticket that does not exist.
func (d *Desk) SetStatus(ctx context.Context, db Beginner, number int64, to, actor, why string) error {
	return pgx.BeginFunc(ctx, db, func(tx pgx.Tx) error {
		var from string
		err := tx.QueryRow(ctx, `SELECT status FROM tickets WHERE id = $1 FOR NO KEY UPDATE`, number).Scan(&from)
		if errors.Is(err, pgx.ErrNoRows) {
			return fmt.Errorf("ticket #%d: %w", number, ErrNotFound)
		}
		if err != nil {
			return fmt.Errorf("ticketing: reading ticket %d: %w", number, err)
		}
		if !CanTransition(from, to) {
			return fmt.Errorf("ticket #%d is %s: %w to %s (allowed: %v)", number, from, ErrTransition, to, transitions[from])
		}
		ns, err := d.applyStatus(ctx, tx, number, 0, from, to, actor, why)
		if err != nil {
			return err
		}
		more, err := d.updatedRules(ctx, tx, number, func(t *rules.Ticket) { t.Status = from })
		if err != nil {
			return fmt.Errorf("ticketing: rules for ticket %d: %w", number, err)
		}
		return d.notify(ctx, tx, append(ns, more...), nil)
	})
}

// applyStatus moves ticket id from one status to another inside tx, the
// one way every status change goes (a person, a rule): the ticket's
// columns, a status.changed event, the SLA clocks, and the notification
// to queue, which it returns.
func (d *Desk) applyStatus(ctx context.Context, tx pgx.Tx, id, captureID int64, from, to, actor, why string) ([]notice, error) {
	var ev int64
	err := tx.QueryRow(ctx, setStatusSQL, id, to, from, actor, why).Scan(&ev)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, fmt.Errorf("ticket #%d changed status meanwhile; try again", id)
	}
	if err != nil {
		return nil, fmt.Errorf("ticketing: changing status of ticket %d: %w", id, err)
	}
	if err := d.moveClocks(ctx, tx, id, captureID, from, to, actor, time.Now()); err != nil {
		return nil, fmt.Errorf("ticketing: moving SLA clocks of ticket %d: %w", id, err)
	}
	if ev, ok := statusEvents[to]; ok {
		return []notice{{event: ev, ticket: id, why: why}}, nil
	}
	return nil, nil
}

const closeResolvedSQL = `
WITH t AS (
    UPDATE tickets SET status = 'closed', closed_at = now(), updated_at = now()
    WHERE id IN (SELECT id FROM tickets WHERE status = 'resolved' AND resolved_at < now() - $1::float8 * interval '1 second'
                 ORDER BY resolved_at LIMIT 1000 FOR UPDATE SKIP LOCKED)
    RETURNING id
)
INSERT INTO events (ticket_id, actor, kind, detail)
SELECT id, 'deskgate', 'status.changed',
       jsonb_build_object('from', 'resolved', 'to', 'closed', 'why', 'resolved for longer than ' || $2::text)
FROM t
RETURNING ticket_id`

// CloseResolved closes tickets resolved longer than after ago, in batches
// of at most 1,000, queues their notifications and returns how many it
// closed. Several processes may run it at once: each ticket is closed once.
func (d *Desk) CloseResolved(ctx context.Context, db Beginner, after time.Duration) (int64, error) {
	var closed []int64
	err := pgx.BeginFunc(ctx, db, func(tx pgx.Tx) error {
		rows, err := tx.Query(ctx, closeResolvedSQL, after.Seconds(), after.String())
		if err == nil {
			closed, err = pgx.CollectRows(rows, pgx.RowTo[int64])
		}
		if err != nil {
			return err
		}
		ns := make([]notice, len(closed))
		for i, id := range closed {
			ns[i] = notice{event: templates.StatusClosed, ticket: id, why: "resolved for longer than " + after.String()}
			if err := d.moveClocks(ctx, tx, id, 0, StatusResolved, StatusClosed, "deskgate", time.Now()); err != nil {
				return err
			}
		}
		return d.notify(ctx, tx, ns, nil)
	})
	if err != nil {
		return 0, fmt.Errorf("ticketing: closing resolved tickets: %w", err)
	}
	return int64(len(closed)), nil
}
