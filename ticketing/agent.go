package ticketing

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/deskgate/deskgate/templates"
	"github.com/deskgate/deskgate/ticketing/command"
	"github.com/deskgate/deskgate/ticketing/rules"
)

// VerifyConfig says how an agent's reply is proven to be theirs.
type VerifyConfig struct {
	// RequireDMARC demands, besides the reply token, that the topmost
	// Authentication-Results field added by a trusted server shows
	// dmarc=pass or an aligned dkim=pass for the From domain.
	RequireDMARC bool
	Trusted      []string // trusted authserv-ids, lower case
	// TrustUnnamed trusts fields without an authserv-id (Microsoft 365).
	TrustUnnamed bool
	// CommandsExpireAfter is how long after it was issued a reply token
	// still lets its agent command; an older one only threads. 0:
	// DefaultCommandsExpireAfter.
	CommandsExpireAfter time.Duration
}

// DefaultCommandsExpireAfter is how long a reply token gives command rights
// by default.
const DefaultCommandsExpireAfter = 30 * 24 * time.Hour

// tokenSentSQL is when the outbox rows that version-1 tokens (which carry
// no issue time) name by their nonce were queued, and for which ticket.
const tokenSentSQL = `SELECT id, ticket_id, created_at FROM outbox WHERE id = ANY($1)`

// sentAt is when and for which ticket an outbox row was queued.
type sentAt struct {
	ticket int64
	at     time.Time
}

// agentMail is what the desk made of a message whose From is an agent's.
type agentMail struct {
	agent    Address // the agent: name and first address
	verified bool
	code     string // why it is not verified: a templates Reason constant
	why      string // and in words, for the event log
}

// agentOf returns the agent whose address addr is.
func (d *Desk) agentOf(addr string) (Address, bool) {
	if d.notes == nil {
		return Address{}, false
	}
	a, ok := d.notes.agents[lower(addr)]
	return a, ok
}

// tokenAddressesSQL maps contact ids, as reply tokens carry them, to
// addresses.
const tokenAddressesSQL = `SELECT id, address FROM contacts WHERE id = ANY($1)`

