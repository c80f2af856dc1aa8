package ticketing

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"strings"
	"time"

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

// createTicketsSQL opens a batch's new tickets, each with its first
// message, its ticket.created event and its participants, in one
// statement (a statement per ticket cost PostgreSQL about a third more in
// BenchmarkIngest: 5.2 s against 4.0 s per 10,000 tickets). The ids come
// numbered (newIDs), in the batch's order, so that they are as one
// statement per ticket made them. Each insert unnests the arrays it needs,
// so that no shared CTE holds a copy of the bodies. refs and tags come as
// JSON arrays, since SQL arrays of arrays must be rectangular; the
// participants come as their own arrays, by ticket id; each message's
// search vector in tsvector's binary form (see tsvector).
const createTicketsSQL = `
WITH t AS (
    INSERT INTO tickets (id, subject, requester_name, requester_addr, queue, received_at, language, team,
        category, impact, urgency, priority, tags, sla_policy, assignee, thread_root)
    SELECT id, subject, requester_name, requester_addr, queue,
        coalesce((SELECT captured_at FROM inbound WHERE inbound.id = u.inbound), now()), language, team,
        category, impact, urgency, priority, ARRAY(SELECT jsonb_array_elements_text(tags::jsonb)), sla_policy,
        assignee, root
    FROM unnest($1::bigint[], $4::bigint[], $5::text[], $6::text[], $7::text[], $8::text[], $9::text[], $10::text[],
        $11::text[], $12::text[], $13::text[], $14::text[], $15::text[], $16::text[], $17::text[], $18::text[])
        AS u (id, inbound, subject, requester_name, requester_addr, queue, language, team, category, impact,
        urgency, priority, tags, sla_policy, assignee, root)
), m AS (
    INSERT INTO messages (id, ticket_id, inbound_id, direction, message_id, in_reply_to, refs,
        from_name, from_addr, to_addrs, cc_addrs, subject, sent_at, text_body, html_body, class, fingerprint, new_text,
        thread_root, search)
    SELECT id, ticket, inbound, 'in', message_id, in_reply_to, ARRAY(SELECT jsonb_array_elements_text(refs::jsonb)),
        from_name, from_addr, to_addrs::jsonb, cc_addrs::jsonb, subject, sent_at, text_body, html_body, class,
        fingerprint, new_text, thread_root, search
    FROM unnest($2::bigint[], $1::bigint[], $4::bigint[], $19::text[], $20::text[], $21::text[], $22::text[],
        $23::text[], $24::text[], $25::timestamptz[], $26::text[], $27::text[], $28::text[], $29::bytea[], $30::text[],
        $31::text[], $32::text[], $33::text[], $39::tsvector[])
        AS u (id, ticket, inbound, message_id, in_reply_to, refs, to_addrs, cc_addrs, subject, sent_at, text_body,
        html_body, class, fingerprint, new_text, thread_root, from_name, from_addr, search)
), e AS (
    INSERT INTO events (id, ticket_id, inbound_id, actor, kind, detail)
    SELECT id, ticket, inbound, from_addr, 'ticket.created', detail::jsonb
    FROM unnest($3::bigint[], $1::bigint[], $4::bigint[], $33::text[], $34::text[]) AS u (id, ticket, inbound, from_addr, detail)
)
INSERT INTO participants (ticket_id, address, name, role)
SELECT * FROM unnest($35::bigint[], $36::text[], $37::text[], $38::text[])
ON CONFLICT DO NOTHING`

// ticketRows are createTicketsSQL's arguments.
type ticketRows struct {
	ticket, message, event, inbound                              []int64
	subject, requesterName, requesterAddr, queue, language, team []string
	category, impact, urgency, priority, tags, policy, assignee  []string
	root, messageID, inReplyTo, refs, to, cc, messageSubject     []string
	sentAt                                                       []*time.Time
	text, html, class                                            []string
	fingerprint                                                  [][]byte
	newText, threadRoot, fromName, fromAddr, detail              []string
	vector                                                       []tsvector
	pTicket                                                      []int64
	pAddr, pName, pRole                                          []string
}

