package ticketing

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"log/slog"
	"strings"

	"github.com/jackc/pgx/v5"
)

// Outcome statuses: what became of one inbound message.
const (
	StatusTicketed    = "ticketed"    // it opened a new ticket
	StatusAttached    = "attached"    // it joined an existing ticket
	StatusIgnored     = "ignored"     // recorded, but joined no ticket (Reason says why)
	StatusQuarantined = "quarantined" // it cannot be handled until a person looks (Reason says why)
)

// Outcome is what Receive did with one Inbound.
type Outcome struct {
	Status   string
	Reason   string
	TicketID int64 // 0 when the message joined no ticket
}

// Desk applies inbound mail to tickets.
type Desk struct {
	log *slog.Logger
}

// NewDesk returns a Desk that logs to log.
func NewDesk(log *slog.Logger) *Desk {
	return &Desk{log: log}
}

// Receive applies a batch of inbound messages inside tx and returns one
// Outcome per message, in order. Human mail opens a ticket; the same
// message delivered twice (to two desk mailboxes) joins the ticket its first
// copy opened; auto-generated mail joins the ticket of a message it refers
// to, or is ignored. Every decision is written to the event log. The work is
// pipelined so that the cost per message stays small and flat.
func (d *Desk) Receive(ctx context.Context, tx pgx.Tx, ins []Inbound) ([]Outcome, error) {
	out := make([]Outcome, len(ins))
	sums := attachmentSums(ins)
	fps := make([][]byte, len(ins))
	for i := range ins {
		fps[i] = fingerprint(&ins[i], sums[i])
	}
	if err := lockMessageIDs(ctx, tx, ins); err != nil {
		return nil, err
	}
	known, err := lookupMessages(ctx, tx, ins)
	if err != nil {
		return nil, err
	}
	dup := make([]bool, len(ins)) // a second delivery of a message already handled

	// Phase 1: decide, and open tickets for new human mail in one pipeline.
	creates := &pgx.Batch{}
	var created []int
	batchSeen := map[string]int{} // message-id + fingerprint -> index of first copy in this batch
	for i := range ins {
		in := &ins[i]
		key := in.MessageID + "\x00" + string(fps[i])
		switch {
		case in.From.Address == "":
			out[i] = Outcome{Status: StatusQuarantined, Reason: "no sender: From, Sender and Reply-To are missing or unparseable, so there is nobody to answer"}
		case in.MessageID != "" && known.duplicate(in.MessageID, fps[i]) != 0:
			t := known.duplicate(in.MessageID, fps[i])
			dup[i] = true
			out[i] = Outcome{Status: StatusAttached, TicketID: t,
				Reason: fmt.Sprintf("duplicate delivery of <%s>, already on ticket #%d", in.MessageID, t)}
		case in.MessageID != "" && hasKey(batchSeen, key):
			dup[i] = true
			out[i] = Outcome{Status: StatusAttached, Reason: fmt.Sprintf("duplicate delivery of <%s>", in.MessageID)}
		case in.Class != ClassHuman:
			if t := referredTicket(in, known.ticketOf); t != 0 {
				out[i] = Outcome{Status: StatusAttached, TicketID: t,
					Reason: fmt.Sprintf("%s (%s) refers to a message of ticket #%d", in.Class, in.ClassReason, t)}
			} else {
				out[i] = Outcome{Status: StatusIgnored,
					Reason: fmt.Sprintf("%s (%s) refers to no known message, so it opens no ticket", in.Class, in.ClassReason)}
			}
		default:
			out[i] = Outcome{Status: StatusTicketed, Reason: "new message: no thread evidence links it to an existing ticket"}
			queueCreateTicket(creates, in, fps[i])
			created = append(created, i)
		}
		if in.MessageID != "" && !hasKey(batchSeen, key) {
			batchSeen[key] = i
		}
	}
	msgIDs := make([]int64, len(ins))
	if err := runBatch(ctx, tx, creates, func(k int, row pgx.Row) error {
		i := created[k]
		return row.Scan(&out[i].TicketID, &msgIDs[i])
	}); err != nil {
		return nil, fmt.Errorf("ticketing: opening tickets: %w", err)
	}

	// Phase 2: everything that joins a ticket, now that this batch's new
	// tickets exist; then attachments of every stored message.
	newTicket := map[string]int64{}
	for _, i := range created {
		if ins[i].MessageID != "" {
			newTicket[ins[i].MessageID] = out[i].TicketID
		}
	}
	joins := &pgx.Batch{}
	var joined []int
	for i := range ins {
		in := &ins[i]
		if out[i].Status == StatusIgnored && in.Class != ClassHuman {
			// A reply to a ticket opened earlier in this same batch.
			if t := referredTicket(in, func(id string) int64 { return newTicket[id] }); t != 0 {
				out[i] = Outcome{Status: StatusAttached, TicketID: t,
					Reason: fmt.Sprintf("%s (%s) refers to a message of ticket #%d", in.Class, in.ClassReason, t)}
			}
		}
		if out[i].Status != StatusAttached {
			continue
		}
		if out[i].TicketID == 0 { // duplicate of a copy earlier in this batch
			firstCopy := out[batchSeen[in.MessageID+"\x00"+string(fps[i])]]
			if firstCopy.TicketID == 0 {
				out[i] = Outcome{Status: StatusIgnored, Reason: out[i].Reason + ", whose first copy joined no ticket: " + firstCopy.Reason}
				continue
			}
			out[i].TicketID = firstCopy.TicketID
			out[i].Reason += fmt.Sprintf(", already on ticket #%d", out[i].TicketID)
		}
		if dup[i] {
			queueEvent(joins, out[i].TicketID, in.CaptureID, "message.duplicate", map[string]any{
				"message_id": in.MessageID, "mailbox": in.Mailbox, "reason": out[i].Reason})
			joined = append(joined, -1)
			continue
		}
		queueAddMessage(joins, out[i].TicketID, in, fps[i], out[i].Reason)
		joined = append(joined, i)
	}
	if err := runBatch(ctx, tx, joins, func(k int, row pgx.Row) error {
		if joined[k] < 0 {
			return row.Scan(new(int64))
		}
		return row.Scan(&msgIDs[joined[k]])
	}); err != nil {
		return nil, fmt.Errorf("ticketing: attaching messages: %w", err)
	}
	if err := storeAttachments(ctx, tx, ins, sums, msgIDs); err != nil {
		return nil, err
	}
	for i := range out {
		if out[i].Status == StatusIgnored || out[i].Status == StatusQuarantined {
			d.log.Debug("inbound not ticketed", "capture", ins[i].CaptureID, "status", out[i].Status, "reason", out[i].Reason)
		}
	}
	return out, nil
}

