package ticketing

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
)

// ErrMerge is returned for a merge that cannot be done.
var ErrMerge = errors.New("cannot merge")

const mergeSQL = `
WITH m AS (UPDATE messages SET ticket_id = $2 WHERE ticket_id = $1),
p AS (
    INSERT INTO participants (ticket_id, address, name, role)
    SELECT $2, address, name, CASE WHEN role = 'requester' THEN 'cc' ELSE role END
    FROM participants WHERE ticket_id = $1
    ON CONFLICT DO NOTHING
),
t AS (
    UPDATE tickets SET merged_into = $2, status = 'closed', closed_at = now(), updated_at = now()
    WHERE id = $1
),
u AS (UPDATE tickets SET updated_at = now() WHERE id = $2),
i AS (UPDATE inbound SET ticket_id = $2 WHERE ticket_id = $1)
INSERT INTO events (ticket_id, actor, kind, detail)
VALUES ($1, $3, 'ticket.merged', jsonb_build_object('into', $2::bigint, 'why', $4::text)),
       ($2, $3, 'ticket.merged', jsonb_build_object('from', $1::bigint, 'why', $4::text))`

// Merge moves ticket from into ticket into: its messages (and with them
// the Message-IDs replies refer to), their inbound records, and its
// participants (who stay on from too, so its subject tag keeps working for
// them). From is closed and points at into; replies to either land in
// into. A closed ticket cannot be merged into.
//
// The merged ticket's SLA clocks stop as for a closed ticket: its work
// goes on under into's.
//
// The ticket.updated rules run for from, which it closed, and their
// notifications are queued.
func (d *Desk) Merge(ctx context.Context, pool Beginner, from, into int64, actor, why string) error {
	return pgx.BeginFunc(ctx, pool, func(tx pgx.Tx) error {
		return d.Change(ctx, tx, from, func(tx pgx.Tx) error { return d.merge(ctx, tx, from, into, actor, why) })
	})
}

// merge is Merge inside tx, without the rules that follow a change.
func (d *Desk) merge(ctx context.Context, tx pgx.Tx, from, into int64, actor, why string) error {
	if from == into {
		return fmt.Errorf("ticket #%d: %w into itself", from, ErrMerge)
	}
	return pgx.BeginFunc(ctx, tx, func(tx pgx.Tx) error {
		rows, err := tx.Query(ctx, `SELECT id, merged_into, status FROM tickets WHERE id IN ($1, $2) ORDER BY id FOR UPDATE`, from, into)
		if err != nil {
			return fmt.Errorf("ticketing: merging: %w", err)
		}
		merged := map[int64]*int64{}
		statuses := map[int64]string{}
		var id int64
		var into2 *int64
		var st string
		if _, err := pgx.ForEachRow(rows, []any{&id, &into2, &st}, func() error {
			merged[id], statuses[id] = into2, st
			return nil
		}); err != nil {
			return fmt.Errorf("ticketing: merging: %w", err)
		}
		for _, n := range []int64{from, into} {
			m, ok := merged[n]
			if !ok {
				return fmt.Errorf("ticket #%d: %w", n, ErrNotFound)
			}
			if m != nil {
				return fmt.Errorf("ticket #%d was already merged into #%d: %w", n, *m, ErrMerge)
			}
		}
		if statuses[into] == StatusClosed {
			return fmt.Errorf("ticket #%d is closed, so replies would only open new tickets: %w into it", into, ErrMerge)
		}
		if _, err := tx.Exec(ctx, mergeSQL, from, into, actor, why); err != nil {
			return fmt.Errorf("ticketing: merging #%d into #%d: %w", from, into, err)
		}
		if err := d.moveClocks(ctx, tx, from, 0, statuses[from], StatusClosed, actor, time.Now()); err != nil {
			return fmt.Errorf("ticketing: stopping the SLA clocks of #%d: %w", from, err)
		}
		return nil
	})
}