// add opens a ticket for in, for requester, with cc as further
// participants (left more were not added), with the fields the policy
// decided (c) and root as its Outlook conversation root; its ids are
// those of the ticket, its message and its ticket.created event.
func (r *ticketRows) add(ids newIDs, in *Inbound, fp []byte, requester Address, cc []Address, left int, why string, ev Evidence, c *classified, root string) {
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
	addrs := []string{lower(requester.Address)}
	r.pTicket, r.pAddr, r.pName, r.pRole = append(r.pTicket, ids.ticket), append(r.pAddr, addrs[0]), append(r.pName, requester.Name), append(r.pRole, "requester")
	for _, a := range cc {
		addrs = append(addrs, a.Address)
		r.pTicket, r.pAddr, r.pName, r.pRole = append(r.pTicket, ids.ticket), append(r.pAddr, a.Address), append(r.pName, a.Name), append(r.pRole, "cc")
	}
	if len(cc) > 0 {
		detail["cc"] = addrs[1:]
	}
	if left > 0 {
		detail["cc_left_out"] = left // beyond tickets.max_participants
	}
	r.ticket, r.message, r.event, r.inbound = append(r.ticket, ids.ticket), append(r.message, ids.message), append(r.event, ids.event), append(r.inbound, in.CaptureID)
	r.subject, r.requesterName, r.requesterAddr = append(r.subject, subject), append(r.requesterName, requester.Name), append(r.requesterAddr, requester.Address)
	r.queue, r.language, r.team, r.category = append(r.queue, in.Queue), append(r.language, c.language), append(r.team, t.Team), append(r.category, t.Category)
	r.impact, r.urgency, r.priority = append(r.impact, t.Impact), append(r.urgency, t.Urgency), append(r.priority, t.Priority)
	r.tags, r.policy, r.assignee, r.root = append(r.tags, string(jsonOf(nonNil(t.Tags)))), append(r.policy, c.policy), append(r.assignee, t.Assignee), append(r.root, root)
	r.messageID, r.inReplyTo, r.refs = append(r.messageID, in.MessageID), append(r.inReplyTo, first(in.InReplyTo)), append(r.refs, string(jsonOf(nonNil(in.References))))
	r.to, r.cc, r.messageSubject, r.sentAt = append(r.to, string(addrJSON(in.To))), append(r.cc, string(addrJSON(in.Cc))), append(r.messageSubject, in.Subject), append(r.sentAt, dateOf(in))
	r.text, r.html, r.class, r.fingerprint = append(r.text, in.Text), append(r.html, in.HTML), append(r.class, string(in.Class)), append(r.fingerprint, fp)
	r.newText, r.threadRoot, r.vector = append(r.newText, newText(in)), append(r.threadRoot, in.ThreadRoot), append(r.vector, tsvector{vectorOf(in)})
	r.fromName, r.fromAddr, r.detail = append(r.fromName, in.From.Name), append(r.fromAddr, in.From.Address), append(r.detail, string(jsonOf(detail)))
}

// insert stores the tickets in tx.
func (r *ticketRows) insert(ctx context.Context, tx pgx.Tx) error {
	if len(r.ticket) == 0 {
		return nil
	}
	_, err := tx.Exec(ctx, createTicketsSQL, r.ticket, r.message, r.event, r.inbound, r.subject, r.requesterName,
		r.requesterAddr, r.queue, r.language, r.team, r.category, r.impact, r.urgency, r.priority, r.tags, r.policy,
		r.assignee, r.root, r.messageID, r.inReplyTo, r.refs, r.to, r.cc, r.messageSubject, r.sentAt, r.text, r.html,
		r.class, r.fingerprint, r.newText, r.threadRoot, r.fromName, r.fromAddr, r.detail,
		r.pTicket, r.pAddr, r.pName, r.pRole, r.vector)
	return err
}

// newIDs are the ids of a new ticket, its first message and its
// ticket.created event.
type newIDs struct{ ticket, message, event int64 }

// numberTickets takes n sets of ids from the sequences, in order.
func numberTickets(ctx context.Context, tx pgx.Tx, n int) ([]newIDs, error) {
	rows, err := tx.Query(ctx, `SELECT nextval('tickets_id_seq'), nextval('messages_id_seq'), nextval('events_id_seq')
		FROM generate_series(1, $1)`, n)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, func(row pgx.CollectableRow) (newIDs, error) {
		var ids newIDs
		err := row.Scan(&ids.ticket, &ids.message, &ids.event)
		return ids, err
	})
}

