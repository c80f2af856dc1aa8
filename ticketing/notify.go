package ticketing

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/deskgate/deskgate/templates"
	"github.com/deskgate/deskgate/ticketing/rules"
	"github.com/deskgate/deskgate/ticketing/token"
)

// NotifyConfig configures the mail deskgate sends about tickets. With a nil
// Templates nothing is sent.
type NotifyConfig struct {
	Templates *templates.Set
	DeskName  string // the display name of the desk's From
	Language  string // the desk's default language
	// Events maps a templates event name to whether it sends and to whom
	// (recipient kinds as in the configuration: requester, cc, assignee,
	// team, or an address). An event not in the map sends nothing.
	Events map[string]EventRule
	// Limits bound the automatic mail one address receives.
	Limits []Limit
	// TicketLimits bound the mail of every kind about one ticket to one
	// address (relayed replies and mail to agents included); RelayLimits
	// the relayed replies one customer address receives.
	TicketLimits []Limit
	RelayLimits  []Limit
	// Conversation pauses mail between two addresses that exchange too
	// much of it; a zero Max pauses none.
	Conversation Conversation
	// TextBudget bounds the message text one notification quotes, in
	// bytes; the rest is replaced by a line saying how much more the ticket
	// holds. 0: DefaultTextBudget.
	TextBudget int
	// AttachmentBudget bounds the bytes of files attached to one
	// notification (an agent's files relayed to the requester, the
	// requester's files in new-ticket and requester-replied mail); files
	// over it are listed by name and size instead. 0:
	// DefaultAttachmentBudget.
	AttachmentBudget int64
	Agents           []Agent
	Teams            []Team
}

// Default budgets of one notification.
const (
	DefaultTextBudget       = 64_000
	DefaultAttachmentBudget = 10_000_000
)

// EventRule is whether one event sends mail, and to whom.
type EventRule struct {
	Enabled bool
	To      []string
}

// Limit allows at most Max automatic mails to one address per Window.
type Limit struct {
	Window time.Duration
	Max    int
}

// Agent is a person who works tickets.
type Agent struct {
	Name      string
	Addresses []string // the first receives notifications
	Teams     []string
	Role      string // "lead" leads the agent's teams (see Permit); anything else is an agent
	// Language is the language of mail to the agent's addresses, over
	// SetContactLanguage's; "": that, else the desk's.
	Language string
}

// Team is a resolver group; mail for it goes to Address, or else to each
// member's first address.
type Team struct {
	Name    string
	Address string
}

// notifier renders and queues notifications.
type notifier struct {
	set      *templates.Set
	from     Address
	language string
	events   map[string]EventRule
	limits   []Limit
	// ticketLimits, relayLimits and conversation bound loops (loop.go).
	ticketLimits, relayLimits []Limit
	conversation              Conversation
	// textBudget and attachmentBudget bound one mail's quoted text and
	// attached files, in bytes.
	textBudget       int
	attachmentBudget int64
	agents           map[string]Address   // by any agent address, lower-cased: the agent's name and first address
	teams            map[string][]Address // recipients of mail for each team
	// agentTeams are each agent's teams, by first address; teamAddress
	// each team's own address, if it has one.
	agentTeams  map[string][]string
	teamAddress map[string]string
	// leads are the agents with role lead, by first address.
	leads map[string]bool
	// agentLanguage is each agent's configured language, by any address.
	agentLanguage map[string]string
}

func newNotifier(cfg NotifyConfig, deskAddress string) *notifier {
	if cfg.Templates == nil {
		return nil
	}
	n := &notifier{set: cfg.Templates, from: Address{Name: cfg.DeskName, Address: deskAddress},
		language: cmp.Or(cfg.Language, "en"), events: cfg.Events, limits: cfg.Limits,
		ticketLimits: cfg.TicketLimits, relayLimits: cfg.RelayLimits, conversation: cfg.Conversation,
		textBudget: cmp.Or(cfg.TextBudget, DefaultTextBudget), attachmentBudget: cmp.Or(cfg.AttachmentBudget, DefaultAttachmentBudget),
		agents: map[string]Address{}, teams: map[string][]Address{}, agentTeams: map[string][]string{}, teamAddress: map[string]string{},
		leads: map[string]bool{}, agentLanguage: map[string]string{}}
	for _, a := range cfg.Agents {
		if len(a.Addresses) == 0 {
			continue
		}
		me := Address{Name: a.Name, Address: lower(a.Addresses[0])}
		for _, addr := range a.Addresses {
			n.agents[lower(addr)] = me
			if a.Language != "" {
				n.agentLanguage[lower(addr)] = a.Language
			}
		}
		n.agentTeams[me.Address] = a.Teams
		n.leads[me.Address] = a.Role == "lead"
	}
	for _, t := range cfg.Teams {
		n.teams[t.Name] = nil
		if t.Address != "" {
			n.teamAddress[t.Name] = lower(t.Address)
			n.teams[t.Name] = []Address{{Name: t.Name, Address: lower(t.Address)}}
			continue
		}
		for _, a := range cfg.Agents {
			if slices.Contains(a.Teams, t.Name) && len(a.Addresses) > 0 {
				n.teams[t.Name] = append(n.teams[t.Name], Address{Name: a.Name, Address: lower(a.Addresses[0])})
			}
		}
	}
	return n
}