// verifyAgents decides, for every message from an agent's address that
// joins a ticket, whether it provably comes from that agent: a valid token
// issued to the agent (one of their addresses, or a team address of theirs)
// for that very ticket, and where required a DMARC pass from a trusted
// server. The result is indexed like ins; nil for other messages.
func (d *Desk) verifyAgents(ctx context.Context, tx pgx.Tx, ins []Inbound, plans []plan, toks []carried, now time.Time) ([]*agentMail, error) {
	out := make([]*agentMail, len(ins))
	var ids, nonces []int64
	for i := range ins {
		if _, ok := d.agentOf(ins[i].From.Address); ok && plans[i].action == join && ins[i].Class == ClassHuman {
			for _, c := range toks[i].valid {
				ids = append(ids, int64(c.Recipient))
				if c.Issued == 0 && c.Nonce <= math.MaxInt64 {
					nonces = append(nonces, int64(c.Nonce))
				}
			}
			out[i] = &agentMail{}
		}
	}
	sent := map[int64]sentAt{}
	if len(nonces) > 0 {
		rows, err := tx.Query(ctx, tokenSentSQL, nonces)
		if err != nil {
			return nil, fmt.Errorf("ticketing: reading when tokens were issued: %w", err)
		}
		var id int64
		var s sentAt
		if _, err := pgx.ForEachRow(rows, []any{&id, &s.ticket, &s.at}, func() error { sent[id] = s; return nil }); err != nil {
			return nil, fmt.Errorf("ticketing: reading when tokens were issued: %w", err)
		}
	}
	lifetime := cmp.Or(d.verify.CommandsExpireAfter, DefaultCommandsExpireAfter)
	addrs := map[int64]string{}
	if len(ids) > 0 {
		rows, err := tx.Query(ctx, tokenAddressesSQL, ids)
		if err != nil {
			return nil, fmt.Errorf("ticketing: reading token recipients: %w", err)
		}
		var id int64
		var a string
		if _, err := pgx.ForEachRow(rows, []any{&id, &a}, func() error { addrs[id] = a; return nil }); err != nil {
			return nil, fmt.Errorf("ticketing: reading token recipients: %w", err)
		}
	}
	for i, am := range out {
		if am == nil {
			continue
		}
		in, p := &ins[i], plans[i]
		am.agent, _ = d.agentOf(in.From.Address)
		mine := d.notes.agentAddresses(am.agent.Address)
		switch {
		case len(toks[i].valid) == 0 && len(toks[i].invalid) > 0:
			am.code, am.why = templates.ReasonInvalidToken, "the reply token is not valid (tampered, or signed with a key the desk no longer uses)"
		case len(toks[i].valid) == 0:
			am.code, am.why = templates.ReasonNoToken, "the reply carries no reply token: it does not answer a notification deskgate sent this agent"
		default:
			am.code, am.why = templates.ReasonOtherAgent, "the reply token was issued to someone else"
			for _, c := range toks[i].valid {
				to := addrs[int64(c.Recipient)]
				if !slices.Contains(mine, to) {
					continue
				}
				if int64(c.Ticket) != p.ticket {
					if am.code != templates.ReasonExpiredToken {
						am.code, am.why = templates.ReasonOtherTicket, fmt.Sprintf("the reply token is for ticket #%d, not #%d", c.Ticket, p.ticket)
					}
					continue
				}
				issued := c.IssuedAt()
				if s, ok := sent[int64(c.Nonce)]; issued.IsZero() && ok && s.ticket == int64(c.Ticket) {
					issued = s.at // a version-1 token: the mail that carried it
				}
				if issued.IsZero() || now.Sub(issued) > lifetime {
					am.code, am.why = templates.ReasonExpiredToken, fmt.Sprintf(
						"the reply token was issued %s, more than %s ago: it threads the reply onto the ticket but no longer commands",
						issued.Format(time.DateTime+" UTC"), shortDuration(lifetime))
					if issued.IsZero() {
						am.why = "the reply token carries no issue time and the mail that carried it is no longer on record: it threads the reply onto the ticket but no longer commands"
					}
					continue
				}
				am.verified, am.code, am.why = true, "", ""
				break
			}
		}
		if am.verified && d.verify.RequireDMARC {
			if ok, why := d.dmarc(in); !ok {
				am.verified, am.code, am.why = false, templates.ReasonDMARC, why
			}
		}
	}
	return out, nil
}

// agentAddresses are the addresses a token for agent (by first address)
// may have been issued to: the agent's own and their teams' addresses.
func (n *notifier) agentAddresses(agent string) []string {
	var out []string
	for addr, a := range n.agents {
		if a.Address == agent {
			out = append(out, addr)
		}
	}
	for _, team := range n.agentTeams[agent] {
		if t := n.teamAddress[team]; t != "" {
			out = append(out, t)
		}
	}
	return out
}

// dmarc checks the topmost Authentication-Results field of a trusted
// server: dmarc=pass for the From domain, or dkim=pass aligned with it.
func (d *Desk) dmarc(in *Inbound) (bool, string) {
	_, from, _ := strings.Cut(lower(in.From.Address), "@")
	for _, ar := range in.AuthResults {
		trusted := slices.Contains(d.verify.Trusted, ar.ServID) || (ar.ServID == "" && d.verify.TrustUnnamed)
		if !trusted {
			continue // anyone can add a field; only the receiving server's counts
		}
		// The DMARC verdict decides when there is one (it applies the
		// domain's own alignment policy); an aligned DKIM pass only
		// stands in when the server gives no DMARC result.
		if ar.DMARC != "" {
			if ar.DMARC == "pass" && ar.DMARCFrom == from {
				return true, ""
			}
			return false, fmt.Sprintf("the receiving server %q reported dmarc=%s for %s", ar.ServID, ar.DMARC, cmp.Or(ar.DMARCFrom, "an unnamed domain"))
		}
		for _, dom := range ar.DKIMPass {
			if dom == from || strings.HasSuffix(from, "."+dom) || strings.HasSuffix(dom, "."+from) {
				return true, ""
			}
		}
		// Here the server gave no DMARC verdict, and no aligned DKIM pass.
		return false, fmt.Sprintf("the receiving server %q did not report dmarc=pass for %s (dmarc=none)", ar.ServID, from)
	}
	return false, "no Authentication-Results from a trusted receiving server, and this desk requires DMARC"
}

