package ticketing

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

// ErrNotFound is returned when a ticket does not exist.
var ErrNotFound = errors.New("not found")

// DB is what the read side needs: a pool, a connection or a transaction.
type DB interface {
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
	Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error)
}

// TicketSummary is one row of a ticket listing. Its JSON form is a stable
// contract for scripts.
type TicketSummary struct {
	Number     int64     `json:"number"`
	Subject    string    `json:"subject"`
	Status     string    `json:"status"`
	Priority   string    `json:"priority"` // "" without a priority matrix
	Queue      string    `json:"queue"`
	Team       string    `json:"team"`
	Assignee   string    `json:"assignee"`
	Category   string    `json:"category"`
	Requester  Address   `json:"requester"`
	ReceivedAt time.Time `json:"received_at"`
	UpdatedAt  time.Time `json:"updated_at"`
	Messages   int       `json:"messages"`
}

// Ticket is a ticket with its messages, the mail sent about it and its
// event log.
type Ticket struct {
	TicketSummary
	Language string   `json:"language"` // the language its mail is written in
	Impact   string   `json:"impact"`
	Urgency  string   `json:"urgency"`
	Tags     []string `json:"tags"`
	// Participants are the people the ticket's mail goes to.
	Participants  []Participant `json:"participants"`
	SLAPolicy     string        `json:"sla_policy"`
	ReopenCount   int           `json:"reopen_count"`
	Clocks        []Clock       `json:"sla_clocks"`
	Thread        []Message     `json:"thread"`
	Notifications []Notice      `json:"notifications"`
	Events        []Event       `json:"events"`
}

// Notice is one email deskgate queued about a ticket, and what became of it.
type Notice struct {
	ID        int64      `json:"id"`
	Event     string     `json:"event"`
	To        string     `json:"to"`
	Status    string     `json:"status"` // queued, sent, failed, suppressed or bounced
	Reason    string     `json:"reason"` // why it was suppressed or bounced
	Reply     string     `json:"reply"`  // the SMTP server's last answer
	Attempts  int        `json:"attempts"`
	Language  string     `json:"language"`
	Subject   string     `json:"subject"`
	MessageID string     `json:"message_id"`
	QueuedAt  time.Time  `json:"queued_at"`
	SentAt    *time.Time `json:"sent_at"`
	// Delivered: the SMTP server accepted it for To. A queued email may
	// have been, while some of its other recipients wait for a retry.
	Delivered bool `json:"delivered"`
}

// Message is a stored message of a ticket.
type Message struct {
	ID          int64            `json:"id"`
	Inbound     *int64           `json:"inbound"`
	Direction   string           `json:"direction"`
	MessageID   string           `json:"message_id"`
	InReplyTo   string           `json:"in_reply_to"`
	References  []string         `json:"references"`
	From        Address          `json:"from"`
	To          []Address        `json:"to"`
	Cc          []Address        `json:"cc"`
	Subject     string           `json:"subject"`
	Date        *time.Time       `json:"date"`
	Class       Class            `json:"class"`
	Text        string           `json:"text"`
	NewText     string           `json:"new_text"` // without quoted history and signatures
	HTML        string           `json:"html"`
	Attachments []AttachmentInfo `json:"attachments"`
	// ThreadEvidence is what put an inbound message on this ticket.
	ThreadEvidence *Evidence `json:"thread_evidence"`
	// Visibility is public, or internal for an agent's note or a reply of
	// commands only: the requester never sees an internal message.
	Visibility string `json:"visibility"`
	// Agent is the verified agent who wrote it by email; "" otherwise.
	Agent string `json:"agent"`
	// Held: its sender takes no part in the ticket and it reached the
	// ticket by public headers only; it is internal until an agent admits
	// the sender (#accept, deskgate ticket accept).
	Held bool `json:"held"`
}

// AttachmentInfo describes a stored attachment without its content.
type AttachmentInfo struct {
	ID          int64  `json:"id"`
	Filename    string `json:"filename"`
	ContentType string `json:"content_type"`
	ContentID   string `json:"content_id"`
	Inline      bool   `json:"inline"`
	Size        int64  `json:"size"`
	SHA256      string `json:"sha256"`
}

// Event is one entry of a ticket's event log.
type Event struct {
	At      time.Time       `json:"at"`
	Actor   string          `json:"actor"`
	Kind    string          `json:"kind"`
	Inbound *int64          `json:"inbound"`
	Detail  json.RawMessage `json:"detail"`
}

const listTicketsSQL = `
SELECT t.id, t.subject, t.status, t.priority, t.queue, t.team, t.assignee, t.category, t.requester_name, t.requester_addr,
       t.received_at, t.updated_at, (SELECT count(*) FROM messages m WHERE m.ticket_id = t.id)
FROM tickets t
WHERE ($1 = '' OR t.status = $1)
ORDER BY t.id DESC
LIMIT $2`

