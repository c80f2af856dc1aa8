package ticketing

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/deskgate/deskgate/templates"
	"github.com/deskgate/deskgate/ticketing/rules"
	"github.com/deskgate/deskgate/ticketing/sla"
)

// PolicyConfig is the desk's policy: rules, the priority matrix and SLA
// targets. Its zero value classifies nothing and starts no clocks.
type PolicyConfig struct {
	Rules  *rules.Set    // nil: no rules
	Matrix *rules.Matrix // nil: no priorities and no SLA
	// DefaultImpact and DefaultUrgency apply when neither the mailbox, the
	// category nor a rule sets them.
	DefaultImpact, DefaultUrgency string
	Mailboxes                     map[string]Levels   // defaults by mailbox name
	Categories                    map[string]Category // by lower-cased name
	Policies                      map[string]SLAPolicy
	DefaultPolicy                 string
	TeamCalendars                 map[string]*sla.Calendar // a team's own business hours
	// HeaderRaisesUrgency lets Importance: high or X-Priority 1–2 raise
	// urgency one level.
	HeaderRaisesUrgency bool
	WarnAt              float64 // share of a target at which the warning fires; default 0.8
	// RemindOutsideHours sends warnings outside business hours too.
	RemindOutsideHours bool
	Escalation         Escalation
	TeamEscalation     map[string][]string // escalation contacts by team
}

// Levels are default impact and urgency.
type Levels struct{ Impact, Urgency string }

// Category is a ticket category and its defaults.
type Category struct{ Name, Impact, Urgency, SLA string }

// SLAPolicy is a set of targets per priority, counted in Calendar's hours.
type SLAPolicy struct {
	Name     string
	Calendar *sla.Calendar
	Targets  map[string]Targets // by priority
}

// Targets are the business time allowed per clock; 0 means no clock.
type Targets struct{ Response, Resolution, NextResponse time.Duration }

// Escalation is what the warning and the breach of a clock do.
type Escalation struct{ Warning, Breach EscalationLevel }

// EscalationLevel is one level's actions.
type EscalationLevel struct {
	Notify        []string // assignee, team or addresses
	RaisePriority bool
	Reassign      string // a team
}

// Clock kinds.
const (
	ClockResponse     = "response"
	ClockResolution   = "resolution"
	ClockNextResponse = "next_response"
)

// classified is what the policy decided for a new ticket.
type classified struct {
	result   rules.Result
	policy   string
	why      string // how the priority was reached
	clocks   []clockRow
	ignore   string // a rule ignored the message: the reason
	ackOff   bool
	language string
}

// classify evaluates the rules for the message in and derives the ticket's
// fields, priority, SLA policy and clocks, as of now.
func (d *Desk) classify(in *Inbound, requester Address, known bool, now time.Time) *classified {
	pc := &d.policy
	t := rules.Ticket{Status: StatusNew, Team: d.teamOf(in), Language: d.languageOf(in)}
	c := &classified{}
	if pc.Rules != nil {
		f := d.facts(in, requester, known, now)
		f.Event, f.Ticket = rules.OnCreated, t
		c.result = pc.Rules.Evaluate(f)
		t = c.result.Ticket
		c.ignore, c.ackOff = c.result.Ignore, c.result.SuppressAcknowledgement
		if c.ignore != "" {
			c.ignore = fmt.Sprintf("rule %q: %s", c.result.IgnoreRule, c.ignore)
			return c
		}
	} else {
		c.result.Ticket = t
	}
	c.language = t.Language
	if pc.Matrix == nil {
		return c
	}
	cat := pc.Categories[strings.ToLower(t.Category)]
	mb := pc.Mailboxes[in.Mailbox]
	if t.Impact == "" {
		t.Impact = cmp.Or(cat.Impact, mb.Impact, pc.DefaultImpact)
	}
	if t.Urgency == "" {
		t.Urgency = cmp.Or(cat.Urgency, mb.Urgency, pc.DefaultUrgency)
		if pc.HeaderRaisesUrgency && urgentHeader(in) {
			t.Urgency = raiseLevel(pc.Matrix.Urgencies(), t.Urgency)
		}
	}
	if t.Priority == "" {
		t.Priority, _ = pc.Matrix.Priority(t.Impact, t.Urgency)
		c.why = fmt.Sprintf("impact %s × urgency %s", t.Impact, t.Urgency)
	} else {
		c.why = "set by a rule"
	}
	c.policy = cmp.Or(c.result.SLA, cat.SLA, pc.DefaultPolicy)
	c.result.Ticket = t
	c.clocks = d.startClocks(t, c.policy, now)
	return c
}