func hasKey(m map[string]int, k string) bool { _, ok := m[k]; return ok }

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

type storedMessage struct {
	fingerprint []byte
	ticketID    int64
}

type knownMessages map[string][]storedMessage

// duplicate is the ticket of a stored message with this Message-ID and
// content, or 0.
func (k knownMessages) duplicate(id string, fp []byte) int64 {
	for _, m := range k[id] {
		if bytes.Equal(m.fingerprint, fp) {
			return m.ticketID
		}
	}
	return 0
}

// ticketOf is the ticket of the first stored message with Message-ID id, or 0.
func (k knownMessages) ticketOf(id string) int64 {
	if ms := k[id]; len(ms) > 0 {
		return ms[0].ticketID
	}
	return 0
}

// referredTicket is the ticket, as ticketOf finds it, of a message that an
// auto-generated message reports on or replies to, most specific evidence first.
func referredTicket(in *Inbound, ticketOf func(id string) int64) int64 {
	for _, id := range referredIDs(in) {
		if t := ticketOf(id); t != 0 {
			return t
		}
	}
	return 0
}

func referredIDs(in *Inbound) []string {
	ids := make([]string, 0, 1+len(in.InReplyTo)+len(in.References))
	if in.OriginalMessageID != "" {
		ids = append(ids, in.OriginalMessageID)
	}
	ids = append(ids, in.InReplyTo...)
	for i := len(in.References) - 1; i >= 0; i-- {
		ids = append(ids, in.References[i])
	}
	return ids
}

// The message_id <> ” term lets the planner use the partial index
// messages_message_id; without it this would scan every message.
// lockMessageIDsSQL takes a transaction lock per Message-ID of the batch,
// in a fixed order so that concurrent batches cannot deadlock on them. Two
// processes handling copies of one message (delivered to two mailboxes)
// thus decide one after the other: the second sees the first's ticket.
const lockMessageIDsSQL = `
SELECT count(pg_advisory_xact_lock(1684367463, k))
FROM (SELECT DISTINCT hashtext(id) AS k FROM unnest($1::text[]) AS id ORDER BY 1) AS keys`

func lockMessageIDs(ctx context.Context, tx pgx.Tx, ins []Inbound) error {
	ids := make([]string, 0, len(ins))
	for i := range ins {
		if ins[i].MessageID != "" {
			ids = append(ids, ins[i].MessageID)
		}
	}
	if len(ids) == 0 {
		return nil
	}
	if _, err := tx.Exec(ctx, lockMessageIDsSQL, ids); err != nil {
		return fmt.Errorf("ticketing: locking message ids: %w", err)
	}
	return nil
}