// ListTickets returns the newest tickets first, optionally only those with
// the given status.
func ListTickets(ctx context.Context, db DB, status string, limit int) ([]TicketSummary, error) {
	rows, err := db.Query(ctx, listTicketsSQL, status, limit)
	if err != nil {
		return nil, fmt.Errorf("ticketing: listing tickets: %w", err)
	}
	ts, err := pgx.CollectRows(rows, scanSummary)
	if err != nil {
		return nil, fmt.Errorf("ticketing: listing tickets: %w", err)
	}
	return ts, nil
}

func scanSummary(row pgx.CollectableRow) (TicketSummary, error) {
	var t TicketSummary
	err := row.Scan(&t.Number, &t.Subject, &t.Status, &t.Priority, &t.Queue, &t.Team, &t.Assignee, &t.Category, &t.Requester.Name, &t.Requester.Address,
		&t.ReceivedAt, &t.UpdatedAt, &t.Messages)
	return t, err
}

const getTicketSQL = `
SELECT t.id, t.subject, t.status, t.priority, t.queue, t.team, t.assignee, t.category, t.requester_name, t.requester_addr,
       t.received_at, t.updated_at, (SELECT count(*) FROM messages m WHERE m.ticket_id = t.id)
FROM tickets t WHERE t.id = $1`

const ticketMessagesSQL = `
SELECT m.id, m.inbound_id, m.direction, m.message_id, m.in_reply_to, m.refs, m.from_name, m.from_addr,
       m.to_addrs, m.cc_addrs, m.subject, m.sent_at, m.class, m.text_body,
       CASE WHEN m.new_text = '' THEN m.text_body ELSE m.new_text END, m.html_body,
       coalesce((SELECT json_agg(json_build_object('id', a.id, 'filename', a.filename, 'content_type', a.content_type,
                 'content_id', a.content_id, 'inline', a.inline, 'size', a.size, 'sha256', encode(a.sha256, 'hex'))
                 ORDER BY a.id) FROM attachments a WHERE a.message_id = m.id), '[]'),
       coalesce(i.evidence_kind, ''), coalesce(i.evidence_value, ''), m.visibility, m.agent, m.held
FROM messages m LEFT JOIN inbound i ON i.id = m.inbound_id
WHERE m.ticket_id = $1 ORDER BY m.id`

const ticketNoticesSQL = `
SELECT id, event, recipient, status, reason, reply, attempts, language, subject, message_id, created_at, sent_at,
    status IN ('sent', 'bounced') OR EXISTS (SELECT 1 FROM outbox_recipients r
        WHERE r.outbox_id = o.id AND r.address = o.recipient AND r.status = 'accepted')
FROM outbox o WHERE ticket_id = $1 ORDER BY id`

const ticketExtraSQL = `SELECT language, impact, urgency, tags, sla_policy, reopen_count
FROM tickets WHERE id = $1`

// Clock is one SLA clock of a ticket, with what reports need: the time
// used in business time and on the wall, and whether it was breached.
type Clock struct {
	Kind     string     `json:"kind"` // response, resolution or next_response
	Calendar string     `json:"calendar"`
	Target   string     `json:"target"` // business time allowed, e.g. "4h0m0s"
	Running  bool       `json:"running"`
	Due      *time.Time `json:"due"` // while running
	Started  time.Time  `json:"started"`
	Stopped  *time.Time `json:"stopped"`
	// Used is the business time counted so far (up to Stopped, or to the
	// last pause); Wall the wall-clock time from Started to Stopped.
	Used     string     `json:"business_time_used"`
	Wall     string     `json:"wall_time"`
	Warned   *time.Time `json:"warned_at"`
	Breached *time.Time `json:"breached_at"`
	Reopens  int        `json:"reopens"`
	// Explanation says how its deadline was reached (business hours,
	// holidays, pauses), as recorded when the clock last changed; "" once
	// it stopped.
	Explanation string `json:"explanation"`
}

const ticketClocksSQL = `
SELECT kind, calendar, target, running, deadline, started, stopped, elapsed, warned_at, breached_at, reopens
FROM sla_clocks WHERE ticket_id = $1 ORDER BY kind`

// Participant is one person a ticket's mail goes to.
type Participant struct {
	Address string `json:"address"`
	Name    string `json:"name"`
	Role    string `json:"role"` // requester or cc
}

const ticketParticipantsSQL = `SELECT address, name, role FROM participants WHERE ticket_id = $1 ORDER BY role DESC, address`

const ticketEventsSQL = `
SELECT at, actor, kind, inbound_id, detail FROM events WHERE ticket_id = $1 ORDER BY id`