// agentWork applies what verified agents' messages ask and explains to the
// others why nothing was done. msgIDs are the stored messages. It returns
// the notifications to queue.
func (d *Desk) agentWork(ctx context.Context, tx pgx.Tx, ins []Inbound, out []Outcome, agents []*agentMail, msgIDs []int64, now time.Time) ([]notice, error) {
	var ns []notice
	for i, am := range agents {
		if am == nil || out[i].Status != StatusAttached || msgIDs[i] == 0 {
			continue
		}
		in, id := &ins[i], out[i].TicketID
		if in.Quiet != "" {
			if _, err := tx.Exec(ctx, quietAgentSQL, id, in.CaptureID, msgIDs[i], lower(in.From.Address),
				jsonOf(map[string]any{"why": staleAgentWhy, "verified": am.verified})); err != nil {
				return nil, err
			}
			continue
		}
		if !am.verified {
			if _, err := tx.Exec(ctx, `INSERT INTO events (ticket_id, inbound_id, actor, kind, detail) VALUES ($1, $2, $3, 'agent.unverified', $4)`,
				id, in.CaptureID, lower(in.From.Address), jsonOf(map[string]any{"why": am.why, "reason": am.code, "from": in.From.Address})); err != nil {
				return nil, err
			}
			once := time.Hour
			if am.code == templates.ReasonExpiredToken {
				once = cmp.Or(d.verify.CommandsExpireAfter, DefaultCommandsExpireAfter) // told once
			}
			ns = append(ns, notice{event: templates.ReplyUnverified, ticket: id, in: in, to: []string{lower(in.From.Address)},
				reason: am.code, once: once})
			continue
		}
		more, err := d.agentReply(ctx, tx, id, msgIDs[i], in, am.agent, now)
		if err != nil {
			return nil, err
		}
		ns = append(ns, more...)
	}
	return ns, nil
}

// agentReply carries out one verified agent's reply on ticket id: its
// commands, all or none, then the relay of its text to the requester.
func (d *Desk) agentReply(ctx context.Context, tx pgx.Tx, id, msgID int64, in *Inbound, agent Address, now time.Time) ([]notice, error) {
	p := command.Parse(addedText(in))
	mergeable, err := mergeTargets(ctx, tx, id, p.Commands)
	if err != nil {
		return nil, err
	}
	h, err := holding(ctx, tx, id)
	if err != nil {
		return nil, err
	}
	p.Text = trimAttribution(cutAtMarker(p.Text))
	problems := append(d.checkCommands(p, mergeable), d.refusals(p, agent, h, mergeable)...)
	actor := agent.Address
	if len(problems) > 0 {
		_, err := tx.Exec(ctx, `INSERT INTO events (ticket_id, inbound_id, actor, kind, detail) VALUES ($1, $2, $3, 'commands.rejected', $4)`,
			id, in.CaptureID, actor, jsonOf(map[string]any{"errors": problems}))
		if err != nil {
			return nil, err
		}
		return []notice{{event: templates.CommandsRejected, ticket: id, in: in, to: []string{lower(in.From.Address)}, problems: problems}}, nil
	}
	// All commands apply in a savepoint: one that fails undoes the others.
	var ns []notice
	err = pgx.BeginFunc(ctx, tx, func(sp pgx.Tx) error {
		var err error
		ns, err = d.applyCommands(ctx, sp, id, in, agent, p.Commands, "by email", now)
		return err
	})
	if err != nil {
		// The lifecycle or a merge refused one command as it applied:
		// the agent sees the reason itself.
		problems = []commandProblem{{templates.CommandError{Text: err.Error(), Problem: "refused"}, err.Error()}}
		if _, err := tx.Exec(ctx, `INSERT INTO events (ticket_id, inbound_id, actor, kind, detail) VALUES ($1, $2, $3, 'commands.rejected', $4)`,
			id, in.CaptureID, actor, jsonOf(map[string]any{"errors": problems})); err != nil {
			return nil, err
		}
		return []notice{{event: templates.CommandsRejected, ticket: id, in: in, to: []string{lower(in.From.Address)}, problems: problems}}, nil
	}
	more, err := d.agentPost(ctx, tx, id, msgID, in, agent, p.Text, p.Note != "", commandNames(p.Commands), now)
	if len(more) > 0 {
		// The requester reads the answer before the status it led to:
		// status mail waits until the server has accepted the reply.
		for i := range ns {
			if isStatusMail(ns[i].event) {
				ns[i].afterRelay = in
			}
		}
	}
	return append(ns, more...), err
}

