package ticketing

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/deskgate/deskgate/ticketing/rules"
)

// MaxUpdateDepth is how many rounds of ticket.updated rules one change
// runs: the rules run after the change, again after the changes they made,
// and so on. A round the limit stops is recorded as a rules.depth_limit
// event on the ticket, naming the rules it did not apply.
const MaxUpdateDepth = 5

// updated runs the ticket.updated rules for ticket id after a change,
// whatever made it (an email command, a reply that reopened or resumed
// it, the close sweep, a merge, an escalation, the CLI, the API): every
// path that changes a ticket's fields or status calls it once, after its
// change, with before the ticket as rules saw it before (loadRuleTicket).
// Nothing runs when nothing changed. It returns the notifications the
// rules cause.
func (d *Desk) updated(ctx context.Context, tx pgx.Tx, id, captureID int64, before rules.Ticket, now time.Time) ([]notice, error) {
	if !d.policy.Rules.Has(rules.OnUpdated) {
		return nil, nil
	}
	var ns []notice
	for depth := 0; ; depth++ {
		cur, ok, err := loadRuleTicket(ctx, tx, id)
		if err != nil || !ok || sameTicket(cur, before) {
			return ns, err
		}
		f := rules.Facts{Event: rules.OnUpdated, Ticket: cur, Previous: before, Now: now, Class: string(ClassHuman)}
		if cal := d.calendar(cur.Team, d.policy.DefaultPolicy); cal != nil {
			local := now.In(cal.Location())
			f.Hour, f.Weekday, f.BusinessHours = local.Hour(), rules.Weekday(local.Weekday()), cal.IsOpen(now)
		}
		res := d.policy.Rules.Evaluate(f)
		fired := res.Trace.Fired()
		if len(fired) == 0 {
			return ns, nil
		}
		if depth == MaxUpdateDepth {
			var names []string
			for _, st := range fired {
				names = append(names, st.Rule)
			}
			_, err := tx.Exec(ctx, `INSERT INTO events (ticket_id, inbound_id, actor, kind, detail) VALUES ($1, $2, 'rules', 'rules.depth_limit', $3)`,
				id, nullID(captureID), jsonOf(map[string]any{"depth": depth, "rules": names,
					"why": fmt.Sprintf("ticket.updated rules ran %d times in a row for their own changes: these were not applied, so that rules that trigger each other end", depth)}))
			if err != nil {
				return nil, fmt.Errorf("ticketing: recording the rules' depth limit: %w", err)
			}
			d.log.Warn("ticketing: ticket.updated rules stopped at the depth limit", "ticket", id, "rules", names, "depth", depth)
			return ns, nil
		}
		more, err := d.applyRules(ctx, tx, id, captureID, rules.OnUpdated, &res, now)
		if err != nil {
			return nil, err
		}
		ns = append(ns, more...)
		before = cur
	}
}

// beforeChange is the ticket as ticket.updated rules see it, read before
// a change; zero, without a read, when there are no such rules.
func (d *Desk) beforeChange(ctx context.Context, tx pgx.Tx, id int64) (rules.Ticket, error) {
	if !d.policy.Rules.Has(rules.OnUpdated) {
		return rules.Ticket{}, nil
	}
	t, _, err := loadRuleTicket(ctx, tx, id)
	if err != nil {
		return t, fmt.Errorf("ticketing: reading ticket %d for rules: %w", id, err)
	}
	return t, nil
}

// sameTicket reports whether a and b have the same fields.
func sameTicket(a, b rules.Ticket) bool {
	return a.Number == b.Number && a.Status == b.Status && a.Category == b.Category && a.Impact == b.Impact &&
		a.Urgency == b.Urgency && a.Priority == b.Priority && a.Team == b.Team && a.Assignee == b.Assignee &&
		a.Language == b.Language && slices.Equal(a.Tags, b.Tags)
}

// updatedFrom is updated after a change of ticket id from status from that
// has already been made (by SQL that changes many tickets at once): the
// ticket as it was is the ticket as it is, in its old status.
func (d *Desk) updatedFrom(ctx context.Context, tx pgx.Tx, id, captureID int64, from string, now time.Time) ([]notice, error) {
	before, err := d.beforeChange(ctx, tx, id)
	if err != nil || !d.policy.Rules.Has(rules.OnUpdated) {
		return nil, err
	}
	before.Status = from
	return d.updated(ctx, tx, id, captureID, before, now)
}

// Change runs change, which changes ticket number inside tx, and then what
// follows every change of a ticket: the ticket.updated rules, and the
// notifications they cause. A path that changes tickets by its own SQL
// (the API, say) wraps its change in it.
func (d *Desk) Change(ctx context.Context, tx pgx.Tx, number int64, change func(pgx.Tx) error) error {
	before, err := d.beforeChange(ctx, tx, number)
	if err != nil {
		return err
	}
	if err := change(tx); err != nil {
		return err
	}
	ns, err := d.updated(ctx, tx, number, 0, before, time.Now())
	if err != nil {
		return fmt.Errorf("ticketing: rules for ticket %d: %w", number, err)
	}
	return d.notify(ctx, tx, ns, nil)
}

// replyChange is a ticket a batch's replies change: reopened or resumed,
// or changed by message.received rules; before is the ticket before them.
type replyChange struct {
	before  rules.Ticket
	capture int64
	quiet   bool // the reply is quiet mail: its rules' notifications are dropped
}

// beforeReplies reads, for updated, the tickets that moves (replies that
// reopened or resumed them, already stored) and replied (message.received
// rules, not yet applied) change, as they were before: in their old status.
func (d *Desk) beforeReplies(ctx context.Context, tx pgx.Tx, ins []Inbound, out []Outcome, moves []clockMove, replied []*rules.Result) ([]replyChange, error) {
	if !d.policy.Rules.Has(rules.OnUpdated) {
		return nil, nil
	}
	quiet := map[int64]bool{}
	for i := range ins {
		quiet[ins[i].CaptureID] = ins[i].Quiet != ""
	}
	var ids []int64
	from, capture := map[int64]string{}, map[int64]int64{}
	for _, m := range moves {
		if _, ok := from[m.ticket]; !ok {
			from[m.ticket], capture[m.ticket] = m.from, m.capture
			ids = append(ids, m.ticket)
		}
	}
	for i, res := range replied {
		if id := out[i].TicketID; res != nil && out[i].Status == StatusAttached && !slices.Contains(ids, id) {
			capture[id] = ins[i].CaptureID
			ids = append(ids, id)
		}
	}
	if len(ids) == 0 {
		return nil, nil
	}
	ts, err := loadRuleTickets(ctx, tx, ids)
	if err != nil {
		return nil, fmt.Errorf("ticketing: reading tickets for rules: %w", err)
	}
	var cs []replyChange
	for _, id := range ids {
		t, ok := ts[id]
		if !ok {
			continue
		}
		if f, ok := from[id]; ok {
			t.Status = f
		}
		cs = append(cs, replyChange{before: t, capture: capture[id], quiet: quiet[capture[id]]})
	}
	return cs, nil
}
