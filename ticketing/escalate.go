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
	"github.com/deskgate/deskgate/ticketing/sla"
)

// dueClocksSQL finds running clocks whose warning or breach is due at $1,
// locking them and their tickets (tickets first, as every other writer
// does); rows another transaction holds are skipped, so each fires in
// exactly one transaction and none waits. A breached clock warns no more.
const dueClocksSQL = `
SELECT c.ticket_id, c.kind, c.deadline, c.target, c.calendar, t.priority, t.team,
    c.breached_at IS NULL AND c.deadline <= $1 AS breach
FROM sla_clocks c JOIN tickets t ON t.id = c.ticket_id
WHERE c.running AND c.breached_at IS NULL AND (c.deadline <= $1 OR (c.warned_at IS NULL AND c.warn_at <= $1))
ORDER BY c.deadline
LIMIT $2
FOR NO KEY UPDATE OF t SKIP LOCKED
FOR UPDATE OF c SKIP LOCKED`

// Escalate fires the SLA warnings and breaches due at now, each exactly
// once however many processes run it, and returns how many fired. A
// breach also counts as the warning. Warnings wait for business hours
// unless RemindOutsideHours is set; breaches fire at once. Run it
// periodically: after downtime it catches up on everything overdue.
func (d *Desk) Escalate(ctx context.Context, db Beginner, now time.Time) (int, error) {
	if d.policy.Matrix == nil {
		return 0, nil
	}
	fired, breaches := 0, 0
	err := pgx.BeginFunc(ctx, db, func(tx pgx.Tx) error {
		fired, breaches = 0, 0
		type due struct {
			ticket         int64
			kind, cal      string
			deadline       time.Time
			target         int64
			priority, team string
			breach         bool
		}
		rows, err := tx.Query(ctx, dueClocksSQL, now, 200)
		if err != nil {
			return err
		}
		ds, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (due, error) {
			var x due
			err := row.Scan(&x.ticket, &x.kind, &x.deadline, &x.target, &x.cal, &x.priority, &x.team, &x.breach)
			return x, err
		})
		if err != nil {
			return err
		}
		var ns []notice
		for _, x := range ds {
			cal := d.calendarNamed(x.cal)
			if !x.breach && !d.policy.RemindOutsideHours && !cal.IsOpen(now) {
				continue // a reminder waits for business hours
			}
			level, event, kind := d.policy.Escalation.Warning, templates.SLAWarning, "sla.warning"
			set := `warned_at = now()`
			if x.breach {
				level, event, kind = d.policy.Escalation.Breach, templates.SLABreach, "sla.breach"
				set = `warned_at = coalesce(warned_at, now()), breached_at = now()`
			}
			if _, err := tx.Exec(ctx, `UPDATE sla_clocks SET `+set+` WHERE ticket_id = $1 AND kind = $2`, x.ticket, x.kind); err != nil {
				return err
			}
			detail := map[string]any{"clock": x.kind, "due": x.deadline, "priority": x.priority}
			if _, err := tx.Exec(ctx, `INSERT INTO events (ticket_id, actor, kind, detail) VALUES ($1, 'deskgate', $2, $3)`,
				x.ticket, kind, jsonOf(detail)); err != nil {
				return err
			}
			to := slices.Clone(level.Notify)
			if x.breach {
				to = append(to, d.policy.TeamEscalation[x.team]...)
			}
			kindName := x.kind
			if kindName == ClockNextResponse {
				kindName = ClockResponse // the templates' word for any awaited answer
			}
			ns = append(ns, notice{event: event, ticket: x.ticket, to: to, sla: &templates.SLA{Kind: kindName,
				Target: time.Duration(x.target) * time.Second, Business: cal.Name() != sla.Always().Name(), Due: x.deadline}})
			before, err := d.beforeChange(ctx, tx, x.ticket)
			if err != nil {
				return err
			}
			by := templates.AssignedByWarning
			if x.breach {
				by = templates.AssignedByBreach
			}
			more, err := d.escalateTicket(ctx, tx, x.ticket, x.priority, level, by, now)
			if err != nil {
				return err
			}
			ns = append(ns, more...)
			more, err = d.updated(ctx, tx, x.ticket, 0, before, now)
			if err != nil {
				return err
			}
			ns = append(ns, more...)
			fired++
			if x.breach {
				breaches++
			}
		}
		return d.notify(ctx, tx, ns, nil)
	})
	if err != nil {
		return 0, fmt.Errorf("ticketing: escalating: %w", err)
	}
	for i := range fired { // counted once committed
		d.meter.Escalated(i < breaches)
	}
	return fired, nil
}