// agentPost records message msgID of ticket id as agent's, the one way an
// agent's words reach a ticket (by email, the API or the CLI): text "" (a
// note or commands only) keeps it internal; otherwise text is relayed to
// the requester and Cc, with the message's files unless it also carries a
// note, and the response clocks stop. It returns the notification to queue.
func (d *Desk) agentPost(ctx context.Context, tx pgx.Tx, id, msgID int64, in *Inbound, agent Address, text string, note bool,
	commands []string, now time.Time) ([]notice, error) {
	visibility := "public"
	if text == "" {
		visibility = "internal" // a note or commands only: the requester never sees it
	}
	if _, err := tx.Exec(ctx, `UPDATE messages SET visibility = $2, agent = $3 WHERE id = $1`, msgID, visibility, agent.Address); err != nil {
		return nil, err
	}
	relay := "none"
	if text != "" {
		relay = "queued" // mailout logs notification.delivered once the server accepted it
	}
	detail := map[string]any{"commands": commands, "relay": relay, "note": note}
	if _, err := tx.Exec(ctx, `INSERT INTO events (ticket_id, inbound_id, actor, kind, detail) VALUES ($1, $2, $3, 'agent.reply', $4)`,
		id, nullID(in.CaptureID), agent.Address, jsonOf(detail)); err != nil {
		return nil, err
	}
	if text == "" {
		return nil, nil
	}
	ref := msgID
	if note {
		ref = 0 // the files may belong to the note: none go to the requester
	}
	if err := d.responded(ctx, tx, id, in.CaptureID, agent.Address, now); err != nil {
		return nil, err
	}
	return []notice{{event: templates.AgentReply, ticket: id, in: in, text: text, messageRef: ref,
		fromName: agent.Name + " via " + d.notes.from.Name, author: &agent}}, nil
}

func commandNames(cs []command.Command) []string {
	var out []string
	for _, c := range cs {
		out = append(out, strings.TrimSpace(c.Raw))
	}
	return out
}

// commandProblem is one reason a reply's commands were not applied: the
// templates' CommandError, with a readable detail for the event log.
type commandProblem struct {
	templates.CommandError
	Detail string `json:"detail"`
}