// urgentHeader reports whether the sender marked the message important:
// Importance: high, Priority: urgent (RFC 2156), or X-Priority 1 or 2
// ("1 (Highest)").
func urgentHeader(in *Inbound) bool {
	h := in.Headers
	if strings.EqualFold(strings.TrimSpace(h["importance"]), "high") || strings.EqualFold(strings.TrimSpace(h["priority"]), "urgent") {
		return true
	}
	x := strings.TrimSpace(h["x-priority"])
	return strings.HasPrefix(x, "1") || strings.HasPrefix(x, "2")
}

// raiseLevel is the level after cur in levels (lowest first), or cur.
func raiseLevel(levels []string, cur string) string {
	i := slices.IndexFunc(levels, func(l string) bool { return strings.EqualFold(l, cur) })
	if i < 0 || i == len(levels)-1 {
		return cur
	}
	return levels[i+1]
}

// facts are what rules see of a message.
func (d *Desk) facts(in *Inbound, requester Address, known bool, now time.Time) rules.Facts {
	loc := time.UTC
	cal := d.calendar(d.teamOf(in), d.policy.DefaultPolicy) // the team's hours, as updatedRules uses
	if cal != nil {
		loc = cal.Location()
	}
	local := now.In(loc)
	f := rules.Facts{Mailbox: in.Mailbox, Queue: in.Queue, Subject: in.Subject, Text: addedText(in), FullText: in.Text,
		Headers: in.Headers, Language: cmp.Or(first(in.Languages), in.DetectedLanguage), Class: string(in.Class),
		KnownRequester: known, Now: now, Hour: local.Hour(), Weekday: rules.Weekday(local.Weekday()),
		From: person(requester)}
	f.BusinessHours = cal == nil || cal.IsOpen(now)
	for _, a := range in.To {
		f.To = append(f.To, lower(a.Address))
	}
	for _, a := range in.Cc {
		f.Cc = append(f.Cc, lower(a.Address))
	}
	for _, a := range in.Attachments {
		typ, _, _ := strings.Cut(strings.ToLower(a.ContentType), ";")
		f.Attachments = append(f.Attachments, rules.Attachment{Name: a.Filename, Type: strings.TrimSpace(typ), Size: int64(len(a.Data))})
	}
	return f
}

func person(a Address) rules.Person {
	addr := lower(a.Address)
	_, domain, _ := strings.Cut(addr, "@")
	return rules.Person{Address: addr, Domain: domain, Name: a.Name}
}

// calendar is the business-hours calendar of a ticket of team under
// policy: the team's own, else the policy's; nil without SLA.
func (d *Desk) calendar(team, policy string) *sla.Calendar {
	if c := d.policy.TeamCalendars[team]; c != nil {
		return c
	}
	if p, ok := d.policy.Policies[policy]; ok {
		return p.Calendar
	}
	return nil
}

// clockRow is one SLA clock as stored.
type clockRow struct {
	kind     string
	calendar *sla.Calendar
	clock    sla.Clock
}

// startClocks starts the response and resolution clocks of a new ticket.
func (d *Desk) startClocks(t rules.Ticket, policy string, now time.Time) []clockRow {
	p, ok := d.policy.Policies[policy]
	if !ok {
		return nil
	}
	cal := d.calendar(t.Team, policy)
	tg := p.Targets[t.Priority]
	var out []clockRow
	for _, k := range []struct {
		kind   string
		target time.Duration
	}{{ClockResponse, tg.Response}, {ClockResolution, tg.Resolution}} {
		if k.target > 0 {
			out = append(out, clockRow{kind: k.kind, calendar: cal, clock: sla.Start(k.target, now)})
		}
	}
	return out
}

