package ticketing

import (
	"cmp"
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/deskgate/deskgate/ticketing/rules"
	"github.com/deskgate/deskgate/ticketing/token"
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
	TicketID int64    // 0 when the message joined no ticket
	Evidence Evidence // what decided the ticket; zero when it joined none
}

// Config is the desk's part of the configuration that ticketing needs.
type Config struct {
	// DeskAddresses are the desk's own addresses; they never become
	// participants. The first is the address reply tokens are added to
	// (desk+token@domain).
	DeskAddresses []string
	// Domain is the domain of deskgate's Message-IDs.
	Domain string
	// Tokens verifies reply tokens; nil turns token evidence off.
	Tokens *token.Keys
	// ReopenWindow is how long after being resolved a reply reopens a
	// ticket; later replies open a new ticket linked to it. Default
	// DefaultReopenWindow.
	ReopenWindow time.Duration
	// RequesterFromReplyTo makes the Reply-To of a ticket's first message,
	// when there is one, its requester instead of the sender.
	RequesterFromReplyTo bool
	// TagPrefix makes subject tags [<prefix><number>]; default "#".
	TagPrefix string
	// TrustRequesterDomain lets people at the requester's own domain (not
	// a public mail provider's) join a ticket by its public headers, as
	// colleagues do; otherwise their mail is held until an agent admits
	// them.
	TrustRequesterDomain bool
	// MaxParticipants bounds the participants a ticket gains from the To
	// and Cc of its mail; default DefaultMaxParticipants.
	MaxParticipants int
	// Notify configures the mail sent about tickets; its zero value sends
	// none.
	Notify NotifyConfig
	// SuppressAfterBounce is how long a permanent delivery failure stops
	// automatic mail to that address; 0 never stops it.
	SuppressAfterBounce time.Duration
	// Policy holds the rules, the priority matrix and SLA targets.
	Policy PolicyConfig
	// Verify says how agents' replies are verified.
	Verify VerifyConfig
	// Digest configures agents' daily digests (digest.go).
	Digest DigestConfig
	// Meter counts decisions for metrics; nil counts nothing.
	Meter Meter
}

// Desk applies inbound mail to tickets.
type Desk struct {
	log          *slog.Logger
	meter        Meter
	desk         map[string]bool // lower-cased desk addresses
	address      string
	domain       string
	tokens       *token.Keys
	reopenWindow time.Duration
	replyTo      bool
	tags         Tagger
	notes        *notifier // nil: no notifications
	suppressFor  time.Duration
	policy       PolicyConfig
	verify       VerifyConfig
	trustDomain  bool
	// maxParticipants bounds the participants added from To and Cc.
	maxParticipants int
	digest          DigestConfig
}

// NewDesk returns a Desk that logs to log.
func NewDesk(log *slog.Logger, cfg Config) *Desk {
	d := &Desk{log: log, desk: map[string]bool{}, domain: cfg.Domain, tokens: cfg.Tokens, reopenWindow: cfg.ReopenWindow,
		replyTo: cfg.RequesterFromReplyTo, tags: NewTagger(cfg.TagPrefix),
		suppressFor: cfg.SuppressAfterBounce, policy: cfg.Policy, verify: cfg.Verify,
		trustDomain: cfg.TrustRequesterDomain, maxParticipants: cmp.Or(cfg.MaxParticipants, DefaultMaxParticipants),
		digest: cfg.Digest}
	if d.reopenWindow <= 0 {
		d.reopenWindow = DefaultReopenWindow
	}
	for i, a := range cfg.DeskAddresses {
		d.desk[deskKey(a)] = true
		if i == 0 {
			d.address = a
		}
	}
	d.notes = newNotifier(cfg.Notify, d.address)
	d.meter = cfg.Meter
	if d.meter == nil {
		d.meter = noMeter{}
	}
	return d
}

