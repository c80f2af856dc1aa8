package ticketing

import (
	"cmp"

	"github.com/deskgate/deskgate/templates"
	"github.com/deskgate/deskgate/ticketing/rules"
)

// assigned returns the assignment mail a change of ticket id from before
// to after causes, by what made it: to the new assignee, or, when the
// ticket went to a team without a person, to that team. Nothing goes to
// actor, the agent who made the change (#take, #assign me): they know. A
// change that leaves the ticket with the same person, or unassigned in the
// same team, mails nobody.
func (d *Desk) assigned(id int64, before, after rules.Ticket, by templates.Assignment, actor string) []notice {
	if d.notes == nil {
		return nil
	}
	actor = lower(actor)
	switch {
	case after.Assignee != "" && lower(after.Assignee) != lower(before.Assignee):
		if lower(after.Assignee) == actor {
			return nil
		}
		return []notice{{event: templates.Assigned, ticket: id, to: []string{lower(after.Assignee)}, assignment: &by}}
	case after.Assignee == "" && after.Team != "" && (after.Team != before.Team || before.Assignee != ""):
		var to []string
		for _, a := range d.notes.teams[after.Team] {
			if a.Address != actor {
				to = append(to, a.Address)
			}
		}
		if len(to) == 0 {
			return nil
		}
		by.Team = after.Team
		return []notice{{event: templates.Assigned, ticket: id, to: to, assignment: &by}}
	}
	return nil
}

// assignedBy says what made the changes of res, as assigned mail words
// it: for commands (on "command": an agent's email, or a change made
// through another path as commands) the agent actor, or an administrator
// when actor is no agent; else the rule that changed the assignee or, for
// a team without a person, the team.
func (d *Desk) assignedBy(on, actor string, res *rules.Result, toTeam bool) templates.Assignment {
	if on == "command" {
		if a, ok := d.agentOf(actor); ok {
			return templates.Assignment{By: templates.AssignedByAgent, Name: cmp.Or(a.Name, a.Address)}
		}
		return templates.Assignment{By: templates.AssignedByAdmin}
	}
	field := "assignee"
	if toTeam {
		field = "team"
	}
	by := templates.Assignment{By: templates.AssignedByRule}
	for _, c := range res.Changes {
		if c.Field == field {
			by.Name = c.Rule // the last rule to set it decided
		}
	}
	return by
}