// addMessagesSQL adds a batch's replies to their tickets in one statement
// and returns their ids in the order of its arrays; their
// message.received events go with the batch's other events (writes).
// refs come as JSON arrays, as in createTicketsSQL.
const addMessagesSQL = `
WITH ids AS (
    SELECT nextval('messages_id_seq') AS id, n FROM generate_series(1, cardinality($1::bigint[])) AS n
), m AS (
    INSERT INTO messages (id, ticket_id, inbound_id, direction, message_id, in_reply_to, refs,
        from_name, from_addr, to_addrs, cc_addrs, subject, sent_at, text_body, html_body, class, fingerprint, new_text,
        thread_root, held, visibility, search)
    SELECT ids.id, ticket, inbound, 'in', message_id, in_reply_to, ARRAY(SELECT jsonb_array_elements_text(refs::jsonb)),
        from_name, from_addr, to_addrs::jsonb, cc_addrs::jsonb, subject, sent_at, text_body, html_body, class,
        fingerprint, new_text, thread_root, held, CASE WHEN held THEN 'internal' ELSE 'public' END, search
    FROM unnest($1::bigint[], $2::bigint[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::text[],
        $9::text[], $10::text[], $11::timestamptz[], $12::text[], $13::text[], $14::text[], $15::bytea[], $16::text[],
        $17::text[], $18::bool[], $19::tsvector[]) WITH ORDINALITY
        AS u (ticket, inbound, message_id, in_reply_to, refs, from_name, from_addr, to_addrs, cc_addrs, subject,
        sent_at, text_body, html_body, class, fingerprint, new_text, thread_root, held, search, n)
    JOIN ids USING (n) ORDER BY n
), t AS (
    -- retained_at = NULL: a ticket retention handled gets mail still (an
    -- agent writes to it when closed); the next run removes that too.
    UPDATE tickets SET updated_at = now(), retained_at = NULL WHERE id = ANY($1)
)
SELECT id FROM ids ORDER BY n`

// messageRows are addMessagesSQL's arguments.
type messageRows struct {
	ticket                                         []int64
	inbound                                        []*int64 // nil: written through the API or CLI
	messageID, inReplyTo, refs, fromName, fromAddr []string
	to, cc, subject                                []string
	sentAt                                         []*time.Time
	text, html, class                              []string
	fingerprint                                    [][]byte
	newText, threadRoot                            []string
	vector                                         []tsvector
	held                                           []bool
}

// add adds in to ticket ticketID, with its message.received event on w;
// held keeps it internal.
func (r *messageRows) add(w *writes, ticketID int64, in *Inbound, fp []byte, why string, held bool) {
	r.ticket, r.inbound, r.messageID = append(r.ticket, ticketID), append(r.inbound, idOrNil(in.CaptureID)), append(r.messageID, in.MessageID)
	r.inReplyTo, r.refs = append(r.inReplyTo, first(in.InReplyTo)), append(r.refs, string(jsonOf(nonNil(in.References))))
	r.fromName, r.fromAddr = append(r.fromName, in.From.Name), append(r.fromAddr, in.From.Address)
	r.to, r.cc, r.subject, r.sentAt = append(r.to, string(addrJSON(in.To))), append(r.cc, string(addrJSON(in.Cc))), append(r.subject, in.Subject), append(r.sentAt, dateOf(in))
	r.text, r.html, r.class, r.fingerprint = append(r.text, in.Text), append(r.html, in.HTML), append(r.class, string(in.Class)), append(r.fingerprint, fp)
	r.newText, r.threadRoot, r.held = append(r.newText, newText(in)), append(r.threadRoot, in.ThreadRoot), append(r.held, held)
	r.vector = append(r.vector, tsvector{vectorOf(in)})
	w.event(ticketID, in.CaptureID, in.From.Address, "message.received",
		map[string]any{"mailbox": in.Mailbox, "message_id": in.MessageID, "class": in.Class, "why": why})
}

// insert stores the messages in tx and returns their ids, in order.
func (r *messageRows) insert(ctx context.Context, tx pgx.Tx) ([]int64, error) {
	if len(r.ticket) == 0 {
		return nil, nil
	}
	rows, err := tx.Query(ctx, addMessagesSQL, r.ticket, r.inbound, r.messageID, r.inReplyTo, r.refs, r.fromName,
		r.fromAddr, r.to, r.cc, r.subject, r.sentAt, r.text, r.html, r.class, r.fingerprint, r.newText, r.threadRoot, r.held, r.vector)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, pgx.RowTo[int64])
}

const eventSQL = `
INSERT INTO events (ticket_id, inbound_id, actor, kind, detail) VALUES ($1, $2, 'deskgate', $3, $4) RETURNING id`

// queueEvent queues an event on ticketID by deskgate.
func queueEvent(w *writes, ticketID, captureID int64, kind string, detail map[string]any) {
	w.event(ticketID, captureID, "deskgate", kind, detail)
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

// dateOf is in's Date, nil when it has none.
func dateOf(in *Inbound) *time.Time {
	if in.Date.IsZero() {
		return nil
	}
	return &in.Date
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
