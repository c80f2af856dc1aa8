package ticketing

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/deskgate/deskgate/templates"
	"github.com/deskgate/deskgate/ticketing/sla"
	"github.com/deskgate/deskgate/ticketing/token"
)

// DigestConfig configures agents' daily digests; with no Agents none is
// sent.
type DigestConfig struct {
	// At is the local time of day, after midnight, at which a digest
	// goes out on its calendar's working days.
	At time.Duration
	// DueWithin is how much business time ahead the digest looks for SLA
	// targets falling due.
	DueWithin time.Duration
	// Agents are those who get a digest.
	Agents []DigestAgent
}

// DigestAgent is one agent who gets a daily digest.
type DigestAgent struct {
	Address  string        // the agent's first address, as in NotifyConfig.Agents
	Lead     bool          // the digest shows the agent's teams' tickets
	Calendar *sla.Calendar // whose zone and working days it follows; nil: sla.Always
}

// digestCap bounds each list of a digest.
const digestCap = 50

// sentDigestsSQL are the digests of the last days, to skip the agents
// already served without opening a transaction for each.
const sentDigestsSQL = `SELECT agent, day::text FROM digests WHERE day >= $1::date`

// claimDigestSQL records the digest of an agent and local day, once: a
// second process (or a retry after a restart) inserts no row, and waits
// for the first's transaction if it is still open. outbox_id ($3) is NULL
// for a day the agent had nothing to list: done, without mail.
const claimDigestSQL = `INSERT INTO digests (agent, day, outbox_id) VALUES ($1, $2::date, $3)
ON CONFLICT DO NOTHING`

