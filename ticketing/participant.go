package ticketing

import (
	"context"
	"fmt"
	"strings"

	"github.com/jackc/pgx/v5"
)

func lower(s string) string { return strings.ToLower(strings.TrimSpace(s)) }

// deskKey is an address with any +detail removed from its local part, so
// that help+anything@desk is recognised as the desk's help@desk.
func deskKey(addr string) string {
	addr = lower(addr)
	local, domain, ok := strings.Cut(addr, "@")
	if !ok {
		return addr
	}
	if i := strings.IndexByte(local, '+'); i > 0 {
		local = local[:i]
	}
	return local + "@" + domain
}

// isDesk reports whether addr is one of the desk's own addresses,
// plus-addressed or not; such addresses never become participants.
func (d *Desk) isDesk(addr string) bool { return d.desk[deskKey(addr)] }

// requester is who a new ticket is for: the sender, or where configured
// the first Reply-To address that is not the desk's own.
func (d *Desk) requester(in *Inbound) Address {
	if in.OnBehalfOf != nil {
		return *in.OnBehalfOf
	}
	if d.replyTo {
		for _, a := range in.ReplyTo {
			if addr := lower(a.Address); addr != "" && !d.isDesk(addr) && strings.Contains(addr, "@") {
				return a
			}
		}
	}
	return in.From
}

// ccParticipants are the people a new ticket's first message was also
// addressed to (To and Cc, and its sender when someone else is the
// requester), less the desk's own addresses: they are kept informed with
// the requester.
func (d *Desk) ccParticipants(in *Inbound, requester Address) []Address {
	seen := map[string]bool{lower(requester.Address): true}
	var out []Address
	if from := lower(in.From.Address); !seen[from] && !d.isDesk(from) && !d.isAgent(from) {
		seen[from] = true
		out = append(out, Address{Name: in.From.Name, Address: from})
	}
	for _, a := range append(append([]Address{}, in.To...), in.Cc...) {
		addr := lower(a.Address)
		if addr == "" || seen[addr] || d.isDesk(addr) || d.isAgent(addr) || !strings.Contains(addr, "@") {
			continue
		}
		seen[addr] = true
		out = append(out, Address{Name: a.Name, Address: addr})
	}
	return out
}

// tagMembers records, for messages whose subject quotes a ticket tag,
// whether their sender takes part in that ticket.
type tagMembers map[string]bool

func (m tagMembers) has(ticket int64, addr string) bool {
	return m[fmt.Sprintf("%d\x00%s", ticket, lower(addr))]
}

const tagMembersSQL = `
SELECT p.ticket_id, p.address FROM participants p
JOIN unnest($1::bigint[], $2::text[]) AS q (ticket_id, address)
  ON p.ticket_id = q.ticket_id AND p.address = q.address`

// lookupTagMembers checks, in one query on the participants' primary key,
// which senders of tagged subjects take part in the ticket they quote.
func lookupTagMembers(ctx context.Context, tx pgx.Tx, tags Tagger, ins []Inbound) (tagMembers, error) {
	var tickets []int64
	var addrs []string
	for i := range ins {
		if t := tags.Find(ins[i].Subject); t != 0 && ins[i].Class == ClassHuman {
			tickets, addrs = append(tickets, t), append(addrs, lower(ins[i].From.Address))
		}
	}
	members := tagMembers{}
	if len(tickets) == 0 {
		return members, nil
	}
	rows, err := tx.Query(ctx, tagMembersSQL, tickets, addrs)
	if err != nil {
		return nil, fmt.Errorf("ticketing: looking up participants: %w", err)
	}
	var t int64
	var a string
	_, err = pgx.ForEachRow(rows, []any{&t, &a}, func() error {
		members[fmt.Sprintf("%d\x00%s", t, a)] = true
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("ticketing: looking up participants: %w", err)
	}
	return members, nil
}

// addParticipantSQL adds a participant unless already present; the event
// is written, and a row returned, only when someone new joined.
const addParticipantSQL = `
WITH p AS (
    INSERT INTO participants (ticket_id, address, name, role) VALUES ($1, $2, $3, $4)
    ON CONFLICT DO NOTHING RETURNING ticket_id
)
INSERT INTO events (ticket_id, inbound_id, actor, kind, detail)
SELECT ticket_id, $5, $2, 'participant.added', $6 FROM p RETURNING id`

func queueAddParticipant(b *pgx.Batch, ticketID, captureID int64, who Address, role, why string) {
	b.Queue(addParticipantSQL, ticketID, lower(who.Address), who.Name, role, captureID,
		jsonOf(map[string]any{"address": lower(who.Address), "role": role, "why": why}))
}