// upsertClocksSQL stores clocks, one row per element of its parallel
// arrays, with the instants the sweep looks for.
const upsertClocksSQL = `
INSERT INTO sla_clocks (ticket_id, kind, calendar, target, started, elapsed, running, running_since, paused,
    paused_business, stopped, deadline, warn_at, breached_at, paused_since, reopens, carried)
SELECT ticket_id, kind, calendar, target, started, elapsed, running, running_since, paused, paused_business, stopped,
    deadline, warn_at, CASE WHEN breached THEN now() END, paused_since, reopens, carried
FROM unnest($1::bigint[], $2::text[], $3::text[], $4::bigint[], $5::timestamptz[], $6::bigint[], $7::bool[],
    $8::timestamptz[], $9::bigint[], $10::bigint[], $11::timestamptz[], $12::timestamptz[], $13::timestamptz[],
    $14::bool[], $15::timestamptz[], $16::int[], $17::bigint[])
    AS u (ticket_id, kind, calendar, target, started, elapsed, running, running_since, paused, paused_business,
    stopped, deadline, warn_at, breached, paused_since, reopens, carried)
ON CONFLICT (ticket_id, kind) DO UPDATE SET calendar = EXCLUDED.calendar, target = EXCLUDED.target,
    started = EXCLUDED.started, elapsed = EXCLUDED.elapsed, running = EXCLUDED.running,
    running_since = EXCLUDED.running_since, paused = EXCLUDED.paused, paused_business = EXCLUDED.paused_business,
    stopped = EXCLUDED.stopped, deadline = EXCLUDED.deadline, warn_at = EXCLUDED.warn_at,
    breached_at = coalesce(sla_clocks.breached_at, EXCLUDED.breached_at),
    -- a new target may be warned about again; a pause or a reopen may not
    warned_at = CASE WHEN EXCLUDED.target <> sla_clocks.target THEN NULL ELSE sla_clocks.warned_at END,
    paused_since = EXCLUDED.paused_since, reopens = EXCLUDED.reopens, carried = EXCLUDED.carried`

// clockRows are upsertClocksSQL's arguments. A statement holds one row
// per clock (ticket and kind): writes starts another for a second.
type clockRows struct {
	ticket, target, elapsed, paused, pausedBusiness, carried []int64
	kind, calendar                                           []string
	started                                                  []time.Time
	runningSince, stopped, deadline, warnAt, pausedSince     []*time.Time
	running, breached                                        []bool
	reopens                                                  []int
}

// add stores c for ticket id, warning at share warnAt of its target.
func (r *clockRows) add(id int64, c clockRow, warnAt float64) {
	k := c.clock
	var deadline, warn *time.Time
	if dl := k.Deadline(c.calendar); !dl.IsZero() {
		wa := k.WarnAt(c.calendar, warnAt)
		deadline, warn = &dl, &wa
	}
	r.ticket, r.kind, r.calendar = append(r.ticket, id), append(r.kind, c.kind), append(r.calendar, c.calendar.Name())
	r.target, r.started = append(r.target, int64(k.Target/time.Second)), append(r.started, k.Started)
	r.elapsed, r.running = append(r.elapsed, int64(k.Elapsed/time.Second)), append(r.running, k.Running)
	r.runningSince, r.paused = append(r.runningSince, timeOrNil(k.RunningSince)), append(r.paused, int64(k.Paused/time.Second))
	r.pausedBusiness, r.stopped = append(r.pausedBusiness, int64(k.PausedBusiness/time.Second)), append(r.stopped, timeOrNil(k.Stopped))
	r.deadline, r.warnAt, r.breached = append(r.deadline, deadline), append(r.warnAt, warn), append(r.breached, k.Breached)
	r.pausedSince, r.reopens = append(r.pausedSince, timeOrNil(k.PausedSince)), append(r.reopens, k.Reopens)
	r.carried = append(r.carried, int64(k.Carried/time.Second))
}

// queue queues the upsert of the rows on b, if there are any.
func (r *clockRows) queue(b *pgx.Batch) {
	if len(r.ticket) > 0 {
		b.Queue(upsertClocksSQL, r.ticket, r.kind, r.calendar, r.target, r.started, r.elapsed, r.running,
			r.runningSince, r.paused, r.pausedBusiness, r.stopped, r.deadline, r.warnAt, r.breached, r.pausedSince,
			r.reopens, r.carried)
	}
}

// queueClock stores c for ticket id and logs its deadline with the
// explanation, as actor, because of why.
func (d *Desk) queueClock(w *writes, id, captureID int64, c clockRow, actor, why string) {
	w.clock(id, c, d.warnAt())
	w.event(id, captureID, actor, "sla.clock", d.clockDetail(c, why))
}