// checkCommands reports every syntax error and every name the
// configuration does not know.
func (d *Desk) checkCommands(p command.Parsed, mergeable map[string]Holding) []commandProblem {
	var out []commandProblem
	for _, e := range p.Errors {
		code := templates.ProblemInvalidValue
		switch {
		case strings.HasPrefix(e.Msg, "unknown command"):
			code = templates.ProblemUnknownCommand
		case strings.Contains(e.Msg, "missing argument"), strings.Contains(e.Msg, "missing team"):
			code = templates.ProblemMissingValue
		case strings.Contains(e.Msg, "unexpected argument"):
			code = templates.ProblemUnexpectedValue
		case strings.Contains(e.Msg, "bad ticket number"):
			code = templates.ProblemUnknownTicket
		}
		word, value, _ := strings.Cut(e.Raw, " ")
		if code == templates.ProblemUnknownCommand {
			value = word
		}
		out = append(out, commandProblem{templates.CommandError{Line: e.Line, Text: e.Raw, Problem: code, Value: strings.TrimSpace(value)}, e.Msg})
	}
	bad := func(c command.Command, code, value string, allowed []string, detail string) {
		out = append(out, commandProblem{templates.CommandError{Line: c.Line, Text: strings.TrimSpace(c.Raw), Problem: code,
			Value: value, Allowed: allowed}, detail})
	}
	one := func(c command.Command, allowed []string, what string) {
		arg := ""
		if len(c.Args) > 0 {
			arg = c.Args[0]
		}
		if !containsFold(allowed, arg) {
			bad(c, templates.ProblemInvalidValue, arg, allowed, fmt.Sprintf("unknown %s %q; one of %s", what, arg, strings.Join(allowed, ", ")))
		}
	}
	m := d.policy.Matrix
	for _, c := range p.Commands {
		switch c.Name {
		case "status":
			one(c, TicketStatuses()[1:], "status") // a ticket never goes back to new
		case "priority", "impact", "urgency":
			if m == nil {
				bad(c, templates.ProblemInvalidValue, strings.Join(c.Args, " "), nil, "this desk has no priorities")
				continue
			}
			levels := map[string][]string{"priority": m.Priorities(), "impact": m.Impacts(), "urgency": m.Urgencies()}[c.Name]
			one(c, levels, c.Name)
		case "category":
			if names := d.categoryNames(); len(names) > 0 {
				one(c, names, "category")
			}
		case "assign":
			arg := ""
			if len(c.Args) > 0 {
				arg = lower(c.Args[0])
			}
			if team, ok := strings.CutPrefix(arg, "team:"); ok {
				if !d.notes.hasTeam(team) {
					bad(c, templates.ProblemUnknownAssignee, arg, nil, fmt.Sprintf("unknown team %q", team))
				}
			} else if _, ok := d.agentOf(arg); !ok && arg != "me" {
				bad(c, templates.ProblemUnknownAssignee, arg, nil, fmt.Sprintf("%q is not an agent's address", arg))
			}
		case "cc":
			for _, a := range c.Args {
				if addr := strings.TrimLeft(a, "+-"); d.isDesk(addr) || !strings.Contains(addr, "@") {
					bad(c, templates.ProblemInvalidAddress, addr, nil, addr+" is not an address the desk can copy in")
				}
			}
		case "accept":
			for _, a := range c.Args {
				if d.isDesk(a) || d.isAgent(a) || !strings.Contains(a, "@") {
					bad(c, templates.ProblemInvalidAddress, a, nil, a+" is not an address that can take part in a ticket")
				}
			}
		case "fwd":
			bad(c, templates.ProblemConflict, "", nil, "#fwd only works at the top of a new email to the desk, not in a reply")
		case "merge":
			if len(c.Args) == 0 {
				continue
			}
			if _, ok := mergeable[c.Args[0]]; !ok {
				bad(c, templates.ProblemUnknownTicket, c.Args[0], nil, "no other ticket of that number")
			}
		}
	}
	return out
}

// categoryNames are the configured categories, sorted.
func (d *Desk) categoryNames() []string {
	var names []string
	for _, cat := range d.policy.Categories {
		names = append(names, cat.Name)
	}
	slices.Sort(names)
	return names
}

// teamNames are the configured teams, sorted.
func (d *Desk) teamNames() []string {
	var names []string
	if d.notes != nil {
		for t := range d.notes.teams {
			names = append(names, t)
		}
	}
	slices.Sort(names)
	return names
}

func containsFold(list []string, s string) bool {
	return slices.ContainsFunc(list, func(x string) bool { return strings.EqualFold(x, s) })
}

func canonical(list []string, s string) string {
	for _, x := range list {
		if strings.EqualFold(x, s) {
			return x
		}
	}
	return s
}