// GetTicket returns ticket number with its messages and events, or
// ErrNotFound.
func GetTicket(ctx context.Context, db DB, number int64) (*Ticket, error) {
	rows, err := db.Query(ctx, getTicketSQL, number)
	if err != nil {
		return nil, fmt.Errorf("ticketing: reading ticket %d: %w", number, err)
	}
	sum, err := pgx.CollectExactlyOneRow(rows, scanSummary)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, fmt.Errorf("ticket #%d: %w", number, ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("ticketing: reading ticket %d: %w", number, err)
	}
	t := &Ticket{TicketSummary: sum}
	rows, err = db.Query(ctx, ticketMessagesSQL, number)
	if err != nil {
		return nil, fmt.Errorf("ticketing: reading messages of ticket %d: %w", number, err)
	}
	t.Thread, err = pgx.CollectRows(rows, func(row pgx.CollectableRow) (Message, error) {
		var m Message
		var ev Evidence
		err := row.Scan(&m.ID, &m.Inbound, &m.Direction, &m.MessageID, &m.InReplyTo, &m.References,
			&m.From.Name, &m.From.Address, &m.To, &m.Cc, &m.Subject, &m.Date, &m.Class, &m.Text, &m.NewText, &m.HTML, &m.Attachments,
			&ev.Kind, &ev.Value, &m.Visibility, &m.Agent, &m.Held)
		if ev.Kind != "" {
			m.ThreadEvidence = &ev
		}
		return m, err
	})
	if err != nil {
		return nil, fmt.Errorf("ticketing: reading messages of ticket %d: %w", number, err)
	}
	if err := db.QueryRow(ctx, ticketExtraSQL, number).Scan(&t.Language, &t.Impact,
		&t.Urgency, &t.Tags, &t.SLAPolicy, &t.ReopenCount); err != nil {
		return nil, fmt.Errorf("ticketing: reading ticket %d: %w", number, err)
	}
	rows, err = db.Query(ctx, ticketParticipantsSQL, number)
	if err != nil {
		return nil, fmt.Errorf("ticketing: reading participants of ticket %d: %w", number, err)
	}
	if t.Participants, err = pgx.CollectRows(rows, pgx.RowToStructByPos[Participant]); err != nil {
		return nil, fmt.Errorf("ticketing: reading participants of ticket %d: %w", number, err)
	}
	rows, err = db.Query(ctx, ticketClocksSQL, number)
	if err != nil {
		return nil, fmt.Errorf("ticketing: reading SLA clocks of ticket %d: %w", number, err)
	}
	t.Clocks, err = pgx.CollectRows(rows, func(row pgx.CollectableRow) (Clock, error) {
		var c Clock
		var target, elapsed int64
		err := row.Scan(&c.Kind, &c.Calendar, &target, &c.Running, &c.Due, &c.Started, &c.Stopped, &elapsed, &c.Warned,
			&c.Breached, &c.Reopens)
		c.Target, c.Used = (time.Duration(target) * time.Second).String(), (time.Duration(elapsed) * time.Second).String()
		if c.Stopped != nil {
			c.Wall = c.Stopped.Sub(c.Started).Round(time.Second).String()
		}
		return c, err
	})
	if err != nil {
		return nil, fmt.Errorf("ticketing: reading SLA clocks of ticket %d: %w", number, err)
	}
	rows, err = db.Query(ctx, ticketNoticesSQL, number)
	if err != nil {
		return nil, fmt.Errorf("ticketing: reading notifications of ticket %d: %w", number, err)
	}
	t.Notifications, err = pgx.CollectRows(rows, func(row pgx.CollectableRow) (Notice, error) {
		var n Notice
		err := row.Scan(&n.ID, &n.Event, &n.To, &n.Status, &n.Reason, &n.Reply, &n.Attempts, &n.Language, &n.Subject,
			&n.MessageID, &n.QueuedAt, &n.SentAt, &n.Delivered)
		return n, err
	})
	if err != nil {
		return nil, fmt.Errorf("ticketing: reading notifications of ticket %d: %w", number, err)
	}
	rows, err = db.Query(ctx, ticketEventsSQL, number)
	if err != nil {
		return nil, fmt.Errorf("ticketing: reading events of ticket %d: %w", number, err)
	}
	t.Events, err = pgx.CollectRows(rows, func(row pgx.CollectableRow) (Event, error) {
		var e Event
		err := row.Scan(&e.At, &e.Actor, &e.Kind, &e.Inbound, &e.Detail)
		return e, err
	})
	if err != nil {
		return nil, fmt.Errorf("ticketing: reading events of ticket %d: %w", number, err)
	}
	explainClocks(t)
	return t, nil
}

// explainClocks sets each running clock's explanation from the last
// event that recorded it: an sla.clock event, or the priority.set event
// of the clocks a new ticket started.
func explainClocks(t *Ticket) {
	type clockDetail struct{ Clock, Explain string }
	for i := range t.Clocks {
		c := &t.Clocks[i]
		if c.Stopped != nil {
			continue
		}
	events:
		for _, e := range slices.Backward(t.Events) {
			var d struct {
				clockDetail
				Clocks []clockDetail
			}
			if (e.Kind != "sla.clock" && e.Kind != "priority.set") || json.Unmarshal(e.Detail, &d) != nil {
				continue
			}
			for _, cd := range append(d.Clocks, d.clockDetail) {
				if cd.Clock == c.Kind {
					c.Explanation = cd.Explain
					break events
				}
			}
		}
	}
}

// TicketStatuses lists the statuses a ticket can have, in lifecycle order.
func TicketStatuses() []string {
	return []string{"new", "open", "pending", "resolved", "closed"}
}
