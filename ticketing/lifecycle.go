package ticketing

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
)

// DefaultReopenWindow is how long after being resolved a reply reopens a
// ticket rather than opening a new one linked to it.
const DefaultReopenWindow = 7 * 24 * time.Hour

// ticketState is where a ticket's replies go and what they do to it.
type ticketState struct {
	id         int64 // the ticket itself, or the one it was merged into
	status     string
	resolvedAt time.Time
	requester  string // lower-cased address
	name       string // the requester's name
}

// ticketStatesSQL follows each ticket through any merges to the ticket
// that lives on, and returns that ticket's state, locked until commit so
// that the auto-close sweep, a status change or a merge cannot slip in
// between this decision and the reply it shapes.
const ticketStatesSQL = `
WITH RECURSIVE chain (start, id, merged_into, depth) AS (
    SELECT id, id, merged_into, 0 FROM tickets WHERE id = ANY($1)
    UNION ALL
    SELECT c.start, t.id, t.merged_into, c.depth + 1
    FROM chain c JOIN tickets t ON t.id = c.merged_into WHERE c.depth < 32
)
SELECT c.start, t.id, t.status, coalesce(t.resolved_at, t.updated_at), lower(t.requester_addr), t.requester_name
FROM chain c JOIN tickets t ON t.id = c.id WHERE c.merged_into IS NULL
ORDER BY t.id FOR NO KEY UPDATE OF t`