// enabled reports whether n sends mail: its event is switched on, or it
// is an answer to one agent that the configuration does not list (an
// unverified reply, rejected commands).
func (n *notifier) enabled(no *notice) bool {
	rule, listed := n.events[no.event]
	return rule.Enabled || !listed && no.to != nil
}

// isAgent reports whether addr is a configured agent's address.
func (d *Desk) isAgent(addr string) bool {
	if d.notes == nil {
		return false
	}
	_, ok := d.notes.agents[lower(addr)]
	return ok
}

// hasTeam reports whether name is a configured team.
func (n *notifier) hasTeam(name string) bool {
	_, ok := n.teams[name]
	return ok
}

// notice is one event that may send mail.
type notice struct {
	event  string
	ticket int64
	in     *Inbound // the message that caused it; nil for a change a person made
	why    string   // for status mail: the reason given
	to     []string // recipients instead of the event's configured ones
	sla    *templates.SLA
	// pause is, for conversation-paused, the conversation paused.
	pause *templates.Pause
	// For mail about an agent's reply: the text to relay, the stored
	// message whose attachments go with it (also, for new-ticket and
	// requester-replied, the requester's), and the From display name.
	text       string
	messageRef int64
	fromName   string
	// For mail to an agent about their reply: why it was not verified,
	// or what was wrong with its commands.
	reason   string
	problems []commandProblem
	// once suppresses the mail if the same event about the same ticket
	// already went to the same address within this time.
	once time.Duration
	// author replaces the message's author shown in the mail (the agent's
	// configured name, not their mail client's display name).
	author *Address
	// assignment is, for assigned mail, what assigned the ticket.
	assignment *templates.Assignment
	// afterRelay holds a status mail back until the server has accepted
	// the reply this agent's email relays, if it is queued (see queueMail).
	afterRelay *Inbound
}

// ticketInfo is what notifications say about a ticket and how they thread.
type ticketInfo struct {
	id                       int64
	subject, status          string
	requester                Address
	language, team, assignee string
	priority, category       string
	created                  time.Time
	resolvedAt               *time.Time
	lastID, lastRoot         string // the requester's latest message: Message-ID and Outlook root
	root                     string // the ticket's own Outlook root; "" for tickets from before migration 9
	lastRefs                 []string
	cc                       []Address
}

const ticketInfoSQL = `
SELECT t.id, t.subject, t.requester_name, t.requester_addr, t.status, t.language, t.team, t.assignee, t.priority, t.category, t.created_at,
    t.thread_root, t.resolved_at, coalesce(m.message_id, ''), coalesce(m.refs, '{}'), coalesce(m.thread_root, ''),
    coalesce((SELECT jsonb_agg(jsonb_build_object('name', p.name, 'address', p.address) ORDER BY p.added_at)
              FROM participants p WHERE p.ticket_id = t.id AND p.role = 'cc'), '[]')
FROM tickets t
LEFT JOIN LATERAL (
    SELECT message_id, refs, thread_root FROM messages
    WHERE ticket_id = t.id AND direction = 'in' AND lower(from_addr) = lower(t.requester_addr) AND class = 'human'
    ORDER BY id DESC LIMIT 1
) m ON true
WHERE t.id = ANY($1)`

func loadTicketInfo(ctx context.Context, tx pgx.Tx, ids []int64) (map[int64]*ticketInfo, error) {
	rows, err := tx.Query(ctx, ticketInfoSQL, ids)
	if err != nil {
		return nil, err
	}
	out := map[int64]*ticketInfo{}
	_, err = pgx.CollectRows(rows, func(row pgx.CollectableRow) (struct{}, error) {
		t := &ticketInfo{}
		var cc []Address
		err := row.Scan(&t.id, &t.subject, &t.requester.Name, &t.requester.Address, &t.status, &t.language, &t.team,
			&t.assignee, &t.priority, &t.category, &t.created, &t.root, &t.resolvedAt, &t.lastID, &t.lastRefs, &t.lastRoot, &cc)
		t.cc = cc
		out[t.id] = t
		return struct{}{}, err
	})
	return out, err
}

// mail is one notification to one recipient (or, for a relayed reply, to
// the requester with the others in Cc), before it is rendered.
type mail struct {
	n         *notice
	t         *ticketInfo
	to        Address
	cc        []Address
	toAgent   bool
	automatic bool
	suppress  string // why it is not sent; "" to send
	contact   contact
	// For mail that carries a stored message's files: the ids of those
	// it carries, its inline images among them, and the files withheld
	// for the attachment budget.
	attach   []int64
	images   []templates.Image
	withheld []templates.File
	// after is the outbox row this one waits for; 0 for none.
	after int64
}