// reassignSQL moves ticket $1 to team $2 without a person, unless it is
// there already, and returns the team and assignee it had.
const reassignSQL = `
WITH old AS (SELECT team, assignee FROM tickets WHERE id = $1),
t AS (UPDATE tickets SET team = $2, assignee = '', updated_at = now() WHERE id = $1 AND (team <> $2 OR assignee <> '') RETURNING id),
e AS (
    INSERT INTO events (ticket_id, actor, kind, detail)
    SELECT id, 'escalation', 'team.changed',
        jsonb_build_object('from', (SELECT team FROM old), 'to', $2::text, 'assignee', (SELECT assignee FROM old), 'why', 'SLA escalation')
    FROM t
)
SELECT old.team, old.assignee FROM old, t`

// escalateTicket applies a level's ticket actions: raise the priority one
// level (recomputing the deadlines, elapsed time kept) and reassign to
// the level's team, without a person. It returns the assignment mail to
// that team, saying by (which level) did it.
func (d *Desk) escalateTicket(ctx context.Context, tx pgx.Tx, id int64, priority string, level EscalationLevel, by string, now time.Time) ([]notice, error) {
	if level.RaisePriority {
		if up := d.policy.Matrix.Raise(priority); up != priority && up != "" {
			if err := d.setPriority(ctx, tx, id, priority, up, "escalation", now); err != nil {
				return nil, err
			}
		}
	}
	if level.Reassign == "" {
		return nil, nil
	}
	var before rules.Ticket
	err := tx.QueryRow(ctx, reassignSQL, id, level.Reassign).Scan(&before.Team, &before.Assignee)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, nil // already the team's, without a person
	}
	if err != nil {
		return nil, err
	}
	return d.assigned(id, before, rules.Ticket{Team: level.Reassign}, templates.Assignment{By: by}, "escalation"), nil
}

// setPriority changes a ticket's priority and retargets its running
// clocks to the new priority's targets, keeping the business time used.
func (d *Desk) setPriority(ctx context.Context, tx pgx.Tx, id int64, from, to, actor string, now time.Time) error {
	var policy, team string
	err := tx.QueryRow(ctx, `UPDATE tickets SET priority = $2, updated_at = now() WHERE id = $1 RETURNING sla_policy, team`, id, to).
		Scan(&policy, &team)
	if err != nil {
		return err
	}
	w := &writes{}
	queueEvent(w, id, 0, "priority.changed", map[string]any{"from": from, "to": to, "by": actor})
	cs, err := d.loadClocks(ctx, tx, id)
	if err != nil {
		return err
	}
	tg := d.policy.Policies[policy].Targets[to]
	for _, c := range cs {
		target := map[string]time.Duration{ClockResponse: tg.Response, ClockResolution: tg.Resolution, ClockNextResponse: tg.NextResponse}[c.kind]
		if target > 0 && c.clock.Stopped.IsZero() {
			c.clock = c.clock.Retarget(target)
			d.queueClock(w, id, 0, c, actor, fmt.Sprintf("priority %s → %s", from, to))
		}
	}
	return w.run(ctx, tx, func(_ int, row pgx.Row) error { return row.Scan(new(int64)) })
}
