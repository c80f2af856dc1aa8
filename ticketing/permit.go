package ticketing

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/jackc/pgx/v5"

	"github.com/deskgate/deskgate/templates"
	"github.com/deskgate/deskgate/ticketing/command"
)

// Action is what an agent does to a ticket: a column of the permission
// table in docs/agents.md.
type Action string

// The actions Permit decides.
const (
	// ActWork is replying to the requester, a note, and every command
	// that changes the ticket itself: status, priority, impact, urgency,
	// category, tags, Cc, #accept, #merge (on both tickets).
	ActWork Action = "work"
	ActTake Action = "take" // assign it to themselves (#take, #assign me)
	// ActRelease leaves it unassigned in its team (#assign team:<its team>).
	ActRelease  Action = "release"
	ActReassign Action = "reassign" // assign it to another agent
	ActMove     Action = "move"     // move it to another team (#assign team:<other>)
)

// Holding is who holds a ticket: its team ("" for none) and its assignee
// (an agent's first address; "" for none).
type Holding struct {
	Team, Assignee string
}

// ErrForbidden is what a Denial wraps: the agent may not do that to the
// ticket.
var ErrForbidden = errors.New("not permitted")

// Denial is why Permit refused an action: a templates Problem, what it is
// about, and a sentence in English for the event log.
type Denial struct {
	Problem string // templates.ProblemAssignedToOther, ProblemOtherTeam or ProblemLeadOnly
	Value   string // the assignee's name, or the team
	Detail  string
}

func (r *Denial) Error() string { return r.Detail }
func (r *Denial) Unwrap() error { return ErrForbidden }

// Permit decides whether agent (any of their addresses) may do act to a
// ticket held as h; for ActMove, to is the team it would move to. It
// returns nil when they may. This is the one place permissions are
// decided:
//
//   - An agent acts on tickets assigned to them, and on unassigned tickets
//     of their teams: works them, takes them, releases them to their team.
//   - A lead (role lead) acts so on every ticket of the teams they lead,
//     whoever holds it, and also reassigns them to any agent and moves them
//     to another team they lead.
//   - A ticket of no team counts as every agent's team's (a desk without
//     teams is one team).
func (d *Desk) Permit(agent string, h Holding, act Action, to string) *Denial {
	me, ok := d.agentOf(agent)
	if !ok {
		return &Denial{Problem: templates.ProblemOtherTeam, Value: h.Team, Detail: agent + " is not an agent"}
	}
	teams := d.notes.agentTeams[me.Address]
	ours := h.Team == "" || slices.Contains(teams, h.Team)
	lead := ours && d.notes.leads[me.Address]
	mine := h.Assignee != "" && lower(h.Assignee) == me.Address
	switch {
	case lead:
	case !mine && !ours:
		return &Denial{Problem: templates.ProblemOtherTeam, Value: h.Team,
			Detail: fmt.Sprintf("the ticket is of team %s, which %s is not in", h.Team, me.Address)}
	case !mine && h.Assignee != "":
		who := h.Assignee
		if a, ok := d.agentOf(h.Assignee); ok {
			who = a.Name
		}
		return &Denial{Problem: templates.ProblemAssignedToOther, Value: who,
			Detail: fmt.Sprintf("the ticket is assigned to %s: only they or a lead of team %s may act on it", h.Assignee, h.Team)}
	case act == ActReassign || act == ActMove:
		return &Denial{Problem: templates.ProblemLeadOnly, Value: to,
			Detail: fmt.Sprintf("only a lead of the ticket's team may %s it", act)}
	default:
		return nil
	}
	if act == ActMove && !slices.Contains(teams, to) {
		return &Denial{Problem: templates.ProblemLeadOnly, Value: to,
			Detail: fmt.Sprintf("%s leads no team %s: a lead moves tickets only between their own teams", me.Address, to)}
	}
	return nil
}

const holdingSQL = `SELECT team, assignee FROM tickets WHERE id = $1`

// holding reads who holds ticket id.
func holding(ctx context.Context, db DB, id int64) (Holding, error) {
	var h Holding
	err := db.QueryRow(ctx, holdingSQL, id).Scan(&h.Team, &h.Assignee)
	if errors.Is(err, pgx.ErrNoRows) {
		return h, fmt.Errorf("ticket #%d: %w", id, ErrNotFound)
	}
	if err != nil {
		return h, fmt.Errorf("ticketing: reading ticket %d: %w", id, err)
	}
	return h, nil
}

// PermitTicket is Permit for ticket number as it stands in db: nil, a
// *Denial (wrapping ErrForbidden), or an error wrapping ErrNotFound.
// What the API and any other path call before acting for an agent.
func (d *Desk) PermitTicket(ctx context.Context, db DB, agent string, number int64, act Action, to string) error {
	h, err := holding(ctx, db, number)
	if err != nil {
		return err
	}
	if r := d.Permit(agent, h, act, to); r != nil {
		return r
	}
	return nil
}

// actionOf is what command c asks of a ticket held as h, by agent: the
// action and, for ActMove, the team.
func (d *Desk) actionOf(c command.Command, agent Address, h Holding) (Action, string) {
	if c.Name == "take" {
		return ActTake, ""
	}
	if c.Name != "assign" || len(c.Args) == 0 {
		return ActWork, ""
	}
	target := lower(c.Args[0])
	if team, ok := strings.CutPrefix(target, "team:"); ok {
		if team == h.Team {
			return ActRelease, ""
		}
		return ActMove, team
	}
	if a, ok := d.agentOf(target); target == "me" || ok && a.Address == agent.Address {
		return ActTake, ""
	}
	return ActReassign, ""
}

// refusals are the commands of p (and its text, when no command is
// refused) that agent may not carry out on a ticket held as h; mergeable
// holds the tickets its #merge commands name.
func (d *Desk) refusals(p command.Parsed, agent Address, h Holding, mergeable map[string]Holding) []commandProblem {
	var out []commandProblem
	refuse := func(c command.Command, r *Denial) {
		out = append(out, commandProblem{templates.CommandError{Line: c.Line, Text: strings.TrimSpace(c.Raw),
			Problem: r.Problem, Value: r.Value}, r.Detail})
	}
	for _, c := range p.Commands {
		act, to := d.actionOf(c, agent, h)
		if r := d.Permit(agent.Address, h, act, to); r != nil {
			refuse(c, r)
			continue
		}
		if c.Name == "merge" && len(c.Args) > 0 {
			if into, ok := mergeable[c.Args[0]]; ok {
				if r := d.Permit(agent.Address, into, ActWork, ""); r != nil {
					r.Detail = "ticket #" + c.Args[0] + ": " + r.Detail
					refuse(c, r)
				}
			}
		}
	}
	if len(out) == 0 && (p.Text != "" || p.Note != "") {
		if r := d.Permit(agent.Address, h, ActWork, ""); r != nil {
			// The reply's first line stands for it.
			first, _, _ := strings.Cut(cmp.Or(p.Text, p.Note), "\n")
			if len(first) > 60 {
				first = strings.ToValidUTF8(first[:60], "") + "…"
			}
			out = append(out, commandProblem{templates.CommandError{Text: strings.TrimSpace(first), Problem: r.Problem, Value: r.Value}, r.Detail})
		}
	}
	return out
}