// contact is what the contacts table says about an address.
type contact struct {
	id         int64
	language   string
	suppressed string // why automatic mail to it is suppressed now; ""
}

// notify queues the notifications ns cause, inside tx: one outbox row per
// recipient, composed now, or a suppressed row saying why not. A commit
// wakes the senders.
//
// Contacts are locked in one sorted pass, with lock too (the addresses
// delivery reports in the same transaction will touch), so concurrent
// batches cannot deadlock on them.
func (d *Desk) notify(ctx context.Context, tx pgx.Tx, ns []notice, lock []string) error {
	nt := d.notes
	if nt == nil || len(ns) == 0 {
		if len(lock) > 0 {
			_, err := lookupContacts(ctx, tx, lock)
			return err
		}
		return nil
	}
	ns, err := announced(ctx, tx, ns)
	if err != nil {
		return err
	}
	var ids []int64
	for i := range ns {
		if n := &ns[i]; nt.enabled(n) && !slices.Contains(ids, n.ticket) {
			ids = append(ids, n.ticket)
		}
	}
	if len(ids) == 0 {
		return d.notify(ctx, tx, nil, lock)
	}
	tickets, err := loadTicketInfo(ctx, tx, ids)
	if err != nil {
		return fmt.Errorf("ticketing: reading tickets to notify about: %w", err)
	}
	var ms []*mail
	for i := range ns {
		n := &ns[i]
		rule := nt.events[n.event]
		t := tickets[n.ticket]
		if !nt.enabled(n) || t == nil {
			continue
		}
		to := rule.To
		if n.to != nil {
			to = n.to
		}
		ms = append(ms, d.recipients(n, t, to)...)
	}
	if len(ms) == 0 {
		return d.notify(ctx, tx, nil, lock)
	}
	paused, err := d.applyPauses(ctx, tx, ms)
	if err != nil {
		return err
	}
	for i := range paused {
		if n := &paused[i]; nt.enabled(n) {
			ms = append(ms, d.recipients(n, tickets[n.ticket], nt.events[n.event].To)...)
		}
	}
	addrs := slices.Clone(lock)
	for _, m := range ms {
		addrs = append(addrs, m.to.Address)
	}
	contacts, err := lookupContacts(ctx, tx, addrs)
	if err != nil {
		return err
	}
	for _, m := range ms {
		m.contact = contacts[m.to.Address]
		if m.suppress == "" && m.automatic && m.contact.suppressed != "" {
			m.suppress = "automatic mail to this address is suppressed: " + m.contact.suppressed
		}
	}
	for _, sc := range d.limitScopes() {
		if err := applyLimits(ctx, tx, ms, sc); err != nil {
			return err
		}
	}
	if err := applyOnce(ctx, tx, ms); err != nil {
		return err
	}
	if err := d.budgetAttachments(ctx, tx, ms); err != nil {
		return err
	}
	return d.queueMail(ctx, tx, ms)
}

// recipients expands an event's recipient list for ticket t, dropping
// repeats, and marks mail that must not be sent.
func (d *Desk) recipients(n *notice, t *ticketInfo, to []string) []*mail {
	nt := d.notes
	toAgents := templates.ToAgents(n.event)
	seen := map[string]bool{}
	var out []*mail
	add := func(a Address) {
		key := lower(a.Address)
		if key == "" || seen[key] {
			return
		}
		seen[key] = true
		m := &mail{n: n, t: t, to: Address{Name: a.Name, Address: key}, toAgent: toAgents,
			automatic: n.event != templates.AgentReply}
		switch {
		case d.isDesk(key):
			m.suppress = "never mail deskgate's own address"
		case n.in != nil && n.in.Class != ClassHuman && key == lower(n.in.From.Address):
			m.suppress = fmt.Sprintf("the message that caused it is %s (%s): automatic mail is never answered",
				n.in.Class, n.in.ClassReason)
		}
		out = append(out, m)
	}
	for _, kind := range to {
		switch kind {
		case "requester":
			add(t.requester)
		case "cc":
			for _, a := range t.cc {
				add(a)
			}
		case "assignee":
			if a, ok := nt.agents[lower(t.assignee)]; ok {
				add(a)
				continue
			}
			for _, a := range nt.teams[t.team] {
				add(a)
			}
		case "team":
			for _, a := range nt.teams[t.team] {
				add(a)
			}
		default:
			a := Address{Address: kind}
			if ag, ok := nt.agents[lower(kind)]; ok && toAgents {
				a = ag // greeted by their configured name
			}
			add(a)
		}
	}
	// A relayed reply is one mail: to the requester, with the others in Cc.
	if n.event == templates.AgentReply && len(out) > 1 {
		first := out[0]
		for _, m := range out[1:] {
			if m.suppress == "" {
				first.cc = append(first.cc, m.to)
			}
		}
		out = out[:1]
	}
	return out
}