// clockDetail describes c for the event log: its deadline and how it was
// reached, or when it stopped and whether in time.
func (d *Desk) clockDetail(c clockRow, why string) map[string]any {
	k := c.clock
	detail := map[string]any{"clock": c.kind, "why": why, "target": k.Target.String(), "running": k.Running}
	if dl := k.Deadline(c.calendar); !dl.IsZero() {
		detail["due"] = dl
		detail["explain"] = k.Explain(c.calendar)
		if c.kind == ClockNextResponse {
			detail["explain"] = k.ExplainAs(c.calendar, "replied")
		}
	}
	if !k.Stopped.IsZero() {
		detail["stopped"] = k.Stopped
		detail["breached"] = k.Breached
		detail["used"] = k.Used(k.Stopped, c.calendar).Round(time.Second).String()
	}
	return detail
}

func (d *Desk) warnAt() float64 {
	if d.policy.WarnAt > 0 && d.policy.WarnAt < 1 {
		return d.policy.WarnAt
	}
	return 0.8
}

// idOrNil is id for a nullable column of a batch statement's arrays: nil
// (NULL) for 0.
func idOrNil(id int64) *int64 {
	if id == 0 {
		return nil
	}
	return &id
}

func timeOrNil(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	return &t
}

func nullID(id int64) any {
	if id == 0 {
		return nil
	}
	return id
}

// queueClassified stores what else c decided for the new ticket id (its
// fields went in with the ticket): one event per rule that fired, the
// priority and the clocks.
func (d *Desk) queueClassified(w *writes, id int64, in *Inbound, c *classified) {
	t := c.result.Ticket
	for _, st := range c.result.Trace.Fired() {
		var changes []rules.Change
		for _, ch := range c.result.Changes {
			if ch.Rule == st.Rule {
				changes = append(changes, ch)
			}
		}
		queueEvent(w, id, in.CaptureID, "rule.fired", map[string]any{"rule": st.Rule, "on": rules.OnCreated, "changes": changes})
		d.meter.RuleFired(st.Rule)
	}
	if t.Priority != "" {
		// One event for the priority and the clocks it started.
		var cs []map[string]any
		for _, ck := range c.clocks {
			w.clock(id, ck, d.warnAt())
			cs = append(cs, d.clockDetail(ck, "ticket created"))
		}
		queueEvent(w, id, in.CaptureID, "priority.set", map[string]any{"priority": t.Priority, "impact": t.Impact,
			"urgency": t.Urgency, "category": t.Category, "team": t.Team, "why": c.why, "sla_policy": c.policy, "clocks": cs})
	}
}

// loadClocks reads the clocks of ticket id, locked with the ticket.
func (d *Desk) loadClocks(ctx context.Context, tx pgx.Tx, id int64) ([]clockRow, error) {
	rows, err := tx.Query(ctx, `
		SELECT kind, calendar, target, started, elapsed, running, running_since, paused, paused_business, stopped,
		    breached_at IS NOT NULL, paused_since, reopens, carried
		FROM sla_clocks WHERE ticket_id = $1 ORDER BY kind FOR UPDATE`, id)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, func(row pgx.CollectableRow) (clockRow, error) {
		var c clockRow
		var cal string
		var target, elapsed, paused, pausedBusiness, carried int64
		var runningSince, stopped, pausedSince *time.Time
		err := row.Scan(&c.kind, &cal, &target, &c.clock.Started, &elapsed, &c.clock.Running, &runningSince, &paused,
			&pausedBusiness, &stopped, &c.clock.Breached, &pausedSince, &c.clock.Reopens, &carried)
		k := &c.clock
		k.Target, k.Elapsed = time.Duration(target)*time.Second, time.Duration(elapsed)*time.Second
		k.Paused, k.PausedBusiness = time.Duration(paused)*time.Second, time.Duration(pausedBusiness)*time.Second
		k.Carried = time.Duration(carried) * time.Second
		k.RunningSince, k.Stopped, k.PausedSince = deref(runningSince), deref(stopped), deref(pausedSince)
		c.calendar = d.calendarNamed(cal)
		return c, err
	})
}

func deref(t *time.Time) time.Time {
	if t == nil {
		return time.Time{}
	}
	return *t
}