// plan is what Receive decided for one message.
type plan struct {
	action   action
	ticket   int64 // the ticket to join, when known before this batch
	ref      int   // else the earlier message of this batch whose ticket to join
	evidence Evidence
	reason   string
	tagged   int64 // a subject tag the sender was not allowed to use
	linked   int64 // for open: the closed or long-resolved ticket this follows up
	reopen   bool  // for join: the reply reopens a resolved ticket
	resume   bool  // for join: the reply sets a pending ticket open again
	// fromRequester: the reply comes from the ticket's requester.
	fromRequester bool
	// held: for join, the reply's only link to the ticket is a public
	// header and its sender takes no part in the ticket, so it is kept
	// as internal and moves nothing until an agent admits the sender.
	held bool
	// requester: for open, the requester instead of the sender's (a
	// follow-up keeps the old ticket's requester).
	requester *Address
	// stranger: for open, the closed ticket a stranger's mail referred
	// to, which it does not join.
	stranger int64
}

type action int

const (
	quarantine action = iota
	ignore
	open      // open a new ticket
	join      // add the message to a ticket
	duplicate // a second delivery: record it, store nothing new
)

// Receive applies a batch of inbound messages inside tx and returns one
// Outcome per message, in order. Each message joins the ticket the
// strongest evidence names (see Evidence); human mail without evidence
// opens a ticket; the same message delivered twice joins the ticket of its
// first copy (a reply to a digest delivered twice applies its commands
// once); auto-generated mail without evidence is ignored. Every
// decision is written to the event log. The work is pipelined so that the
// cost per message stays small and flat.
func (d *Desk) Receive(ctx context.Context, tx pgx.Tx, ins []Inbound) ([]Outcome, error) {
	if _, err := tx.Exec(ctx, KeyLookupsSQL); err != nil {
		return nil, fmt.Errorf("ticketing: receiving: %w", err)
	}
	tx = freshPlans{tx}
	sums := attachmentSums(ins)
	fps := make([][]byte, len(ins))
	for i := range ins {
		fps[i] = fingerprint(&ins[i], sums[i])
	}
	if err := lockMessageIDs(ctx, tx, ins); err != nil {
		return nil, err
	}
	ev, err := d.gather(ctx, tx, ins)
	if err != nil {
		return nil, err
	}
	toks := ev.tokens
	plans := d.decide(ins, fps, ev)
	digests, err := d.digestReplies(ctx, tx, ins, toks)
	if err != nil {
		return nil, err
	}
	repeated, err := repeatedDigestReplies(ctx, tx, ins, fps, digests)
	if err != nil {
		return nil, err
	}
	for i, r := range digests {
		if r == nil {
			continue
		}
		// A reply to a digest joins no ticket: its commands name theirs.
		plans[i] = plan{action: ignore, reason: "a reply to a digest"}
		switch {
		case repeated[i] != "":
			plans[i].reason = repeated[i]
			digests[i] = nil // its first copy was answered
		case !r.verified:
			plans[i].reason += ", not verified as an agent's: " + r.why
		}
	}
	states, err := ticketStates(ctx, tx, plans)
	if err != nil {
		return nil, err
	}
	ms, err := lookupMembers(ctx, tx, ins, plans, states)
	if err != nil {
		return nil, err
	}
	now := time.Now()
	d.applyLifecycle(ins, plans, states, ms, now)
	fwds := d.forwards(ins, plans)
	decided, err := d.classifyAll(ctx, tx, ins, plans, now)
	if err != nil {
		return nil, err
	}
	for i, c := range decided {
		if c != nil && ins[i].Quiet != "" {
			c.clocks = nil // quiet mail starts no SLA clock
		}
	}
	for i, f := range fwds {
		if auth, _ := f["authenticated"].(bool); !auth && decided[i] != nil {
			decided[i].ackOff = true
		}
	}
	replied, err := d.replyRules(ctx, tx, ins, plans, now)
	if err != nil {
		return nil, err
	}
	agents, err := d.verifyAgents(ctx, tx, ins, plans, toks, now)
	if err != nil {
		return nil, err
	}

	// Open the new tickets in one statement.
	out := make([]Outcome, len(ins))
	msgIDs := make([]int64, len(ins))
	var opened []int
	for i, p := range plans {
		if p.action == open {
			opened = append(opened, i)
		}
	}
	if len(opened) > 0 {
		ids, err := numberTickets(ctx, tx, len(opened))
		if err != nil {
			return nil, fmt.Errorf("ticketing: numbering tickets: %w", err)
		}
		var creates ticketRows
		for k, i := range opened {
			p := plans[i]
			requester := d.requester(&ins[i])
			if p.requester != nil {
				requester = *p.requester
			}
			cc, left := d.ccParticipants(&ins[i], requester)
			creates.add(ids[k], &ins[i], fps[i], requester, cc, left, p.reason, p.evidence, decided[i], newThreadRoot(now))
			out[i].TicketID, msgIDs[i] = ids[k].ticket, ids[k].message
		}
		if err := creates.insert(ctx, tx); err != nil {
			return nil, fmt.Errorf("ticketing: opening tickets: %w", err)
		}
	}

	// Everything that joins a ticket, in order, now that they all exist.
	joins := &writes{}
	var replies messageRows
	var repliesAt []int // by row of replies: its message
	var moves []clockMove
	for i, p := range plans {
		in := &ins[i]
		o := &out[i]
		o.Evidence, o.Reason = p.evidence, p.reason
		if bad := toks[i].invalid; len(bad) > 0 {
			d.log.Warn("ticketing: reply carries an invalid token; not trusted", "capture", in.CaptureID, "from", in.From.Address, "tokens", token.RedactAll(bad))
		}
		switch p.action {
		case quarantine:
			o.Status = StatusQuarantined
		case ignore:
			o.Status = StatusIgnored
		case open:
			o.Status = StatusTicketed
			queueQuiet(joins, o.TicketID, in, true)
			if f, ok := fwds[i]; ok {
				queueEvent(joins, o.TicketID, in.CaptureID, "ticket.forwarded", f)
			}
			d.queueClassified(joins, o.TicketID, in, decided[i])
			for _, a := range decided[i].result.AddCc {
				queueAddParticipant(joins.next(o.TicketID), o.TicketID, in.CaptureID, Address{Address: a}, "cc", "added by a rule", 0)
			}
			if p.linked != 0 {
				joins.next(o.TicketID, p.linked).Queue(linkSQL, o.TicketID, p.linked, in.CaptureID, p.reason)
			}
			if bad := toks[i].invalid; len(bad) > 0 {
				queueEvent(joins, o.TicketID, in.CaptureID, "token.invalid", map[string]any{
					"from": in.From.Address, "tokens": bad, "why": "forged, tampered or signed with a retired key: ignored"})
			}
			if p.stranger != 0 {
				queueEvent(joins, o.TicketID, in.CaptureID, "thread.refused", map[string]any{
					"ticket": p.stranger, "from": in.From.Address,
					"why": "the sender takes no part in that ticket, which is closed: public headers never admit a stranger"})
			}
			if p.tagged != 0 {
				queueEvent(joins, o.TicketID, in.CaptureID, "subject_tag.ignored", map[string]any{
					"tag": p.tagged, "from": in.From.Address,
					"why": "the sender takes no part in that ticket, so a quoted ticket number is not evidence"})
			}
		case join, duplicate:
			o.Status, o.TicketID = StatusAttached, p.ticket
			if p.ticket == 0 {
				o.TicketID = out[p.ref].TicketID
			}
			o.Reason = fmt.Sprintf("%s (ticket #%d)", p.reason, o.TicketID)
			if p.action == duplicate {
				queueEvent(joins, o.TicketID, in.CaptureID, "message.duplicate", map[string]any{
					"message_id": in.MessageID, "mailbox": in.Mailbox, "reason": o.Reason})
				continue
			}
			replies.add(joins, o.TicketID, in, fps[i], o.Reason, p.held)
			repliesAt = append(repliesAt, i)
			queueQuiet(joins, o.TicketID, in, false)
			if p.held {
				queueEvent(joins, o.TicketID, in.CaptureID, "message.held", map[string]any{
					"from": lower(in.From.Address), "evidence": p.evidence,
					"why": "the sender takes no part in the ticket and the message links to it only by public headers: kept as internal until an agent admits the sender (#accept)"})
			}
			if p.reopen || p.resume {
				from, why := StatusResolved, "a reply within the reopen window"
				if p.resume {
					from, why = StatusPending, "the awaited reply arrived"
				}
				joins.next(o.TicketID).Queue(reopenSQL, o.TicketID, from, in.CaptureID, lower(in.From.Address), why)
				moves = append(moves, clockMove{ticket: o.TicketID, capture: in.CaptureID, from: from, actor: lower(in.From.Address)})
			}
			if bad := toks[i].invalid; len(bad) > 0 {
				queueEvent(joins, o.TicketID, in.CaptureID, "token.invalid", map[string]any{
					"from": in.From.Address, "tokens": bad, "why": "forged, tampered or signed with a retired key: ignored"})
			}
			if p.held || in.Class != ClassHuman || d.isAgent(in.From.Address) {
				continue
			}
			// A person who may take part (see admitted) joins the ticket,
			// and so do those the requester's mail is addressed to.
			queueAddParticipant(joins.next(o.TicketID), o.TicketID, in.CaptureID, in.From, "cc", "replied with "+p.evidence.String(), d.maxParticipants)
			if !p.fromRequester {
				continue
			}
			cc, left := d.ccParticipants(in, in.From)
			for _, a := range cc {
				queueAddParticipant(joins.next(o.TicketID), o.TicketID, in.CaptureID, a, "cc", "addressed by the requester", d.maxParticipants)
			}
			if left > 0 {
				queueEvent(joins, o.TicketID, in.CaptureID, "participants.capped", map[string]any{
					"left_out": left, "max": d.maxParticipants,
					"why": "more people in To and Cc than tickets.max_participants: the rest were not added"})
			}
		}
	}
	ids, err := replies.insert(ctx, tx)
	if err != nil {
		return nil, fmt.Errorf("ticketing: attaching messages: %w", err)
	}
	for k, i := range repliesAt {
		msgIDs[i] = ids[k]
	}
	if err := joins.run(ctx, tx, func(_ int, row pgx.Row) error {
		err := row.Scan(new(int64))
		if err == pgx.ErrNoRows {
			return nil // nothing to change: already a participant, already open
		}
		return err
	}); err != nil {
		return nil, fmt.Errorf("ticketing: attaching messages: %w", err)
	}
	if err := storeAttachments(ctx, tx, ins, sums, msgIDs); err != nil {
		return nil, err
	}
	seen := map[int64]bool{}
	for _, m := range moves {
		if !seen[m.ticket] { // two replies in one batch move a ticket once
			seen[m.ticket] = true
			if err := d.moveClocks(ctx, tx, m.ticket, m.capture, m.from, StatusOpen, m.actor, now); err != nil {
				return nil, fmt.Errorf("ticketing: moving SLA clocks: %w", err)
			}
		}
	}
	var awaiting []awaited
	for i, p := range plans {
		if p.action == join && p.fromRequester && out[i].Status == StatusAttached && ins[i].Quiet == "" {
			awaiting = append(awaiting, awaited{ticket: out[i].TicketID, capture: ins[i].CaptureID, actor: lower(ins[i].From.Address)})
		}
	}
	if err := d.startNextResponses(ctx, tx, awaiting, now); err != nil {
		return nil, fmt.Errorf("ticketing: starting the next-response clock: %w", err)
	}
	// What rules changed beyond the fields stored above: statuses set on
	// new tickets, and everything reply rules did.
	ns := d.notices(ins, plans, out, decided, msgIDs)
	for i, c := range decided {
		if c == nil || out[i].Status != StatusTicketed {
			continue
		}
		if to := c.result.Ticket.Status; to != StatusNew && CanTransition(StatusNew, to) {
			more, err := d.applyStatus(ctx, tx, out[i].TicketID, ins[i].CaptureID, StatusNew, to, "rules", "set by a rule")
			if err != nil {
				return nil, err
			}
			if ins[i].Quiet == "" {
				ns = append(ns, more...)
			}
		}
	}
	more, err := d.agentWork(ctx, tx, ins, out, agents, msgIDs, now)
	if err != nil {
		return nil, fmt.Errorf("ticketing: agents' replies: %w", err)
	}
	ns = append(ns, more...)
	for i, r := range digests {
		switch {
		case r == nil || !r.verified:
		case ins[i].Quiet != "":
			out[i].Reason = "a reply to a digest that reached the desk late (see mail.quiet): its commands were not applied"
		default:
			more, why, err := d.answerDigest(ctx, tx, &ins[i], r, now)
			if err != nil {
				return nil, fmt.Errorf("ticketing: a reply to a digest: %w", err)
			}
			ns = append(ns, more...)
			out[i].Reason = why
		}
	}
	changed, err := d.beforeReplies(ctx, tx, ins, out, moves, replied)
	if err != nil {
		return nil, err
	}
	for i, res := range replied {
		if res != nil && out[i].Status == StatusAttached {
			more, err := d.applyRules(ctx, tx, out[i].TicketID, ins[i].CaptureID, rules.OnMessage, res, now)
			if err != nil {
				return nil, fmt.Errorf("ticketing: applying rules: %w", err)
			}
			if ins[i].Quiet == "" {
				ns = append(ns, more...)
			}
		}
	}
	for _, c := range changed {
		more, err := d.updated(ctx, tx, c.before.Number, c.capture, c.before, now)
		if err != nil {
			return nil, fmt.Errorf("ticketing: rules for ticket %d: %w", c.before.Number, err)
		}
		if !c.quiet {
			ns = append(ns, more...)
		}
	}
	if err := d.notify(ctx, tx, ns, bounceAddresses(ins)); err != nil {
		return nil, err
	}
	if err := d.recordBounces(ctx, tx, ins); err != nil {
		return nil, err
	}
	for i := range out {
		if out[i].Status == StatusIgnored || out[i].Status == StatusQuarantined {
			d.log.Debug("inbound not ticketed", "capture", ins[i].CaptureID, "status", out[i].Status, "reason", token.Redact(out[i].Reason))
		}
	}
	return out, nil
}