// upsertContactsSQL returns the id, explicit language and any current
// suppression of each address, creating contacts as needed. The upsert
// locks each contact row until commit, so concurrent batches count one
// address's rate limits one after the other.
const upsertContactsSQL = `
INSERT INTO contacts (address) SELECT a FROM unnest($1::text[]) AS a ORDER BY a
ON CONFLICT (address) DO UPDATE SET address = EXCLUDED.address
RETURNING address, id, language,
    CASE WHEN suppressed_until > now() THEN suppressed_reason || ' (until ' || to_char(suppressed_until, 'YYYY-MM-DD') || ')' ELSE '' END`

// lookupContacts upserts the contacts of addrs, in sorted order, and
// returns what they say by address.
func lookupContacts(ctx context.Context, tx pgx.Tx, addrs []string) (map[string]contact, error) {
	addrs = slices.Clone(addrs)
	slices.Sort(addrs)
	addrs = slices.Compact(addrs)
	rows, err := tx.Query(ctx, upsertContactsSQL, addrs)
	if err != nil {
		return nil, fmt.Errorf("ticketing: recording contacts: %w", err)
	}
	byAddr := map[string]contact{}
	_, err = pgx.CollectRows(rows, func(row pgx.CollectableRow) (struct{}, error) {
		var a string
		var c contact
		err := row.Scan(&a, &c.id, &c.language, &c.suppressed)
		byAddr[a] = c
		return struct{}{}, err
	})
	if err != nil {
		return nil, fmt.Errorf("ticketing: recording contacts: %w", err)
	}
	return byAddr, nil
}

// shortDuration writes d without zero units: 10m, 24h, 1h30m.
func shortDuration(d time.Duration) string {
	s := d.String()
	if strings.HasSuffix(s, "m0s") {
		s = s[:len(s)-2]
	}
	if strings.HasSuffix(s, "h0m") {
		s = s[:len(s)-2]
	}
	return s
}

