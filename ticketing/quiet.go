package ticketing

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/deskgate/deskgate/templates"
)

// Quiet mail (Inbound.Quiet): mail that was in a desk mailbox before
// deskgate was connected to it, or that is older than the desk answers
// when it is captured after downtime. It is ticketed and threaded like any
// other mail, so nothing is lost and a later reply finds its ticket, but:
//
//   - it causes no mail at all: no acknowledgement, no new-ticket,
//     requester-replied or reopened mail to agents, no status mail, no
//     mail a rule sends, no answer to an agent;
//   - a new ticket starts no SLA clock (its priority is still set), and a
//     reply starts no next-response clock; a reply still moves its
//     ticket's status as any reply does (a pending ticket is open again,
//     a resolved one reopens within the window), and the ticket's
//     existing clocks follow that status;
//   - an agent's reply is stored on the ticket as internal: its commands
//     are not applied and its text is not relayed, since either may be
//     out of date by now; the agent re-sends what still holds.
//
// Each such message gets a mail.quiet event that says why.
//
// A ticket that quiet mail opened is unknown to its requester until an
// agent's reply is relayed: until then a change of its status (an
// administrator resolving old mail, a rule, closing) sends no status mail
// either (unannounced).

// quietDetail is the mail.quiet event of quiet message in; opened says
// whether it opened its ticket.
func quietDetail(in *Inbound, opened bool) map[string]any {
	sla := "no next-response clock started"
	if opened {
		sla = quietOpenedSLA
	}
	return map[string]any{"why": in.Quiet, "sla": sla,
		"mail": "none sent: no acknowledgement, no mail to agents, no rule or status mail"}
}

// queueQuiet queues the mail.quiet event of in on ticket id, if in is
// quiet.
func queueQuiet(w *writes, id int64, in *Inbound, opened bool) {
	if in.Quiet != "" {
		queueEvent(w, id, in.CaptureID, "mail.quiet", quietDetail(in, opened))
	}
}

// quietAgentSQL keeps a quiet agent's reply internal and says why.
const quietAgentSQL = `
WITH m AS (UPDATE messages SET visibility = 'internal' WHERE id = $3)
INSERT INTO events (ticket_id, inbound_id, actor, kind, detail) VALUES ($1, $2, $4, 'agent.reply.stale', $5)`

// staleAgentWhy is what the agent.reply.stale event says.
const staleAgentWhy = "the reply reached the desk late (see mail.quiet): its commands were not applied and its text was not relayed; kept as internal"

// quietOpenedSLA is the sla of the mail.quiet event of mail that opened
// its ticket.
const quietOpenedSLA = "no SLA clock started"

// unannouncedSQL picks, of tickets $1, those quiet mail opened ($2) whose
// requester the desk has sent nothing a person wrote.
const unannouncedSQL = `
SELECT t.id FROM unnest($1::bigint[]) t(id)
 WHERE EXISTS (SELECT 1 FROM events e WHERE e.ticket_id = t.id AND e.kind = 'mail.quiet' AND e.detail->>'sla' = $2)
   AND NOT EXISTS (SELECT 1 FROM outbox o WHERE o.ticket_id = t.id AND NOT o.automatic)`

// unannounced returns which of tickets ids are unknown to their requesters
// (see above): their status changes send no mail.
func unannounced(ctx context.Context, tx pgx.Tx, ids []int64) (map[int64]bool, error) {
	rows, _ := tx.Query(ctx, unannouncedSQL, ids, quietOpenedSLA)
	found, err := pgx.CollectRows(rows, pgx.RowTo[int64])
	if err != nil {
		return nil, fmt.Errorf("ticketing: finding tickets opened quietly: %w", err)
	}
	out := make(map[int64]bool, len(found))
	for _, id := range found {
		out[id] = true
	}
	return out, nil
}

// announced returns ns without the status mail of unannounced tickets,
// unless ns also relays an agent's reply to the ticket's requester.
func announced(ctx context.Context, tx pgx.Tx, ns []notice) ([]notice, error) {
	var ids []int64
	for _, n := range ns {
		if isStatusMail(n.event) {
			ids = append(ids, n.ticket)
		}
	}
	if len(ids) == 0 {
		return ns, nil
	}
	un, err := unannounced(ctx, tx, ids)
	if err != nil || len(un) == 0 {
		return ns, err
	}
	for _, n := range ns {
		if n.event == templates.AgentReply {
			delete(un, n.ticket)
		}
	}
	kept := make([]notice, 0, len(ns))
	for _, n := range ns {
		if !un[n.ticket] || !isStatusMail(n.event) {
			kept = append(kept, n)
		}
	}
	return kept, nil
}

// isStatusMail reports whether event is the mail of a status change.
func isStatusMail(event string) bool {
	for _, ev := range statusEvents {
		if ev == event {
			return true
		}
	}
	return false
}