// decide plans every message of the batch, in order: a later message may
// join the ticket an earlier one opens.
func (d *Desk) decide(ins []Inbound, fps [][]byte, ev *evidence) []plan {
	plans := make([]plan, len(ins))
	b := &batchIndex{first: map[string]int{}, byID: map[string]int{}, byRoot: map[string]int{}}
	for i := range ins {
		plans[i] = d.decideOne(&ins[i], fps[i], ev, ev.tokens[i], plans, b)
		b.add(i, &ins[i], fps[i])
	}
	return plans
}

// batchIndex finds earlier messages of the batch being decided.
type batchIndex struct {
	first  map[string]int // message-id + fingerprint -> first index
	byID   map[string]int // message-id -> first index
	byRoot map[string]int // Thread-Index root -> first index
}

// add records message i, unless an earlier one holds its place.
func (b *batchIndex) add(i int, in *Inbound, fp []byte) {
	keep := func(m map[string]int, k string) {
		if _, ok := m[k]; !ok && k != "" {
			m[k] = i
		}
	}
	keep(b.byRoot, in.ThreadRoot)
	if in.MessageID != "" {
		keep(b.first, in.MessageID+"\x00"+string(fp))
		keep(b.byID, in.MessageID)
	}
}

func (d *Desk) decideOne(in *Inbound, fp []byte, ev *evidence, tok carried, plans []plan, b *batchIndex) plan {
	known, members, exist, first, byID := ev.known, ev.members, ev.exist, b.first, b.byID
	if in.From.Address == "" && in.Class == ClassHuman {
		return plan{action: quarantine, reason: "no sender: From, Sender and Reply-To are missing or unparseable, so there is nobody to answer"}
	}
	if in.MessageID != "" {
		dup := Evidence{Kind: EvidenceDuplicate, Value: in.MessageID}
		if t := known.duplicate(in.MessageID, fp); t != 0 {
			return plan{action: duplicate, ticket: t, evidence: dup, reason: "duplicate delivery of <" + in.MessageID + ">"}
		}
		if j, ok := first[in.MessageID+"\x00"+string(fp)]; ok {
			if !hasTicket(plans[j]) {
				return plan{action: ignore, reason: "duplicate delivery of <" + in.MessageID + ">, whose first copy joined no ticket: " + plans[j].reason}
			}
			return plan{action: duplicate, ref: j, evidence: dup, reason: "duplicate delivery of <" + in.MessageID + ">"}
		}
	}
	if t, ev, ok := tokenEvidence(tok, exist); ok {
		return plan{action: join, ticket: t, evidence: ev, reason: joinReason(in, ev)}
	}
	for _, ref := range references(in) {
		if t := known.ticketOf(ref.Value); t != 0 {
			return plan{action: join, ticket: t, evidence: ref, reason: joinReason(in, ref)}
		}
		if j, ok := byID[ref.Value]; ok && hasTicket(plans[j]) {
			return joinBatch(plans[j], j, ref, joinReason(in, ref))
		}
	}
	if in.ThreadRoot != "" {
		ti := Evidence{Kind: EvidenceThreadIndex, Value: in.ThreadRoot}
		if t := ev.roots[in.ThreadRoot]; t != 0 {
			return plan{action: join, ticket: t, evidence: ti, reason: joinReason(in, ti)}
		}
		if j, ok := b.byRoot[in.ThreadRoot]; ok && hasTicket(plans[j]) {
			return joinBatch(plans[j], j, ti, joinReason(in, ti))
		}
	}
	if in.Class != ClassHuman {
		return plan{action: ignore, reason: fmt.Sprintf("%s (%s) refers to no known message, so it opens no ticket", in.Class, in.ClassReason)}
	}
	var tagged int64
	if t := d.tags.Find(in.Subject); t != 0 {
		if members.has(t, in.From.Address) {
			ev := Evidence{Kind: EvidenceSubjectTag, Value: d.tags.Tag(t)}
			return plan{action: join, ticket: t, evidence: ev, reason: joinReason(in, ev)}
		}
		tagged = t
	}
	reason := "new message: no thread evidence links it to an existing ticket"
	if in.ClassReason != "" {
		reason += "; human: " + in.ClassReason // the automatic-mail cues that fired, too few to decide
	}
	return plan{action: open, evidence: Evidence{Kind: EvidenceNew}, tagged: tagged, reason: reason}
}

func hasTicket(p plan) bool { return p.action == open || p.action == join || p.action == duplicate }

// joinBatch joins the ticket of earlier message j of the batch: the
// existing ticket it joined, so that the lifecycle applies to this reply
// too, or else the ticket j opens.
func joinBatch(pj plan, j int, ev Evidence, reason string) plan {
	if pj.ticket != 0 {
		return plan{action: join, ticket: pj.ticket, evidence: ev, reason: reason}
	}
	return plan{action: join, ref: j, evidence: ev, reason: reason}
}

func joinReason(in *Inbound, ev Evidence) string {
	if in.Class == ClassHuman {
		return "reply: " + ev.String()
	}
	return fmt.Sprintf("%s (%s): %s", in.Class, in.ClassReason, ev.String())
}