// applyOnce suppresses mail with a once window when the same event went
// to the same address within it (an explanation to an agent, say).
func applyOnce(ctx context.Context, tx pgx.Tx, ms []*mail) error {
	told := map[string]bool{} // in this batch
	for _, m := range ms {
		if m.n.once <= 0 || m.suppress != "" {
			continue
		}
		key := fmt.Sprintf("%s %s %d", m.to.Address, m.n.event, m.t.id)
		recent := told[key]
		if !recent {
			err := tx.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM outbox WHERE recipient = $1 AND event = $2 AND ticket_id = $3
				AND automatic AND status <> 'suppressed' AND created_at > now() - $4 * interval '1 second')`,
				m.to.Address, m.n.event, m.t.id, m.n.once.Seconds()).Scan(&recent)
			if err != nil {
				return fmt.Errorf("ticketing: checking recent mail: %w", err)
			}
		}
		if recent {
			m.suppress = fmt.Sprintf("already told about this ticket within %s", shortDuration(m.n.once))
		}
		told[key] = true
	}
	return nil
}

// insertOutboxSQL queues (or records as suppressed) a batch of
// notifications, one row per element of its parallel arrays, in one
// statement (a statement per row cost PostgreSQL about twice as much in
// BenchmarkIngest). Each row is its record: `ticket show` lists it with its
// fate, so no event is logged for it. refs and attachment_ids come as JSON
// arrays, since SQL arrays of arrays must be rectangular.
const insertOutboxSQL = `
INSERT INTO outbox (id, ticket_id, inbound_id, event, automatic, recipient, status, reason, language, message_id,
    from_name, from_addr, reply_to, to_addrs, cc_addrs, in_reply_to, refs, subject, thread_index, thread_topic,
    auto_submitted, text_body, html_body, message_ref, attachment_ids, sender, after_id, render_data)
SELECT id, ticket_id, inbound_id, event, automatic, recipient, status, reason, language, message_id,
    from_name, from_addr, reply_to, to_addrs::jsonb, cc_addrs::jsonb, in_reply_to,
    ARRAY(SELECT jsonb_array_elements_text(refs::jsonb)), subject, thread_index, thread_topic,
    auto_submitted, text_body, html_body, message_ref,
    CASE WHEN attachment_ids IS NOT NULL THEN ARRAY(SELECT jsonb_array_elements_text(attachment_ids::jsonb)::bigint) END,
    sender, after_id, render_data
FROM unnest($1::bigint[], $2::bigint[], $3::bigint[], $4::text[], $5::bool[], $6::text[], $7::text[], $8::text[],
    $9::text[], $10::text[], $11::text[], $12::text[], $13::text[], $14::text[], $15::text[], $16::text[], $17::text[],
    $18::text[], $19::text[], $20::text[], $21::text[], $22::text[], $23::text[], $24::bigint[], $25::text[], $26::text[], $27::bigint[], $28::text[])
    AS u (id, ticket_id, inbound_id, event, automatic, recipient, status, reason, language, message_id,
    from_name, from_addr, reply_to, to_addrs, cc_addrs, in_reply_to, refs, subject, thread_index, thread_topic,
    auto_submitted, text_body, html_body, message_ref, attachment_ids, sender, after_id, render_data)`

// outboxRows are insertOutboxSQL's arguments.
type outboxRows struct {
	id                                                     []int64
	ticket, inbound, messageRef, after                     []*int64
	event, recipient, status, reason, language, messageID  []string
	fromName, fromAddr, replyTo, to, cc, inReplyTo, refs   []string
	subject, threadIndex, threadTopic, autoSubmitted, text []string
	html, sender                                           []string
	attach, renderData                                     []*string
	automatic                                              []bool
}

// outboxRow is what a row holds besides its Notification.
type outboxRow struct {
	recipient, status, reason, sender string
	inbound, messageRef, after        int64   // 0: none
	attach                            []int64 // the message's files it carries; nil: all
}

func (r *outboxRows) add(n Notification, o outboxRow) {
	r.id, r.ticket, r.inbound, r.messageRef = append(r.id, n.ID), append(r.ticket, idOrNil(n.TicketID)), append(r.inbound, idOrNil(o.inbound)), append(r.messageRef, idOrNil(o.messageRef))
	r.after = append(r.after, idOrNil(o.after))
	var attach *string
	if o.attach != nil {
		s := string(jsonOf(o.attach))
		attach = &s
	}
	r.attach = append(r.attach, attach)
	r.event, r.automatic, r.recipient = append(r.event, n.Event), append(r.automatic, n.Automatic), append(r.recipient, o.recipient)
	r.status, r.reason, r.language = append(r.status, o.status), append(r.reason, o.reason), append(r.language, n.Language)
	r.messageID, r.fromName, r.fromAddr = append(r.messageID, n.MessageID), append(r.fromName, n.From.Name), append(r.fromAddr, n.From.Address)
	r.replyTo, r.to, r.cc = append(r.replyTo, n.ReplyTo), append(r.to, string(addrJSON(n.To))), append(r.cc, string(addrJSON(n.Cc)))
	r.inReplyTo, r.refs = append(r.inReplyTo, n.InReplyTo), append(r.refs, string(jsonOf(nonNil(n.References))))
	r.subject, r.threadIndex, r.threadTopic = append(r.subject, n.Subject), append(r.threadIndex, n.ThreadIndex), append(r.threadTopic, n.ThreadTopic)
	r.autoSubmitted, r.text, r.html = append(r.autoSubmitted, n.AutoSubmitted), append(r.text, n.Text), append(r.html, n.HTML)
	r.sender = append(r.sender, o.sender)
	var rd *string
	if n.renderData != "" {
		rd = &n.renderData
	}
	r.renderData = append(r.renderData, rd)
}

// insert stores the rows in tx.
func (r *outboxRows) insert(ctx context.Context, tx pgx.Tx) error {
	if len(r.id) == 0 {
		return nil
	}
	_, err := tx.Exec(ctx, insertOutboxSQL, r.id, r.ticket, r.inbound, r.event, r.automatic, r.recipient, r.status, r.reason,
		r.language, r.messageID, r.fromName, r.fromAddr, r.replyTo, r.to, r.cc, r.inReplyTo, r.refs, r.subject,
		r.threadIndex, r.threadTopic, r.autoSubmitted, r.text, r.html, r.messageRef, r.attach, r.sender, r.after, r.renderData)
	return err
}

// queueMail renders every mail and inserts it into the outbox.
func (d *Desk) queueMail(ctx context.Context, tx pgx.Tx, ms []*mail) error {
	var ids []int64
	rows, err := tx.Query(ctx, `SELECT nextval('outbox_id_seq') FROM generate_series(1, $1)`, len(ms))
	if err == nil {
		ids, err = pgx.CollectRows(rows, pgx.RowTo[int64])
	}
	if err != nil {
		return fmt.Errorf("ticketing: numbering notifications: %w", err)
	}
	// A status mail waits for the relayed reply of the same agent's email
	// (the same Inbound), when that is sent at all.
	relays := map[*Inbound]int64{}
	for i, m := range ms {
		if m.n.event == templates.AgentReply && m.suppress == "" && m.n.in != nil {
			relays[m.n.in] = ids[i]
		}
	}
	for _, m := range ms {
		if m.n.afterRelay != nil {
			m.after = relays[m.n.afterRelay]
		}
	}
	var out outboxRows
	queued := false
	composed, errs := d.composeAll(ms, ids)
	for i, m := range ms {
		status := OutboxQueued
		n, err := composed[i], errs[i]
		switch {
		case err != nil:
			// A broken template must not stop mail processing: the row
			// records the failure where the ticket shows it.
			d.log.Error("ticketing: a notification could not be rendered", "event", m.n.event, "ticket", m.t.id, "err", err)
			n = Notification{ID: ids[i], TicketID: m.t.id, Event: m.n.event, Automatic: m.automatic, From: d.notes.from,
				To: []Address{m.to}, MessageID: fmt.Sprintf("dg-failed-%d@%s", ids[i], d.domain)}
			status, m.suppress = OutboxFailed, "could not render the template: "+err.Error()
		case m.suppress != "":
			status = OutboxSuppressed
			d.meter.Suppressed(m.suppress)
		default:
			queued = true
		}
		o := outboxRow{recipient: m.to.Address, status: status, reason: m.suppress, sender: m.sender(),
			messageRef: m.n.messageRef, attach: m.attach, after: m.after}
		if m.n.in != nil {
			o.inbound = m.n.in.CaptureID
		}
		out.add(n, o)
	}
	if err := out.insert(ctx, tx); err != nil {
		return fmt.Errorf("ticketing: queueing notifications: %w", err)
	}
	if queued {
		if _, err := tx.Exec(ctx, `SELECT pg_notify('`+OutboxChannel+`', '')`); err != nil {
			return fmt.Errorf("ticketing: queueing notifications: %w", err)
		}
	}
	return nil
}

// composeAll composes each of ms as outbox row ids[i], on up to GOMAXPROCS
// goroutines. Receive applies a batch in one transaction, in order, so
// time spent here delays every message behind it. Each goroutine takes a
// ticket's mail at a time.
func (d *Desk) composeAll(ms []*mail, ids []int64) ([]Notification, []error) {
	ns, errs := make([]Notification, len(ms)), make([]error, len(ms))
	var tickets [][]int // indexes of ms by ticket, in order of first mail
	at := map[int64]int{}
	for i, m := range ms {
		k, ok := at[m.t.id]
		if !ok {
			k = len(tickets)
			at[m.t.id] = k
			tickets = append(tickets, nil)
		}
		tickets[k] = append(tickets[k], i)
	}
	var next atomic.Int64
	work := func() {
		for k := next.Add(1) - 1; k < int64(len(tickets)); k = next.Add(1) - 1 {
			for _, i := range tickets[k] {
				ns[i], errs[i] = d.compose(ms[i], ids[i])
			}
		}
	}
	var wg sync.WaitGroup
	for range min(runtime.GOMAXPROCS(0), len(tickets)) - 1 {
		wg.Go(work)
	}
	work()
	wg.Wait()
	return ns, errs
}

// compose makes m outbox row id: its headers, its subject rendered, and
// the data its bodies are rendered from when it is first claimed
// (RenderClaimed).
func (d *Desk) compose(m *mail, id int64) (Notification, error) {
	nt := d.notes
	t := m.t
	// An agent's configured language first; then an address's own
	// setting; then, for the requester's side, the ticket's language; else
	// the desk's.
	lang := cmp.Or(nt.agentLanguage[m.to.Address], m.contact.language, nt.language)
	if !m.toAgent {
		lang = cmp.Or(nt.agentLanguage[m.to.Address], m.contact.language, t.language, nt.language)
	}
	lang = templates.Match([]string{lang}, "en")
	data := templates.Data{
		Desk: templates.Desk{Name: nt.from.Name, Address: nt.from.Address},
		Ticket: templates.Ticket{Number: t.id, Tag: d.tags.Tag(t.id), Subject: topic(t.subject), Status: t.status,
			Team: t.team, Requester: templates.Person{Name: t.requester.Name, Address: t.requester.Address},
			Created: t.created, ReopenDays: int((d.reopenWindow + 12*time.Hour) / (24 * time.Hour))},
		Recipient: templates.Person{Name: m.to.Name, Address: m.to.Address},
	}
	if a, ok := nt.agents[lower(t.assignee)]; ok {
		data.Ticket.Assignee = a.Name
	}
	if m.n.sla != nil {
		data.SLA = *m.n.sla
	}
	data.Reason = m.n.reason
	if a := m.n.assignment; a != nil {
		data.Assignment = *a
	}
	if m.n.pause != nil {
		data.Pause = *m.n.pause
	}
	if len(m.n.problems) > 0 {
		data.Commands = templates.Commands{Categories: d.categoryNames(), Teams: d.teamNames()}
		if mx := d.policy.Matrix; mx != nil {
			data.Commands.Priorities, data.Commands.Impacts, data.Commands.Urgencies = mx.Priorities(), mx.Impacts(), mx.Urgencies()
		}
		for _, p := range m.n.problems {
			data.Commands.Errors = append(data.Commands.Errors, p.CommandError)
		}
	}
	data.Ticket.Priority, data.Ticket.Category = t.priority, t.category
	if in := m.n.in; in != nil {
		data.Message = templates.Message{Author: templates.Person{Name: in.From.Name, Address: in.From.Address},
			Sent: storableTime(in.Date), Withheld: m.withheld, Images: m.images}
		text := addedText(in)
		if m.n.text != "" {
			text = m.n.text // an agent's reply without its commands
		}
		data.Message.Text, data.Message.More = capText(text, nt.textBudget)
		if a := m.n.author; a != nil {
			data.Message.Author = templates.Person{Name: a.Name}
		}
		data.Message.Attachments = attachmentNames(in.Attachments, nt.textBudget)
	}
	var snapshot []byte
	subject, err := nt.set.RenderSubject(m.n.event, lang, data)
	if err == nil {
		snapshot, err = json.Marshal(renderData{Event: m.n.event, Language: lang, Data: data})
	}
	if err != nil {
		return Notification{}, fmt.Errorf("ticketing: rendering %s for ticket %d: %w", m.n.event, t.id, err)
	}
	from := nt.from
	if m.n.fromName != "" {
		from.Name = m.n.fromName // "Agent Name via Desk": the agent's address is never shown
	}
	n := Notification{ID: id, TicketID: t.id, Event: m.n.event, Automatic: m.automatic, From: from,
		To: []Address{m.to}, Cc: m.cc, Subject: subject, Language: lang, ThreadTopic: topic(t.subject),
		renderData: string(snapshot)}
	claims := token.Claims{Ticket: uint64(t.id), Recipient: uint64(m.contact.id), Nonce: uint64(id), Issued: token.Hours(time.Now())}
	n.MessageID, n.ReplyTo = fmt.Sprintf("dg-%d@%s", id, d.domain), d.address
	if d.tokens != nil {
		n.MessageID = d.tokens.MessageID(claims, d.domain)
		n.ReplyTo = d.tokens.ReplyTo(claims, d.address)
	}
	switch {
	case !m.automatic:
	case m.toAgent:
		n.AutoSubmitted = "auto-generated"
	default:
		n.AutoSubmitted = "auto-replied"
	}
	if m.toAgent {
		// Agents' clients group a ticket's mail by this common reference.
		root := fmt.Sprintf("dg-ticket-%d@%s", t.id, d.domain)
		n.InReplyTo, n.References = root, []string{root}
	} else if in := m.n.in; in != nil && in.MessageID != "" && lower(in.From.Address) == lower(t.requester.Address) {
		// Answer the message that caused this mail, not a later one of
		// the same batch.
		n.InReplyTo = in.MessageID
		n.References = continueRefs(in.References, in.MessageID)
	} else if t.lastID != "" {
		n.InReplyTo = t.lastID
		n.References = continueRefs(t.lastRefs, t.lastID)
	}
	n.ThreadIndex = threadIndex(cmp.Or(t.lastRoot, t.root), t.id, t.created, d.domain, time.Now())
	return n, nil
}

// storableTime is t as the render data can hold it (JSON, RFC 3339): a
// Date header may give an offset of 24 hours or more ("+2400"), which RFC
// 3339 cannot write, and every notification about that mail failed. Such a
// time is taken in UTC, which shows the same instant.
func storableTime(t time.Time) time.Time {
	if _, off := t.Zone(); off <= -24*3600 || off >= 24*3600 {
		return t.UTC()
	}
	return t
}

// continueRefs continues a thread: the parent's References and the parent,
// without repeats, keeping the first and the newest when there are too many
// (RFC 5322 3.6.4 allows trimming the middle).
func continueRefs(refs []string, parent string) []string {
	const max = 20
	out := make([]string, 0, len(refs)+1)
	for _, r := range append(slices.Clone(refs), parent) {
		if r != "" && !slices.Contains(out, r) {
			out = append(out, r)
		}
	}
	if len(out) > max {
		out = append(out[:1], out[len(out)-max+1:]...)
	}
	return out
}

// topic is a subject without reply and forward prefixes, for Thread-Topic.
func topic(subject string) string {
	s := strings.TrimSpace(subject)
	for {
		t := replyPrefix.ReplaceAllString(s, "")
		if t == s {
			return s
		}
		s = strings.TrimSpace(t)
	}
}

// notices are the notifications a received batch causes: an
// acknowledgement and a new-ticket mail for each ticket opened (and an
// assigned mail when a rule assigned it), a reopened mail for each ticket
// a reply reopened, a requester-replied mail for each human reply that is
// not an agent's, and a sender-held mail for each held one. New-ticket
// and requester-replied mail carry the message's files (msgIDs are the
// stored messages, indexed like ins).
func (d *Desk) notices(ins []Inbound, plans []plan, out []Outcome, decided []*classified, msgIDs []int64) []notice {
	if d.notes == nil {
		return nil
	}
	var ns []notice
	reopened := map[int64]bool{}
	for i, p := range plans {
		in, o := &ins[i], &out[i]
		switch {
		case in.Quiet != "":
			// Quiet mail causes no mail (quiet.go).
		case p.action == open:
			c := decided[i]
			if c == nil || !c.ackOff {
				ack := notice{event: templates.TicketReceived, ticket: o.TicketID, in: in}
				if c != nil {
					ack.sla = c.responseTarget() // "we aim to respond within 4 business hours"
				}
				ns = append(ns, ack)
			}
			ns = append(ns, notice{event: templates.NewTicket, ticket: o.TicketID, in: in, messageRef: filesOf(in, msgIDs[i])})
			if c != nil {
				for _, s := range c.result.Send {
					ns = append(ns, notice{event: s.Template, ticket: o.TicketID, in: in, why: "rule " + s.Rule})
				}
				if t := c.result.Ticket; t.Assignee != "" {
					ns = append(ns, d.assigned(o.TicketID, rules.Ticket{Team: t.Team}, t, d.assignedBy(rules.OnCreated, "rules", &c.result, false), "rules")...)
				}
			}
		case p.action == join && in.Class == ClassHuman:
			if p.reopen && !reopened[o.TicketID] {
				// Two replies in one batch reopen a ticket once.
				reopened[o.TicketID] = true
				ns = append(ns, notice{event: templates.Reopened, ticket: o.TicketID, in: in})
			}
			switch {
			case p.held:
				// Agents decide whether the stranger may take part.
				ns = append(ns, notice{event: templates.SenderHeld, ticket: o.TicketID, in: in})
			case !d.isAgent(in.From.Address):
				ns = append(ns, notice{event: templates.RequesterReplied, ticket: o.TicketID, in: in, messageRef: filesOf(in, msgIDs[i])})
			}
		}
	}
	return ns
}

// filesOf is the stored message msgID for mail that carries in's files;
// 0, nothing to read, when in has none.
func filesOf(in *Inbound, msgID int64) int64 {
	if len(in.Attachments) == 0 {
		return 0
	}
	return msgID
}

// languageOf is the language a new ticket from in is answered in: the
// first the sender declared that deskgate has templates for, else the
// language their text was reliably detected in, else the desk's.
func (d *Desk) languageOf(in *Inbound) string {
	if d.notes == nil {
		return ""
	}
	if l := templates.Match(in.Languages, ""); l != "" {
		return l
	}
	if in.DetectedLanguage != "" {
		if l := templates.Match([]string{in.DetectedLanguage}, ""); l != "" {
			return l
		}
	}
	return d.notes.language
}

// teamOf is the team a new ticket from in is routed to: the one named like
// its mailbox's queue, if configured.
func (d *Desk) teamOf(in *Inbound) string {
	if d.notes != nil && d.notes.hasTeam(in.Queue) {
		return in.Queue
	}
	return ""
}

// SetContactLanguage makes lang the language of all mail to address, over
// what their mail declares; "" clears the setting. lang must be one of
// templates.Languages().
func SetContactLanguage(ctx context.Context, db DB, address, lang string) error {
	if lang != "" && !slices.Contains(templates.Languages(), lang) {
		return &InvalidError{Fields: []FieldError{{Field: "language",
			Message: fmt.Sprintf("language %q: want one of %s", lang, strings.Join(templates.Languages(), ", "))}}}
	}
	address = lower(strings.TrimSpace(address))
	if !strings.Contains(address, "@") {
		return &InvalidError{Fields: []FieldError{{Field: "address", Message: fmt.Sprintf("%q is not an email address", address)}}}
	}
	_, err := db.Exec(ctx, `INSERT INTO contacts (address, language) VALUES ($1, $2)
		ON CONFLICT (address) DO UPDATE SET language = EXCLUDED.language`, address, lang)
	if err != nil {
		return fmt.Errorf("ticketing: setting the language of %s: %w", address, err)
	}
	return nil
}

// Preview composes event in lang from the templates' sample data, as the
// desk would queue it for a ticket, without a database: what
// `deskgate templates preview` prints.
func (d *Desk) Preview(event, lang string) (Notification, error) {
	if d.notes == nil {
		return Notification{}, fmt.Errorf("ticketing: no templates configured")
	}
	if !slices.Contains(templates.Events(), event) {
		return Notification{}, fmt.Errorf("unknown event %q: want one of %s", event, strings.Join(templates.Events(), ", "))
	}
	s := templates.Sample(event)
	if event == templates.Digest { // about no ticket
		return d.composeDigest(DigestAgent{Address: s.Recipient.Address}, contact{id: 1, language: lang}, 1, s.Digest)
	}
	t := &ticketInfo{id: s.Ticket.Number, subject: s.Ticket.Subject, status: s.Ticket.Status,
		requester: Address(s.Ticket.Requester), language: lang, team: s.Ticket.Team, created: s.Ticket.Created,
		lastID: "CAF=sample-1@mail.example.com"}
	in := &Inbound{From: Address(s.Message.Author), Text: s.Message.Text, Date: s.Message.Sent, Class: ClassHuman}
	for _, a := range s.Message.Attachments {
		in.Attachments = append(in.Attachments, Attachment{Filename: a})
	}
	no := &notice{event: event, ticket: t.id, in: in, reason: s.Reason, pause: &s.Pause, assignment: &s.Assignment}
	for _, e := range s.Commands.Errors {
		no.problems = append(no.problems, commandProblem{CommandError: e})
	}
	m := &mail{n: no, t: t, to: Address(s.Recipient), images: s.Message.Images, withheld: s.Message.Withheld,
		toAgent: templates.ToAgents(event), automatic: event != templates.AgentReply, contact: contact{id: 1, language: lang}}
	n, err := d.compose(m, 1)
	if err == nil {
		err = d.renderBodies(&n, nil)
	}
	return n, err
}