// calendarNamed finds a configured calendar by name; a clock whose
// calendar is no longer configured counts around the clock.
func (d *Desk) calendarNamed(name string) *sla.Calendar {
	for _, c := range d.policy.TeamCalendars {
		if c.Name() == name {
			return c
		}
	}
	for _, p := range d.policy.Policies {
		if p.Calendar != nil && p.Calendar.Name() == name {
			return p.Calendar
		}
	}
	return sla.Always()
}

// moveClocks applies a status change to the ticket's clocks, as of now:
// pending pauses the resolution clock and open resumes it; resolved and
// closed stop every clock (a resolved ticket awaits no response); a reopen
// restarts resolution.
func (d *Desk) moveClocks(ctx context.Context, tx pgx.Tx, id, captureID int64, from, to, actor string, now time.Time) error {
	if d.policy.Matrix == nil {
		return nil
	}
	cs, err := d.loadClocks(ctx, tx, id)
	if err != nil || len(cs) == 0 {
		return err
	}
	w := &writes{}
	why := fmt.Sprintf("status %s → %s", from, to)
	for _, c := range cs {
		before := c.clock
		k := &c.clock
		switch {
		case to == StatusClosed, to == StatusResolved:
			*k = k.Stop(now, c.calendar)
		case to == StatusPending && c.kind == ClockResolution:
			*k = k.Pause(now, c.calendar)
		case to == StatusOpen && from == StatusPending && c.kind == ClockResolution:
			*k = k.Resume(now, c.calendar)
		case to == StatusOpen && from == StatusResolved && c.kind == ClockResolution:
			*k = k.Restart(now, c.calendar)
		}
		if *k != before {
			d.queueClock(w, id, captureID, c, actor, why)
		}
	}
	if from == StatusResolved && to == StatusOpen {
		w.next(id).Queue(`UPDATE tickets SET reopen_count = reopen_count + 1 WHERE id = $1 RETURNING 0::bigint`, id)
	}
	return w.run(ctx, tx, func(_ int, row pgx.Row) error { return row.Scan(new(int64)) })
}

// clockMove is a status change a reply made, for the clocks.
type clockMove struct {
	ticket, capture int64
	from, actor     string
}

// knownSQL returns which of the addresses deskgate has written to or
// heard from before.
const knownSQL = `SELECT address FROM contacts WHERE address = ANY($1)`

// classifyAll classifies every message that opens a ticket; a message a
// rule ignores is planned as ignored instead. The result is indexed like
// ins.
func (d *Desk) classifyAll(ctx context.Context, tx pgx.Tx, ins []Inbound, plans []plan, now time.Time) ([]*classified, error) {
	out := make([]*classified, len(ins))
	var addrs []string
	for i, p := range plans {
		if p.action == open {
			addrs = append(addrs, lower(d.requester(&ins[i]).Address))
		}
	}
	if len(addrs) == 0 {
		return out, nil
	}
	known := map[string]bool{}
	if d.policy.Rules != nil {
		rows, err := tx.Query(ctx, knownSQL, addrs)
		var list []string
		if err == nil {
			list, err = pgx.CollectRows(rows, pgx.RowTo[string])
		}
		if err != nil {
			return nil, fmt.Errorf("ticketing: looking up requesters: %w", err)
		}
		for _, a := range list {
			known[a] = true
		}
	}
	for i := range plans {
		p := &plans[i]
		if p.action != open {
			continue
		}
		requester := d.requester(&ins[i])
		c := d.classify(&ins[i], requester, known[lower(requester.Address)], now)
		if c.ignore != "" {
			*p = plan{action: ignore, reason: "ignored by " + c.ignore}
			// Later messages of the batch that would join its ticket, also
			// through one another, are ignored with it.
			gone := map[int]bool{i: true}
			for j := i + 1; j < len(plans); j++ {
				if q := &plans[j]; q.ticket == 0 && gone[q.ref] && (q.action == join || q.action == duplicate) {
					*q = plan{action: ignore, reason: fmt.Sprintf("joins a message ignored by %s", c.ignore)}
					gone[j] = true
				}
			}
		}
		out[i] = c
	}
	return out, nil
}

