package ticketing

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/jackc/pgx/v5"
)

// fingerprint identifies a message's content independently of its delivery
// (trace headers, the mailbox it reached). Two deliveries of one message
// share it; a sender reusing a Message-ID for different content does not.
// sums are the SHA-256 of in's attachments.
func fingerprint(in *Inbound, sums [][32]byte) []byte {
	h := sha256.New()
	text, html := in.Text, in.HTML
	if in.Truncated {
		text, html = "", "" // a note about the capture, not the content
	}
	for _, s := range []string{in.MessageID, strings.ToLower(in.From.Address), in.Subject, text, html} {
		var n [8]byte
		binary.BigEndian.PutUint64(n[:], uint64(len(s)))
		h.Write(n[:])
		h.Write([]byte(s))
	}
	var n [8]byte
	binary.BigEndian.PutUint64(n[:], uint64(in.Date.Unix()))
	h.Write(n[:])
	for _, sum := range sums {
		h.Write(sum[:])
	}
	return h.Sum(nil)
}

// createTicketSQL opens a ticket with its first message and event in one
// statement, so a batch of them is one round trip.
const createTicketSQL = `
WITH t AS (
    INSERT INTO tickets (subject, requester_name, requester_addr, queue, received_at, language, team,
        category, impact, urgency, priority, tags, sla_policy, assignee, thread_root)
    SELECT $1, $2, $3, $4, coalesce((SELECT captured_at FROM inbound WHERE id = $5), now()), $25, $26,
        $27, $28, $29, $30, $31, $32, $33, $34
    RETURNING id
), m AS (
    INSERT INTO messages (ticket_id, inbound_id, direction, message_id, in_reply_to, refs,
        from_name, from_addr, to_addrs, cc_addrs, subject, sent_at, text_body, html_body, class, fingerprint, new_text,
        thread_root)
    SELECT t.id, $5, 'in', $6, $7, $8, $23, $24, $9, $10, $11, $12, $13, $14, $15, $16, $21, $22 FROM t
    RETURNING id, ticket_id
), e AS (
    INSERT INTO events (ticket_id, inbound_id, actor, kind, detail)
    SELECT m.ticket_id, $5, $24, 'ticket.created', $17 FROM m
), p AS (
    INSERT INTO participants (ticket_id, address, name, role)
    SELECT m.ticket_id, a.address, a.name, a.role
    FROM m, unnest($18::text[], $19::text[], $20::text[]) AS a (address, name, role)
    ON CONFLICT DO NOTHING
)
SELECT ticket_id, id FROM m`

// queueCreateTicket opens a ticket for in, for requester, with cc as
// further participants (left more were not added), with the fields the
// policy decided (c) and root as its Outlook conversation root.
func queueCreateTicket(b *pgx.Batch, in *Inbound, fp []byte, requester Address, cc []Address, left int, why string, ev Evidence, c *classified, root string) {
	t := c.result.Ticket
	subject := in.Subject
	if strings.TrimSpace(subject) == "" {
		subject = "(no subject)"
	}
	detail := map[string]any{"mailbox": in.Mailbox, "message_id": in.MessageID,
		"from": in.From.Address, "why": why, "evidence": ev}
	if in.Truncated {
		detail["truncated"] = true
	}
	addrs, names, roles := []string{lower(requester.Address)}, []string{requester.Name}, []string{"requester"}
	for _, a := range cc {
		addrs, names, roles = append(addrs, a.Address), append(names, a.Name), append(roles, "cc")
	}
	if len(cc) > 0 {
		detail["cc"] = addrs[1:]
	}
	if left > 0 {
		detail["cc_left_out"] = left // beyond tickets.max_participants
	}
	b.Queue(createTicketSQL, subject, requester.Name, requester.Address, in.Queue, in.CaptureID,
		in.MessageID, first(in.InReplyTo), nonNil(in.References), addrJSON(in.To), addrJSON(in.Cc),
		in.Subject, nullTime(in), in.Text, in.HTML, string(in.Class), fp, jsonOf(detail), addrs, names, roles, newText(in), in.ThreadRoot,
		in.From.Name, in.From.Address, c.language, t.Team, t.Category, t.Impact, t.Urgency, t.Priority, nonNil(t.Tags), c.policy, t.Assignee, root)
}

const addMessageSQL = `
WITH m AS (
    INSERT INTO messages (ticket_id, inbound_id, direction, message_id, in_reply_to, refs,
        from_name, from_addr, to_addrs, cc_addrs, subject, sent_at, text_body, html_body, class, fingerprint, new_text,
        thread_root, held, visibility)
    VALUES ($1, $2, 'in', $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $17, $18,
        $19, CASE WHEN $19 THEN 'internal' ELSE 'public' END)
    RETURNING id, ticket_id
), e AS (
    INSERT INTO events (ticket_id, inbound_id, actor, kind, detail)
    SELECT m.ticket_id, $2, $7, 'message.received', $16 FROM m
), u AS (
    UPDATE tickets SET updated_at = now() WHERE id = $1
)
SELECT id FROM m`

// queueAddMessage adds in to ticket ticketID; held keeps it internal.
func queueAddMessage(b *pgx.Batch, ticketID int64, in *Inbound, fp []byte, why string, held bool) {
	b.Queue(addMessageSQL, ticketID, nullID(in.CaptureID), in.MessageID, first(in.InReplyTo), nonNil(in.References),
		in.From.Name, in.From.Address, addrJSON(in.To), addrJSON(in.Cc), in.Subject, nullTime(in),
		in.Text, in.HTML, string(in.Class), fp,
		jsonOf(map[string]any{"mailbox": in.Mailbox, "message_id": in.MessageID, "class": in.Class, "why": why}), newText(in), in.ThreadRoot, held)
}

const eventSQL = `
INSERT INTO events (ticket_id, inbound_id, actor, kind, detail) VALUES ($1, $2, 'deskgate', $3, $4) RETURNING id`

func queueEvent(b *pgx.Batch, ticketID, captureID int64, kind string, detail map[string]any) {
	b.Queue(eventSQL, ticketID, nullID(captureID), kind, jsonOf(detail))
}

// runBatch sends b in one round trip and scans each result in order.
func runBatch(ctx context.Context, tx pgx.Tx, b *pgx.Batch, scan func(k int, row pgx.Row) error) error {
	if b.Len() == 0 {
		return nil
	}
	res := tx.SendBatch(ctx, b)
	for k := range b.Len() {
		if err := scan(k, res.QueryRow()); err != nil {
			res.Close()
			return err
		}
	}
	return res.Close()
}

func first(s []string) string {
	if len(s) == 0 {
		return ""
	}
	return s[0]
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

func nullTime(in *Inbound) any {
	if in.Date.IsZero() {
		return nil
	}
	return in.Date
}

func addrJSON(as []Address) []byte {
	if as == nil {
		as = []Address{}
	}
	return jsonOf(as)
}

func jsonOf(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		panic(fmt.Sprintf("ticketing: marshalling %T: %v", v, err)) // only plain values reach here
	}
	return b
}

// addedText is what in adds to its conversation: NewText, or the whole
// text when nothing was stripped (or stripping did not run).
func addedText(in *Inbound) string {
	if in.NewText != "" {
		return in.NewText
	}
	return in.Text
}

// newText is what is stored as a message's new content: "" when it is the
// whole text (nothing was quoted), which readers take as the text itself.
func newText(in *Inbound) string {
	if in.NewText == in.Text {
		return ""
	}
	return in.NewText
}
