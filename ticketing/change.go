package ticketing

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/deskgate/deskgate/ticketing/command"
)

// Changes a person makes through the API or the CLI are turned into the
// email commands an agent would write and go through the same checks
// (checkCommands) and the same application (applyCommands), so the
// lifecycle, rules, SLA and notifications cannot differ by path.

// Change is a change to a ticket's fields. Nil fields stay as they are.
type Change struct {
	Status     *string
	Priority   *string
	Impact     *string
	Urgency    *string
	Category   *string
	Team       *string // assigns to the team and clears the assignee
	Assignee   *string // an agent's address, or "me"
	AddTags    []string
	RemoveTags []string
	// Why is the reason kept in the event log; default "by <agent>
	// through the API or CLI".
	Why string
}

// FieldError is one field of a change that was refused, and why.
type FieldError struct {
	Field   string `json:"field"`
	Message string `json:"message"`
}

// InvalidError lists every refused field of a change.
type InvalidError struct{ Fields []FieldError }

func (e *InvalidError) Error() string {
	var s []string
	for _, f := range e.Fields {
		s = append(s, f.Field+": "+f.Message)
	}
	return "invalid change: " + strings.Join(s, "; ")
}

// commands turns c into email commands, with the field each stands for.
func (c Change) commands() ([]command.Command, []string) {
	var cs []command.Command
	var fields []string
	add := func(field, name string, args ...string) {
		cs = append(cs, command.Command{Name: name, Args: args, Line: len(cs) + 1,
			Raw: strings.TrimSpace("#" + name + " " + strings.Join(args, " "))})
		fields = append(fields, field)
	}
	one := func(field string, v *string) {
		if v != nil {
			add(field, field, strings.TrimSpace(*v))
		}
	}
	one("status", c.Status)
	one("priority", c.Priority)
	one("impact", c.Impact)
	one("urgency", c.Urgency)
	one("category", c.Category)
	if c.Team != nil {
		add("team", "assign", "team:"+strings.TrimSpace(*c.Team))
	}
	if c.Assignee != nil {
		add("assignee", "assign", strings.TrimSpace(*c.Assignee))
	}
	var tags []string
	for _, t := range c.AddTags {
		tags = append(tags, "+"+strings.TrimSpace(t))
	}
	for _, t := range c.RemoveTags {
		tags = append(tags, "-"+strings.TrimSpace(t))
	}
	if len(tags) > 0 {
		add("tags", "tag", tags...)
	}
	return cs, fields
}

// actor is who acts through the API or the CLI: a configured agent, or,
// for agent "", an administrator at the command line ("cli"), whom no team
// limits.
func (d *Desk) actor(agent string) (Address, error) {
	if agent == "" {
		return Address{Address: "cli"}, nil
	}
	a, ok := d.agentOf(agent)
	if !ok {
		return Address{}, fmt.Errorf("%s is not a configured agent: %w", agent, ErrForbidden)
	}
	return a, nil
}

// lockTicket locks ticket number for a change by agent, checking that it
// exists, is not merged away and is the agent's to work (Permit; "cli",
// an administrator, may change any), and returns who holds it.
func (d *Desk) lockTicket(ctx context.Context, tx pgx.Tx, number int64, agent Address) (Holding, error) {
	var h Holding
	var merged *int64
	err := tx.QueryRow(ctx, `SELECT team, assignee, merged_into FROM tickets WHERE id = $1 FOR NO KEY UPDATE`, number).
		Scan(&h.Team, &h.Assignee, &merged)
	if errors.Is(err, pgx.ErrNoRows) {
		return h, fmt.Errorf("ticket #%d: %w", number, ErrNotFound)
	}
	if err != nil {
		return h, fmt.Errorf("ticketing: reading ticket %d: %w", number, err)
	}
	if agent.Address != "cli" && d.Permit(agent.Address, h, ActWork, "") != nil {
		return h, fmt.Errorf("ticket #%d is not of %s's teams or assigned to them: %w", number, agent.Address, ErrForbidden)
	}
	if merged != nil {
		return h, fmt.Errorf("ticket #%d was merged into #%d: %w", number, *merged, ErrMerge)
	}
	return h, nil
}

// Apply makes change c to ticket number as agent ("" for an administrator
// at the command line), exactly as the agent's email commands would: every
// field checked first (an *InvalidError names each refused one), then all
// applied or none, then the ticket.updated rules, with the notifications
// queued in the same transaction. It returns ErrNotFound, ErrForbidden for
// a ticket outside the agent's teams, and ErrTransition for a status the
// lifecycle forbids.
func (d *Desk) Apply(ctx context.Context, db Beginner, number int64, agent string, c Change) error {
	who, err := d.actor(agent)
	if err != nil {
		return err
	}
	cs, fields := c.commands()
	if len(cs) == 0 {
		return &InvalidError{Fields: []FieldError{{Field: "", Message: "nothing to change"}}}
	}
	if problems := d.checkCommands(command.Parsed{Commands: cs}, nil); len(problems) > 0 {
		e := &InvalidError{}
		for _, p := range problems {
			e.Fields = append(e.Fields, FieldError{Field: fields[p.Line-1], Message: p.Detail})
		}
		return e
	}
	return pgx.BeginFunc(ctx, db, func(tx pgx.Tx) error {
		h, err := d.lockTicket(ctx, tx, number, who)
		if err != nil {
			return err
		}
		if who.Address != "cli" {
			// Each change is permitted as its email command would be
			// (Permit: reassigning and moving are a lead's).
			if refused := d.refusals(command.Parsed{Commands: cs}, who, h, nil); len(refused) > 0 {
				return fmt.Errorf("ticket #%d: %s: %w", number, refused[0].Detail, ErrForbidden)
			}
		}
		why := c.Why
		if why == "" {
			why = "by " + who.Address + " through the API or CLI"
		}
		// applyCommands runs the ticket.updated rules after the change.
		ns, err := d.applyCommands(ctx, tx, number, &Inbound{}, who, cs, why, time.Now())
		if err != nil {
			return err
		}
		return d.notify(ctx, tx, ns, nil)
	})
}

// MergeAs merges ticket from into ticket into as agent, who must be
// allowed to act on both (as for #merge).
func (d *Desk) MergeAs(ctx context.Context, db Beginner, from, into int64, agent, why string) error {
	who, err := d.actor(agent)
	if err != nil {
		return err
	}
	return pgx.BeginFunc(ctx, db, func(tx pgx.Tx) error {
		for _, n := range []int64{min(from, into), max(from, into)} {
			if _, err := d.lockTicket(ctx, tx, n, who); err != nil {
				return err
			}
		}
		return d.Merge(ctx, tx, from, into, who.Address, why)
	})
}