// Explanation is what the desk's policy makes of one message, for
// `deskgate rules test`: the facts the rules saw, each rule's outcome,
// and the ticket that would result. Nothing is written.
type Explanation struct {
	Facts    rules.Facts  `json:"facts"`
	Rules    rules.Result `json:"rules"`
	Ticket   rules.Ticket `json:"ticket"` // with impact, urgency and priority as they would be stored
	Priority string       `json:"priority_why"`
	Policy   string       `json:"sla_policy"`
	Ignore   string       `json:"ignore,omitempty"`
	Clocks   []ClockPlan  `json:"clocks"`
}

// ClockPlan is an SLA clock a new ticket would start.
type ClockPlan struct {
	Kind    string    `json:"kind"`
	Target  string    `json:"target"`
	Due     time.Time `json:"due"`
	Explain string    `json:"explain"`
}

// Explain evaluates the policy for in as a new ticket received at now;
// known says whether its requester is known.
func (d *Desk) Explain(in *Inbound, known bool, now time.Time) Explanation {
	requester := d.requester(in)
	c := d.classify(in, requester, known, now)
	f := d.facts(in, requester, known, now)
	f.Event = rules.OnCreated
	f.Ticket = rules.Ticket{Status: StatusNew, Team: d.teamOf(in), Language: d.languageOf(in)}
	e := Explanation{Facts: f, Rules: c.result, Ticket: c.result.Ticket, Priority: c.why, Policy: c.policy, Ignore: c.ignore}
	for _, ck := range c.clocks {
		e.Clocks = append(e.Clocks, ClockPlan{Kind: ck.kind, Target: ck.clock.Target.String(),
			Due: ck.clock.Deadline(ck.calendar), Explain: ck.clock.Explain(ck.calendar)})
	}
	return e
}

// ticketRulesSQL reads tickets as rules see them.
const ticketRulesSQL = `
SELECT id, status, category, impact, urgency, priority, team, assignee, language, tags
FROM tickets WHERE id = ANY($1)`

func loadRuleTickets(ctx context.Context, tx pgx.Tx, ids []int64) (map[int64]rules.Ticket, error) {
	rows, err := tx.Query(ctx, ticketRulesSQL, ids)
	if err != nil {
		return nil, err
	}
	out := map[int64]rules.Ticket{}
	_, err = pgx.CollectRows(rows, func(row pgx.CollectableRow) (struct{}, error) {
		var t rules.Ticket
		err := row.Scan(&t.Number, &t.Status, &t.Category, &t.Impact, &t.Urgency, &t.Priority, &t.Team, &t.Assignee,
			&t.Language, &t.Tags)
		out[t.Number] = t
		return struct{}{}, err
	})
	return out, err
}

// loadRuleTicket reads one ticket as rules see it; ok is false when it
// does not exist.
func loadRuleTicket(ctx context.Context, tx pgx.Tx, id int64) (rules.Ticket, bool, error) {
	ts, err := loadRuleTickets(ctx, tx, []int64{id})
	t, ok := ts[id]
	return t, ok, err
}

// replyRules evaluates the message.received rules for every requester
// reply that joins an existing ticket, before it is stored: a reply a rule
// ignores is planned as ignored. The results are indexed like ins.
func (d *Desk) replyRules(ctx context.Context, tx pgx.Tx, ins []Inbound, plans []plan, now time.Time) ([]*rules.Result, error) {
	out := make([]*rules.Result, len(ins))
	if d.policy.Rules == nil {
		return out, nil
	}
	var ids []int64
	for i, p := range plans {
		if p.action == join && !p.held && p.ticket != 0 && ins[i].Class == ClassHuman && !d.isAgent(ins[i].From.Address) {
			ids = append(ids, p.ticket)
		}
	}
	if len(ids) == 0 {
		return out, nil
	}
	tickets, err := loadRuleTickets(ctx, tx, ids)
	if err != nil {
		return nil, fmt.Errorf("ticketing: reading tickets for rules: %w", err)
	}
	for i := range plans {
		p := &plans[i]
		t, ok := tickets[p.ticket]
		if p.action != join || p.held || !ok || ins[i].Class != ClassHuman || d.isAgent(ins[i].From.Address) {
			continue
		}
		f := d.facts(&ins[i], ins[i].From, true, now)
		f.Event, f.Ticket = rules.OnMessage, t
		res := d.policy.Rules.Evaluate(f)
		if res.Ignore != "" {
			*p = plan{action: ignore, reason: fmt.Sprintf("ignored by rule %q: %s", res.IgnoreRule, res.Ignore)}
			continue
		}
		if len(res.Trace.Fired()) > 0 {
			out[i] = &res
		}
	}
	return out, nil
}