const lookupMessagesSQL = `
SELECT message_id, fingerprint, ticket_id FROM messages
WHERE message_id = ANY($1) AND message_id <> '' ORDER BY id`

// lookupMessages finds, in one indexed query, every stored message whose
// Message-ID the batch carries or refers to.
func lookupMessages(ctx context.Context, tx pgx.Tx, ins []Inbound) (knownMessages, error) {
	var ids []string
	for i := range ins {
		if ins[i].MessageID != "" {
			ids = append(ids, ins[i].MessageID)
		}
		if ins[i].Class != ClassHuman {
			ids = append(ids, referredIDs(&ins[i])...)
		}
	}
	known := knownMessages{}
	if len(ids) == 0 {
		return known, nil
	}
	rows, err := tx.Query(ctx, lookupMessagesSQL, ids)
	if err != nil {
		return nil, fmt.Errorf("ticketing: looking up message ids: %w", err)
	}
	var (
		id string
		m  storedMessage
	)
	_, err = pgx.ForEachRow(rows, []any{&id, &m.fingerprint, &m.ticketID}, func() error {
		known[id] = append(known[id], m)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("ticketing: looking up message ids: %w", err)
	}
	return known, nil
}

// createTicketSQL opens a ticket with its first message and event in one
// statement, so a batch of them is one round trip.
const createTicketSQL = `
WITH t AS (
    INSERT INTO tickets (subject, requester_name, requester_addr, queue, received_at)
    SELECT $1, $2, $3, $4, coalesce((SELECT captured_at FROM inbound WHERE id = $5), now())
    RETURNING id
), m AS (
    INSERT INTO messages (ticket_id, inbound_id, direction, message_id, in_reply_to, refs,
        from_name, from_addr, to_addrs, cc_addrs, subject, sent_at, text_body, html_body, class, fingerprint)
    SELECT t.id, $5, 'in', $6, $7, $8, $2, $3, $9, $10, $11, $12, $13, $14, $15, $16 FROM t
    RETURNING id, ticket_id
), e AS (
    INSERT INTO events (ticket_id, inbound_id, actor, kind, detail)
    SELECT m.ticket_id, $5, $3, 'ticket.created', $17 FROM m
)
SELECT ticket_id, id FROM m`

func queueCreateTicket(b *pgx.Batch, in *Inbound, fp []byte) {
	subject := in.Subject
	if strings.TrimSpace(subject) == "" {
		subject = "(no subject)"
	}
	detail := map[string]any{"mailbox": in.Mailbox, "message_id": in.MessageID,
		"from": in.From.Address, "why": "new message: no thread evidence"}
	if in.Truncated {
		detail["truncated"] = true
	}
	b.Queue(createTicketSQL, subject, in.From.Name, in.From.Address, in.Queue, in.CaptureID,
		in.MessageID, first(in.InReplyTo), nonNil(in.References), addrJSON(in.To), addrJSON(in.Cc),
		in.Subject, nullTime(in), in.Text, in.HTML, string(in.Class), fp, jsonOf(detail))
}

const addMessageSQL = `
WITH m AS (
    INSERT INTO messages (ticket_id, inbound_id, direction, message_id, in_reply_to, refs,
        from_name, from_addr, to_addrs, cc_addrs, subject, sent_at, text_body, html_body, class, fingerprint)
    VALUES ($1, $2, 'in', $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)
    RETURNING id, ticket_id
), e AS (
    INSERT INTO events (ticket_id, inbound_id, actor, kind, detail)
    SELECT m.ticket_id, $2, $7, 'message.received', $16 FROM m
), u AS (
    UPDATE tickets SET updated_at = now() WHERE id = $1
)
SELECT id FROM m`

func queueAddMessage(b *pgx.Batch, ticketID int64, in *Inbound, fp []byte, why string) {
	b.Queue(addMessageSQL, ticketID, in.CaptureID, in.MessageID, first(in.InReplyTo), nonNil(in.References),
		in.From.Name, in.From.Address, addrJSON(in.To), addrJSON(in.Cc), in.Subject, nullTime(in),
		in.Text, in.HTML, string(in.Class), fp,
		jsonOf(map[string]any{"mailbox": in.Mailbox, "message_id": in.MessageID, "class": in.Class, "why": why}))
}

const eventSQL = `
INSERT INTO events (ticket_id, inbound_id, actor, kind, detail) VALUES ($1, $2, 'deskgate', $3, $4) RETURNING id`

func queueEvent(b *pgx.Batch, ticketID, captureID int64, kind string, detail map[string]any) {
	b.Queue(eventSQL, ticketID, captureID, kind, jsonOf(detail))
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