// Digests queues the digest of every agent whose digest time has passed
// today (their calendar's day at now) on a working day of their calendar,
// and who has not had today's; it returns how many it queued. Each agent
// gets one a local day however many processes run it: the digests row is
// inserted in the transaction that queues the mail. An agent with nothing
// to list gets none: their day is recorded all the same, so a ticket
// arriving later that day brings no digest. Run it periodically: after
// downtime it sends the day's digests late rather than not at all.
func (d *Desk) Digests(ctx context.Context, db Beginner, now time.Time) (int, error) {
	if d.notes == nil || len(d.digest.Agents) == 0 {
		return 0, nil
	}
	sent := map[string]bool{}
	err := pgx.BeginFunc(ctx, db, func(tx pgx.Tx) error {
		rows, err := tx.Query(ctx, sentDigestsSQL, now.AddDate(0, 0, -2).Format(time.DateOnly))
		if err != nil {
			return err
		}
		var agent, day string
		_, err = pgx.ForEachRow(rows, []any{&agent, &day}, func() error { sent[agent+" "+day] = true; return nil })
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("ticketing: reading sent digests: %w", err)
	}
	n := 0
	for _, a := range d.digest.Agents {
		cal := cmp.Or(a.Calendar, sla.Always())
		local := now.In(cal.Location())
		day := local.Format(time.DateOnly)
		midnight := time.Date(local.Year(), local.Month(), local.Day(), 0, 0, 0, 0, cal.Location())
		if sent[a.Address+" "+day] || !cal.IsWorkingDay(now) || local.Before(midnight.Add(d.digest.At)) {
			continue
		}
		err := pgx.BeginFunc(ctx, db, func(tx pgx.Tx) error {
			queued, err := d.queueDigest(ctx, tx, a, day, now, nil)
			if queued {
				n++
			}
			return err
		})
		if err != nil {
			return n, fmt.Errorf("ticketing: the digest of %s: %w", a.Address, err)
		}
	}
	return n, nil
}

// digestAgent is the digest settings of the agent whose first address is
// addr; a zero DigestAgent (an agent without a digest) for others.
func (d *Desk) digestAgent(addr string) DigestAgent {
	for _, a := range d.digest.Agents {
		if a.Address == addr {
			return a
		}
	}
	return DigestAgent{Address: addr}
}

// queueDigest renders and queues the digest of a as of now. With day set it
// is that local day's digest, recorded once: it reports false when
// another transaction recorded it first, or when a has nothing to list
// (the day is recorded without mail). With problems it is the answer to a
// reply to a digest whose commands were not applied, not recorded, and
// sent even with nothing to list.
func (d *Desk) queueDigest(ctx context.Context, tx pgx.Tx, a DigestAgent, day string, now time.Time, problems []commandProblem) (bool, error) {
	info, err := d.digestInfo(ctx, tx, a, now)
	if err != nil {
		return false, err
	}
	for _, p := range problems {
		info.Errors = append(info.Errors, p.CommandError)
	}
	empty := len(info.Errors) == 0 && nothingListed(info)
	var id int64
	if !empty {
		if err := tx.QueryRow(ctx, `SELECT nextval('outbox_id_seq')`).Scan(&id); err != nil {
			return false, err
		}
	}
	if day != "" {
		outbox := &id
		if empty {
			outbox = nil
		}
		tag, err := tx.Exec(ctx, claimDigestSQL, a.Address, day, outbox)
		if err != nil {
			return false, err
		}
		if tag.RowsAffected() == 0 {
			return false, nil // another process dealt with it
		}
	}
	if empty {
		return false, nil
	}
	contacts, err := lookupContacts(ctx, tx, []string{a.Address})
	if err != nil {
		return false, err
	}
	c := contacts[a.Address]
	n, err := d.composeDigest(a, c, id, info)
	status, reason := OutboxQueued, ""
	if c.suppressed != "" {
		status, reason = OutboxSuppressed, "automatic mail to this address is suppressed: "+c.suppressed
	}
	if err != nil {
		// As for any notification: the row records the failure.
		d.log.Error("ticketing: a digest could not be rendered", "agent", a.Address, "err", err)
		status, reason = OutboxFailed, "could not render the template: "+err.Error()
		n = Notification{ID: id, Event: templates.Digest, Automatic: true, From: d.notes.from,
			To: []Address{{Address: a.Address}}, MessageID: fmt.Sprintf("dg-failed-%d@%s", id, d.domain)}
	}
	var row outboxRows
	row.add(n, outboxRow{recipient: a.Address, status: status, reason: reason})
	err = row.insert(ctx, tx)
	if err == nil && status == OutboxQueued {
		_, err = tx.Exec(ctx, `SELECT pg_notify('`+OutboxChannel+`', '')`)
	}
	return err == nil, err
}

// composeDigest renders a digest as outbox row id. Its token names the
// agent (as a contact) and no ticket, which is how a reply to it is known.
func (d *Desk) composeDigest(a DigestAgent, c contact, id int64, info templates.DigestInfo) (Notification, error) {
	nt := d.notes
	me := nt.agents[a.Address]
	lang := templates.Match([]string{cmp.Or(c.language, nt.language)}, "en")
	data := templates.Data{Desk: templates.Desk{Name: nt.from.Name, Address: nt.from.Address},
		Recipient: templates.Person{Name: me.Name, Address: a.Address}, Digest: info}
	r, err := nt.set.Render(templates.Digest, lang, data)
	if err != nil {
		return Notification{}, fmt.Errorf("ticketing: rendering the digest of %s: %w", a.Address, err)
	}
	n := Notification{ID: id, Event: templates.Digest, Automatic: true, From: nt.from,
		To: []Address{{Name: me.Name, Address: a.Address}}, Subject: r.Subject, Language: r.Language,
		Text: r.Text, HTML: r.HTML, AutoSubmitted: "auto-generated"}
	claims := token.Claims{Ticket: 0, Recipient: uint64(c.id), Nonce: uint64(id)}
	n.MessageID, n.ReplyTo = fmt.Sprintf("dg-%d@%s", id, d.domain), d.address
	if d.tokens != nil {
		n.MessageID = d.tokens.MessageID(claims, d.domain)
		n.ReplyTo = d.tokens.ReplyTo(claims, d.address)
	}
	return n, nil
}

// nothingListed reports that a digest lists no ticket: none assigned, none
// unassigned, and so (every ticket with a target is in one of those) no
// SLA target due soon or missed.
func nothingListed(info templates.DigestInfo) bool {
	return len(info.Assigned) == 0 && len(info.Unassigned) == 0 && len(info.DueSoon) == 0 && len(info.Breached) == 0 && info.More == 0
}

// digestTicketsSQL reads the tickets a digest may list: not closed, and
// assigned to the agent ($1), or of their teams ($2) and unassigned, or
// for a lead ($3) of their teams at all; with each running SLA clock.
const digestTicketsSQL = `
SELECT t.id, t.subject, t.status, t.priority, t.team, t.assignee,
    coalesce(c.kind, ''), c.deadline, coalesce(c.target, 0), coalesce(c.calendar, '')
FROM tickets t
LEFT JOIN sla_clocks c ON c.ticket_id = t.id AND c.running AND c.deadline IS NOT NULL
WHERE t.status <> 'closed'
  AND (t.assignee = $1 OR (t.team = ANY($2) AND (t.assignee = '' OR $3)))
ORDER BY t.id`

// digestRow is one ticket (with one of its running clocks, if any).
type digestRow struct {
	id                                     int64
	subject, status, priority, team, owner string
	kind                                   string
	deadline                               *time.Time
	target                                 int64
	calendar                               string
}

// digestInfo gathers what a's digest lists as of now.
func (d *Desk) digestInfo(ctx context.Context, tx pgx.Tx, a DigestAgent, now time.Time) (templates.DigestInfo, error) {
	cal := cmp.Or(a.Calendar, sla.Always())
	teams := nonNil(d.notes.agentTeams[a.Address])
	info := templates.DigestInfo{At: now.In(cal.Location()), Lead: a.Lead, Teams: teams,
		Window: templates.SLA{Target: d.digest.DueWithin, Business: cal.Name() != sla.Always().Name()}}
	rows, err := tx.Query(ctx, digestTicketsSQL, a.Address, teams, a.Lead)
	if err != nil {
		return info, err
	}
	rs, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (digestRow, error) {
		var r digestRow
		err := row.Scan(&r.id, &r.subject, &r.status, &r.priority, &r.team, &r.owner, &r.kind, &r.deadline, &r.target, &r.calendar)
		return r, err
	})
	if err != nil {
		return info, err
	}
	byStatus := map[string][]templates.DigestTicket{}
	listed := map[int64]bool{}
	var due, breached []templates.DigestTicket
	for _, r := range rs {
		t := templates.DigestTicket{Number: r.id, Tag: d.tags.Tag(r.id), Subject: topic(r.subject), Status: r.status,
			Priority: r.priority, Team: r.team}
		if ag, ok := d.notes.agents[lower(r.owner)]; ok {
			t.Assignee = ag.Name
		}
		if !listed[r.id] {
			listed[r.id] = true
			if r.owner == "" {
				info.Unassigned = append(info.Unassigned, t)
			} else {
				byStatus[r.status] = append(byStatus[r.status], t)
			}
		}
		if r.deadline == nil {
			continue
		}
		clockCal := d.calendarNamed(r.calendar)
		kind := r.kind
		if kind == ClockNextResponse {
			kind = ClockResponse // the templates' word for any awaited answer
		}
		t.SLA = templates.SLA{Kind: kind, Target: time.Duration(r.target) * time.Second,
			Business: clockCal.Name() != sla.Always().Name(), Due: r.deadline.In(cal.Location())}
		switch {
		case !r.deadline.After(now):
			breached = append(breached, t)
		case !r.deadline.After(clockCal.Add(now, d.digest.DueWithin)):
			due = append(due, t)
		}
	}
	more := 0
	capped := func(ts []templates.DigestTicket) []templates.DigestTicket {
		if len(ts) > digestCap {
			more += len(ts) - digestCap
			return ts[:digestCap]
		}
		return ts
	}
	for _, s := range TicketStatuses() {
		if ts := byStatus[s]; len(ts) > 0 {
			info.Assigned = append(info.Assigned, templates.DigestStatus{Status: s, Tickets: capped(ts)})
		}
	}
	info.Unassigned = capped(info.Unassigned)
	bySoonest := func(a, b templates.DigestTicket) int { return a.SLA.Due.Compare(b.SLA.Due) }
	slices.SortStableFunc(due, bySoonest)
	slices.SortStableFunc(breached, bySoonest)
	info.DueSoon, info.Breached = capped(due), capped(breached)
	info.More = more
	return info, nil
}

// DigestsSent is how many daily digests have been queued in all, for a
// metric (a counter: the digests table only grows); days an agent had
// nothing to list, recorded without mail, do not count.
func DigestsSent(ctx context.Context, db DB) (int64, error) {
	var n int64
	if err := db.QueryRow(ctx, `SELECT count(*) FROM digests WHERE outbox_id IS NOT NULL`).Scan(&n); err != nil {
		return 0, fmt.Errorf("ticketing: counting digests: %w", err)
	}
	return n, nil
}