// applyCommands applies checked commands in order as agent; why is the
// reason the event log gives for a status change ("by email"). The
// ticket.updated rules run after them.
func (d *Desk) applyCommands(ctx context.Context, tx pgx.Tx, id int64, in *Inbound, agent Address, cs []command.Command, why string,
	now time.Time) ([]notice, error) {
	if len(cs) == 0 {
		return nil, nil
	}
	before, err := d.beforeChange(ctx, tx, id)
	if err != nil {
		return nil, err
	}
	var ns []notice
	var changes []rules.Change
	m := d.policy.Matrix
	for _, c := range cs {
		arg := ""
		if len(c.Args) > 0 {
			arg = c.Args[0]
		}
		switch c.Name {
		case "status":
			var from string
			if err := tx.QueryRow(ctx, `SELECT status FROM tickets WHERE id = $1`, id).Scan(&from); err != nil {
				return nil, err
			}
			to := lower(arg)
			if to == from {
				continue
			}
			if !CanTransition(from, to) {
				return nil, fmt.Errorf("%s: ticket #%d is %s: %w to %s", strings.TrimSpace(c.Raw), id, from, ErrTransition, to)
			}
			more, err := d.applyStatus(ctx, tx, id, in.CaptureID, from, to, agent.Address, why)
			if err != nil {
				return nil, err
			}
			ns = append(ns, more...)
		case "priority":
			changes = append(changes, rules.Change{Field: "priority", To: canonical(m.Priorities(), arg)})
		case "impact":
			changes = append(changes, rules.Change{Field: "impact", To: canonical(m.Impacts(), arg)})
		case "urgency":
			changes = append(changes, rules.Change{Field: "urgency", To: canonical(m.Urgencies(), arg)})
		case "category":
			name := arg
			if cat, ok := d.policy.Categories[lower(arg)]; ok {
				name = cat.Name
			}
			changes = append(changes, rules.Change{Field: "category", To: name})
		case "assign", "take":
			target := lower(arg)
			if c.Name == "take" || target == "me" {
				target = agent.Address
			}
			if team, ok := strings.CutPrefix(target, "team:"); ok {
				changes = append(changes, rules.Change{Field: "team", To: team}, rules.Change{Field: "assignee", To: ""})
			} else {
				a, _ := d.agentOf(target)
				changes = append(changes, rules.Change{Field: "assignee", To: a.Address})
			}
		case "tag":
			for _, t := range c.Args {
				if name, ok := strings.CutPrefix(t, "-"); ok {
					changes = append(changes, rules.Change{Field: "tags", From: name})
				} else {
					changes = append(changes, rules.Change{Field: "tags", To: strings.TrimPrefix(t, "+")})
				}
			}
		case "cc":
			for _, a := range c.Args {
				if addr, ok := strings.CutPrefix(a, "-"); ok {
					if _, err := tx.Exec(ctx, `DELETE FROM participants WHERE ticket_id = $1 AND address = $2 AND role = 'cc'`, id, lower(addr)); err != nil {
						return nil, err
					}
					continue
				}
				b := &pgx.Batch{}
				queueAddParticipant(b, id, in.CaptureID, Address{Address: lower(strings.TrimPrefix(a, "+"))}, "cc", "added by "+agent.Address, 0)
				if err := runBatch(ctx, tx, b, func(_ int, row pgx.Row) error {
					if err := row.Scan(new(int64)); err != nil && err != pgx.ErrNoRows {
						return err
					}
					return nil
				}); err != nil {
					return nil, err
				}
			}
		case "accept":
			if _, err := d.admit(ctx, tx, id, in.CaptureID, c.Args, agent.Address); err != nil {
				return nil, fmt.Errorf("%s: %w", strings.TrimSpace(c.Raw), err)
			}
		case "merge":
			into, err := strconv.ParseInt(strings.TrimPrefix(arg, "#"), 10, 64)
			if err != nil {
				return nil, fmt.Errorf("%s: not a ticket number", strings.TrimSpace(c.Raw))
			}
			if err := d.merge(ctx, tx, id, into, agent.Address, "merged by email"); err != nil {
				return nil, err
			}
		}
	}
	if len(changes) > 0 {
		more, err := d.applyRulesAs(ctx, tx, id, in.CaptureID, "command", agent.Address, &rules.Result{Changes: changes}, now)
		if err != nil {
			return nil, err
		}
		ns = append(ns, more...)
	}
	more, err := d.updated(ctx, tx, id, in.CaptureID, before, now)
	if err != nil {
		return nil, err
	}
	return append(ns, more...), nil
}

// responded stops the response and next-response clocks of ticket id: an
// agent's public reply was queued for the requester (mailout logs
// notification.delivered once the server accepted it).
func (d *Desk) responded(ctx context.Context, tx pgx.Tx, id, captureID int64, actor string, now time.Time) error {
	if d.policy.Matrix == nil {
		return nil
	}
	cs, err := d.loadClocks(ctx, tx, id)
	if err != nil {
		return err
	}
	w := &writes{}
	for _, c := range cs {
		if (c.kind == ClockResponse || c.kind == ClockNextResponse) && c.clock.Stopped.IsZero() {
			c.clock = c.clock.Stop(now, c.calendar)
			d.queueClock(w, id, captureID, c, actor, "an agent's reply was queued for the requester")
		}
	}
	return w.run(ctx, tx, func(_ int, row pgx.Row) error { return row.Scan(new(int64)) })
}