// applyRules stores what rules changed on ticket id: one event per rule
// that fired, the changed fields (applied to the ticket as it is now, so
// two replies' rules in one batch both count), Cc participants, a status
// change through applyStatus, a priority derived again from a changed
// impact or urgency, clocks retargeted to a changed priority or SLA
// policy. It returns the notifications to queue: the status mail and the
// templates the rules asked to send.
func (d *Desk) applyRules(ctx context.Context, tx pgx.Tx, id, captureID int64, on string, res *rules.Result, now time.Time) ([]notice, error) {
	return d.applyRulesAs(ctx, tx, id, captureID, on, "rules", res, now)
}

// applyRulesAs is applyRules for changes made by actor (rules, or an
// agent's email commands).
func (d *Desk) applyRulesAs(ctx context.Context, tx pgx.Tx, id, captureID int64, on, actor string, res *rules.Result, now time.Time) ([]notice, error) {
	before, ok, err := loadRuleTicket(ctx, tx, id)
	if err != nil || !ok {
		return nil, err
	}
	after, explicit := applyChanges(before, res.Changes)
	if !explicit && d.policy.Matrix != nil && (after.Impact != before.Impact || after.Urgency != before.Urgency) {
		if p, ok := d.policy.Matrix.Priority(after.Impact, after.Urgency); ok {
			after.Priority = p
		}
	}
	w := &writes{}
	for _, st := range res.Trace.Fired() {
		var changes []rules.Change
		for _, ch := range res.Changes {
			if ch.Rule == st.Rule {
				changes = append(changes, ch)
			}
		}
		queueEvent(w, id, captureID, "rule.fired", map[string]any{"rule": st.Rule, "on": on, "changes": changes})
		d.meter.RuleFired(st.Rule)
	}
	if res.Trace.Len() == 0 && len(res.Changes) > 0 {
		// Changes a person made (email commands): by them, with before
		// and after.
		var changes []map[string]string
		for _, ch := range res.Changes {
			from := map[string]string{"category": before.Category, "impact": before.Impact, "urgency": before.Urgency,
				"priority": before.Priority, "team": before.Team, "assignee": before.Assignee, "status": before.Status,
				"language": before.Language}[ch.Field]
			if ch.Field == "tags" {
				from = ch.From
			} else if from == ch.To {
				continue // no change
			}
			changes = append(changes, map[string]string{"field": ch.Field, "from": from, "to": ch.To})
		}
		if len(changes) > 0 {
			w.event(id, captureID, actor, "fields.changed", map[string]any{"by": on, "changes": changes})
		}
	}
	w.next(id).Queue(`UPDATE tickets SET category = $2, impact = $3, urgency = $4, team = $5, assignee = $6, language = $7,
		tags = $8, sla_policy = CASE WHEN $9 <> '' THEN $9 ELSE sla_policy END, updated_at = now()
		WHERE id = $1 RETURNING 0::bigint`,
		id, after.Category, after.Impact, after.Urgency, after.Team, after.Assignee, after.Language, nonNil(after.Tags), res.SLA)
	for _, a := range res.AddCc {
		queueAddParticipant(w.next(id), id, captureID, Address{Address: a}, "cc", "added by a rule", 0)
	}
	err = w.run(ctx, tx, func(_ int, row pgx.Row) error {
		if err := row.Scan(new(int64)); err != nil && err != pgx.ErrNoRows {
			return err
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	var ns []notice
	if after.Status != before.Status && CanTransition(before.Status, after.Status) {
		more, err := d.applyStatus(ctx, tx, id, captureID, before.Status, after.Status, actor, "set by "+on)
		if err != nil {
			return nil, err
		}
		ns = append(ns, more...)
	}
	if (after.Priority != before.Priority && after.Priority != "") || res.SLA != "" {
		if err := d.setPriority(ctx, tx, id, before.Priority, cmp.Or(after.Priority, before.Priority), actor, now); err != nil {
			return nil, err
		}
	}
	for _, snd := range res.Send {
		ns = append(ns, notice{event: snd.Template, ticket: id, why: "rule " + snd.Rule})
	}
	by := d.assignedBy(on, actor, res, after.Assignee == "")
	ns = append(ns, d.assigned(id, before, after, by, actor)...)
	return ns, nil
}

// applyChanges applies rule changes to t; explicit reports a change of
// the priority itself.
func applyChanges(t rules.Ticket, changes []rules.Change) (_ rules.Ticket, explicit bool) {
	t.Tags = slices.Clone(t.Tags)
	for _, ch := range changes {
		switch ch.Field {
		case "category":
			t.Category = ch.To
		case "impact":
			t.Impact = ch.To
		case "urgency":
			t.Urgency = ch.To
		case "priority":
			t.Priority, explicit = ch.To, true
		case "team":
			t.Team = ch.To
		case "assignee":
			t.Assignee = ch.To
		case "status":
			t.Status = ch.To
		case "language":
			t.Language = ch.To
		case "tags":
			if ch.To != "" && !slices.ContainsFunc(t.Tags, func(x string) bool { return strings.EqualFold(x, ch.To) }) {
				t.Tags = append(t.Tags, ch.To)
			}
			if ch.From != "" {
				t.Tags = slices.DeleteFunc(t.Tags, func(x string) bool { return strings.EqualFold(x, ch.From) })
			}
		}
	}
	return t, explicit
}

// nextResponseSQL reads what starting the next-response clocks of
// tickets $1 takes.
const nextResponseSQL = `
SELECT t.id, t.sla_policy, t.priority, t.team,
    coalesce((SELECT running FROM sla_clocks WHERE ticket_id = t.id AND kind = 'next_response'), false)
FROM tickets t WHERE t.id = ANY($1)`

// awaited is a reply of the requester's that awaits an answer.
type awaited struct {
	ticket, capture int64
	actor           string
}

// startNextResponses starts (again), for each reply in rs, the
// next-response clock of its ticket when its policy has a next-response
// target: the requester replied and awaits an answer. A running one keeps
// counting from the earlier reply, also one earlier in rs.
func (d *Desk) startNextResponses(ctx context.Context, tx pgx.Tx, rs []awaited, now time.Time) error {
	if d.policy.Matrix == nil || len(rs) == 0 {
		return nil
	}
	ids := make([]int64, len(rs))
	for i, r := range rs {
		ids[i] = r.ticket
	}
	type state struct {
		policy, priority, team string
		running                bool
	}
	states := map[int64]state{}
	rows, err := tx.Query(ctx, nextResponseSQL, ids)
	if err != nil {
		return err
	}
	var id int64
	var st state
	if _, err := pgx.ForEachRow(rows, []any{&id, &st.policy, &st.priority, &st.team, &st.running}, func() error {
		states[id] = st
		return nil
	}); err != nil {
		return err
	}
	w := &writes{}
	var started []int64
	for _, r := range rs {
		st, ok := states[r.ticket]
		if !ok {
			return pgx.ErrNoRows
		}
		target := d.policy.Policies[st.policy].Targets[st.priority].NextResponse
		if target <= 0 || st.running {
			continue
		}
		c := clockRow{kind: ClockNextResponse, calendar: d.calendar(st.team, st.policy), clock: sla.Start(target, now)}
		if c.calendar == nil {
			continue
		}
		st.running = true // a second reply finds it counting
		states[r.ticket] = st
		started = append(started, r.ticket)
		d.queueClock(w, r.ticket, r.capture, c, r.actor, "the requester replied")
	}
	if len(started) == 0 {
		return nil
	}
	// A new cycle: the last one's warning and breach are its own.
	if _, err := tx.Exec(ctx, `DELETE FROM sla_clocks WHERE ticket_id = ANY($1) AND kind = 'next_response'`, started); err != nil {
		return err
	}
	return w.run(ctx, tx, nil)
}

// responseTarget is the first-response target a new ticket's
// acknowledgement states, or nil without one.
func (c *classified) responseTarget() *templates.SLA {
	for _, ck := range c.clocks {
		if ck.kind == ClockResponse {
			return &templates.SLA{Kind: ClockResponse, Target: ck.clock.Target,
				Business: ck.calendar.Name() != sla.Always().Name(), Due: ck.clock.Deadline(ck.calendar)}
		}
	}
	return nil
}
