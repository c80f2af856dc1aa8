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

// DefaultMaxParticipants is how many participants a ticket gains
// automatically from the To and Cc of its mail.
const DefaultMaxParticipants = 50

// ccParticipants are the people a ticket's message was also addressed to
// (To and Cc, and its sender when someone else is the requester), less the
// desk's own addresses and agents, at most d.maxParticipants-1 of them (so
// that with the requester a new ticket has at most d.maxParticipants):
// they are kept informed with the requester. left is how many more there
// were.
func (d *Desk) ccParticipants(in *Inbound, requester Address) (out []Address, left int) {
	seen := map[string]bool{lower(requester.Address): true}
	add := func(a Address) {
		addr := lower(a.Address)
		if addr == "" || seen[addr] || d.isDesk(addr) || d.isAgent(addr) || !strings.Contains(addr, "@") {
			return
		}
		seen[addr] = true
		if len(out) >= d.maxParticipants-1 {
			left++
			return
		}
		out = append(out, Address{Name: a.Name, Address: addr})
	}
	add(in.From)
	for _, as := range [][]Address{in.To, in.Cc} {
		for _, a := range as {
			add(a)
		}
	}
	return out, left
}

// publicEvidence reports whether evidence of this kind can be copied from
// a message someone else received: Message-IDs leak through forwards, Cc,
// list archives and out-of-office replies, and so do Outlook's roots.
func publicEvidence(kind string) bool {
	switch kind {
	case EvidenceInReplyTo, EvidenceReferences, EvidenceThreadIndex:
		return true
	}
	return false
}

// freemail are domains where anyone can have an address: sharing one with
// a requester says nothing about who the sender is.
var freemail = map[string]bool{
	"gmail.com": true, "googlemail.com": true, "outlook.com": true, "hotmail.com": true, "live.com": true,
	"msn.com": true, "yahoo.com": true, "ymail.com": true, "icloud.com": true, "me.com": true, "mac.com": true,
	"aol.com": true, "gmx.com": true, "gmx.net": true, "gmx.de": true, "web.de": true, "mail.com": true,
	"proton.me": true, "protonmail.com": true, "zoho.com": true, "yandex.ru": true, "yandex.com": true,
	"mail.ru": true, "qq.com": true, "163.com": true, "126.com": true, "sina.com": true, "naver.com": true,
	"hotmail.se": true, "live.se": true, "outlook.se": true, "yahoo.se": true, "hotmail.co.uk": true,
	"yahoo.co.uk": true, "hotmail.fr": true, "yahoo.fr": true, "orange.fr": true, "t-online.de": true,
	"libero.it": true, "telia.com": true, "comhem.se": true, "bredband.net": true,
}

// sameDomain reports whether a and b are addresses at one domain that is
// not a public mail provider's.
func sameDomain(a, b string) bool {
	_, da, ok1 := strings.Cut(lower(a), "@")
	_, db, ok2 := strings.Cut(lower(b), "@")
	return ok1 && ok2 && da != "" && da == db && !freemail[da]
}

// members records which senders of the batch take part in the ticket their
// mail points to, by ticket id and lower-cased address.
type members map[string]bool

func memberKey(ticket int64, addr string) string { return fmt.Sprintf("%d\x00%s", ticket, lower(addr)) }

func (m members) has(ticket int64, addr string) bool { return m[memberKey(ticket, addr)] }

const membersSQL = `
SELECT p.ticket_id, p.address FROM participants p
JOIN unnest($1::bigint[], $2::text[]) AS q (ticket_id, address)
  ON p.ticket_id = q.ticket_id AND p.address = q.address`

// lookupMembers checks which senders of the batch's replies take part in
// the ticket (as it lives on, after merges) that public headers link
// them to.
func lookupMembers(ctx context.Context, tx pgx.Tx, ins []Inbound, plans []plan, states map[int64]ticketState) (members, error) {
	var tickets []int64
	var addrs []string
	for i, p := range plans {
		if st, ok := states[p.ticket]; ok && p.action == join && publicEvidence(p.evidence.Kind) {
			tickets, addrs = append(tickets, st.id), append(addrs, lower(ins[i].From.Address))
		}
	}
	return queryMembers(ctx, tx, tickets, addrs)
}

// lookupTagMembers checks which senders of tagged subjects take part in
// the ticket they quote.
func lookupTagMembers(ctx context.Context, tx pgx.Tx, tags Tagger, ins []Inbound) (members, error) {
	var tickets []int64
	var addrs []string
	for i := range ins {
		if t := tags.Find(ins[i].Subject); t != 0 && ins[i].Class == ClassHuman {
			tickets, addrs = append(tickets, t), append(addrs, lower(ins[i].From.Address))
		}
	}
	return queryMembers(ctx, tx, tickets, addrs)
}

// queryMembers asks, in one query on the participants' primary key, which
// of the pairs (tickets[i], addrs[i]) are participants.
func queryMembers(ctx context.Context, tx pgx.Tx, tickets []int64, addrs []string) (members, error) {
	m := members{}
	if len(tickets) == 0 {
		return m, nil
	}
	rows, err := tx.Query(ctx, membersSQL, tickets, addrs)
	if err != nil {
		return nil, fmt.Errorf("ticketing: looking up participants: %w", err)
	}
	var t int64
	var a string
	_, err = pgx.ForEachRow(rows, []any{&t, &a}, func() error {
		m[memberKey(t, a)] = true
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("ticketing: looking up participants: %w", err)
	}
	return m, nil
}

// addParticipantSQL adds a participant unless already present or, with a
// limit ($7 > 0), the ticket has that many already, which is then
// recorded; the participant.added event is written, and a row returned,
// only when someone new joined.
const addParticipantSQL = `
WITH full_ AS (
    SELECT $7 > 0 AND (SELECT count(*) FROM participants WHERE ticket_id = $1) >= $7 AS yes
), p AS (
    INSERT INTO participants (ticket_id, address, name, role)
    SELECT $1, $2, $3, $4 FROM full_ WHERE NOT yes
    ON CONFLICT DO NOTHING RETURNING ticket_id
), refused AS (
    INSERT INTO events (ticket_id, inbound_id, actor, kind, detail)
    SELECT $1, $5, 'deskgate', 'participant.refused', jsonb_build_object('address', $2::text, 'max', $7::int,
        'why', 'the ticket has tickets.max_participants participants already')
    FROM full_ WHERE yes AND NOT EXISTS (SELECT 1 FROM participants WHERE ticket_id = $1 AND address = $2)
)
INSERT INTO events (ticket_id, inbound_id, actor, kind, detail)
SELECT ticket_id, $5, $2, 'participant.added', $6 FROM p RETURNING id`

// queueAddParticipant adds who to the ticket unless it has max
// participants already (no limit when max is 0).
func queueAddParticipant(b *pgx.Batch, ticketID, captureID int64, who Address, role, why string, max int) {
	b.Queue(addParticipantSQL, ticketID, lower(who.Address), who.Name, role, nullID(captureID),
		jsonOf(map[string]any{"address": lower(who.Address), "role": role, "why": why}), max)
}