func ticketStates(ctx context.Context, tx pgx.Tx, plans []plan) (map[int64]ticketState, error) {
	var ids []int64
	for _, p := range plans {
		if p.ticket != 0 {
			ids = append(ids, p.ticket)
		}
	}
	states := map[int64]ticketState{}
	if len(ids) == 0 {
		return states, nil
	}
	rows, err := tx.Query(ctx, ticketStatesSQL, ids)
	if err != nil {
		return nil, fmt.Errorf("ticketing: reading ticket states: %w", err)
	}
	var start int64
	var st ticketState
	_, err = pgx.ForEachRow(rows, []any{&start, &st.id, &st.status, &st.resolvedAt, &st.requester, &st.name}, func() error {
		states[start] = st
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("ticketing: reading ticket states: %w", err)
	}
	return states, nil
}

// applyLifecycle adjusts the plans to where the tickets stand: replies go
// to the ticket a merged one lives on; a person's reply reopens a recently
// resolved ticket, or opens a new ticket linked to a closed or long-resolved
// one; a reply to a pending ticket sets it open again. A stranger's reply
// linked only by public headers moves nothing: it is held (see admitted).
func (d *Desk) applyLifecycle(ins []Inbound, plans []plan, states map[int64]ticketState, ms members, now time.Time) {
	linkedFirst := map[int64]int{} // old ticket -> message of this batch that opens its successor
	for i := range plans {
		p := &plans[i]
		in := &ins[i]
		if p.action == join && p.ticket == 0 && !d.admittedInBatch(in, p, ins, plans) {
			p.held = true
			p.reason += fmt.Sprintf(": held, %s takes no part in the ticket", lower(in.From.Address))
			continue
		}
		if p.ticket == 0 || (p.action != join && p.action != duplicate) {
			continue
		}
		st, ok := states[p.ticket]
		if !ok {
			continue
		}
		if st.id != p.ticket {
			p.reason += fmt.Sprintf(", ticket #%d was merged into #%d", p.ticket, st.id)
			p.ticket = st.id
		}
		if p.action != join || in.Class != ClassHuman || d.isAgent(in.From.Address) {
			// An agent's mail moves no status: that takes a verified
			// command, not a reply to a notification.
			continue
		}
		from := lower(in.From.Address)
		p.fromRequester = from == st.requester
		gone := st.status == StatusClosed || st.status == StatusResolved && now.Sub(st.resolvedAt) > d.reopenWindow
		if !d.admitted(p, st, from, ms) {
			if gone {
				// Nothing to hold it on: the stranger's mail is a
				// request of their own, which tells them nothing of the
				// old ticket and its people.
				*p = plan{action: open, evidence: Evidence{Kind: EvidenceNew}, stranger: st.id,
					reason: fmt.Sprintf("new message: it refers to ticket #%d (%s), in which the sender takes no part", st.id, p.evidence)}
				continue
			}
			p.held = true
			p.reason += fmt.Sprintf(": held, %s takes no part in ticket #%d", from, st.id)
			continue
		}
		switch {
		case gone:
			if j, ok := linkedFirst[st.id]; ok {
				*p = plan{action: join, ref: j, evidence: p.evidence,
					reason: fmt.Sprintf("reply to %s ticket #%d, which an earlier reply in this batch followed up", st.status, st.id)}
				continue
			}
			linkedFirst[st.id] = i
			why := "closed"
			if st.status == StatusResolved {
				why = fmt.Sprintf("resolved more than %v ago", d.reopenWindow)
			}
			*p = plan{action: open, evidence: p.evidence, linked: st.id,
				requester: &Address{Name: st.name, Address: st.requester},
				reason:    fmt.Sprintf("reply to ticket #%d, which is %s: a new ticket linked to it", st.id, why)}
		case st.status == StatusResolved:
			p.reopen = true
		case st.status == StatusPending:
			p.resume = true
		}
	}
}

// admitted reports whether a person's reply p to ticket st may take part
// in the ticket: its evidence is not public (a token, a subject tag from a
// participant), or its sender already takes part, or shares the
// requester's domain where the desk trusts that.
func (d *Desk) admitted(p *plan, st ticketState, from string, ms members) bool {
	return !publicEvidence(p.evidence.Kind) || from == st.requester || ms.has(st.id, from) ||
		d.trustDomain && sameDomain(from, st.requester)
}

// admittedInBatch is admitted for a reply to a ticket that an earlier
// message of the batch opens: its people are that message's requester and
// those it was addressed to.
func (d *Desk) admittedInBatch(in *Inbound, p *plan, ins []Inbound, plans []plan) bool {
	opener := &ins[p.ref]
	if in.Class != ClassHuman || d.isAgent(in.From.Address) || !publicEvidence(p.evidence.Kind) {
		return true
	}
	from := lower(in.From.Address)
	requester := d.requester(opener)
	if pr := plans[p.ref].requester; pr != nil {
		requester = *pr
	}
	if from == lower(requester.Address) || d.trustDomain && sameDomain(from, requester.Address) {
		return true
	}
	cc, _ := d.ccParticipants(opener, requester)
	for _, a := range cc {
		if a.Address == from {
			return true
		}
	}
	return false
}

// linkSQL records that a new ticket follows up an old one, on both, and
// keeps the old ticket's people informed on the new one.
const linkSQL = `
WITH t AS (UPDATE tickets SET linked_to = $2 WHERE id = $1 RETURNING id),
p AS (
    INSERT INTO participants (ticket_id, address, name, role)
    SELECT $1, address, name, 'cc' FROM participants WHERE ticket_id = $2
    ON CONFLICT DO NOTHING
),
e AS (
    INSERT INTO events (ticket_id, inbound_id, actor, kind, detail)
    VALUES ($2, $3, 'deskgate', 'ticket.followed_up', jsonb_build_object('ticket', $1::bigint, 'why', $4::text))
)
INSERT INTO events (ticket_id, inbound_id, actor, kind, detail)
SELECT id, $3, 'deskgate', 'ticket.linked', jsonb_build_object('ticket', $2::bigint, 'why', $4::text) FROM t
RETURNING id`

// reopenSQL moves a resolved ticket back to open; it records the change
// only when it happened (a second reply in one batch finds it open).
const reopenSQL = `
WITH t AS (
    UPDATE tickets SET status = 'open', resolved_at = NULL, updated_at = now()
    WHERE id = $1 AND status = $2 RETURNING id
)
INSERT INTO events (ticket_id, inbound_id, actor, kind, detail)
SELECT id, $3, $4, 'status.changed', jsonb_build_object('from', $2::text, 'to', 'open', 'why', $5::text) FROM t
RETURNING id`