// forwards marks the new mail agents forwarded with "#fwd" on top: the
// ticket is for the forwarded message's sender, under its subject. A
// forwarded mail carries no reply token, so the agent is known by From
// alone: where DMARC is required only with a pass from a trusted server,
// and without a pass the forwarded sender gets no acknowledgement (a
// forger could otherwise make the desk mail anyone). It returns the events
// to log, by message index.
func (d *Desk) forwards(ins []Inbound, plans []plan) map[int]map[string]any {
	out := map[int]map[string]any{}
	for i := range ins {
		in := &ins[i]
		agent, ok := d.agentOf(in.From.Address)
		if !ok || plans[i].action != open || in.Class != ClassHuman {
			continue
		}
		p := command.Parse(addedText(in))
		if len(p.Commands) == 0 || p.Commands[0].Name != "fwd" {
			continue
		}
		authenticated, why := d.dmarc(in)
		if d.verify.RequireDMARC && !authenticated {
			out[i] = map[string]any{"agent": agent.Address, "ignored": "#fwd not honoured: " + why}
			continue
		}
		// The whole text: quote stripping may have cut the forwarded block.
		f, ok := command.ParseForward(in.Text)
		if !ok {
			out[i] = map[string]any{"agent": agent.Address, "ignored": "#fwd not honoured: no forwarded sender found"}
			continue
		}
		in.OnBehalfOf = &Address{Name: f.FromName, Address: lower(f.FromAddress)}
		if f.Subject != "" {
			in.Subject = f.Subject
		}
		if f.Body != "" {
			in.NewText = f.Body
		}
		// Without a DMARC pass, anyone could forge the agent's From: the
		// ticket opens, but its sender is not mailed an acknowledgement.
		out[i] = map[string]any{"agent": agent.Address, "for": f.FromAddress, "authenticated": authenticated}
	}
	return out
}

// mergeTargets are who holds the tickets an agent's #merge names, other
// than id itself, by the number as written.
func mergeTargets(ctx context.Context, tx pgx.Tx, id int64, cs []command.Command) (map[string]Holding, error) {
	out := map[string]Holding{}
	for _, c := range cs {
		if c.Name != "merge" || len(c.Args) == 0 {
			continue
		}
		n, err := strconv.ParseInt(c.Args[0], 10, 64)
		if err != nil || n == id {
			continue
		}
		h, err := holding(ctx, tx, n)
		if errors.Is(err, ErrNotFound) {
			continue
		}
		if err != nil {
			return nil, err
		}
		out[c.Args[0]] = h
	}
	return out, nil
}

// cutAtMarker cuts an agent's text at deskgate's "reply above this line"
// marker, in any language: what is below it is the quoted notification,
// which quote stripping leaves in when nothing else was written.
func cutAtMarker(text string) string {
	cut := len(text)
	for _, m := range templates.Markers() {
		if i := strings.Index(text, m); i >= 0 && i < cut {
			cut = i
		}
	}
	if cut == len(text) {
		return text
	}
	// Drop the line holding the marker (and a "> " or "On … wrote:" before it).
	head := text[:cut]
	if i := strings.LastIndexByte(head, '\n'); i >= 0 {
		head = head[:i]
	} else {
		head = ""
	}
	lines := strings.Split(head, "\n")
	for len(lines) > 0 {
		l := strings.TrimSpace(lines[len(lines)-1])
		if l == "" || strings.HasSuffix(l, ":") || strings.HasPrefix(l, ">") {
			lines = lines[:len(lines)-1]
			continue
		}
		break
	}
	return strings.TrimSpace(strings.Join(lines, "\n"))
}

// trimAttribution drops a last line ending in a colon ("On Monday, Desk
// wrote:"): what remains of an attribution once the quote below it is
// cut at the marker.
func trimAttribution(text string) string {
	lines := strings.Split(strings.TrimSpace(text), "\n")
	if n := len(lines); n > 0 && strings.HasSuffix(strings.TrimSpace(lines[n-1]), ":") {
		lines = lines[:n-1]
	}
	return strings.TrimSpace(strings.Join(lines, "\n"))
}
