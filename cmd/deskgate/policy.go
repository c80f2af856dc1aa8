package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/deskgate/deskgate/config"
	"github.com/deskgate/deskgate/templates"
	"github.com/deskgate/deskgate/ticketing"
	"github.com/deskgate/deskgate/ticketing/rules"
	"github.com/deskgate/deskgate/ticketing/sla"
)

// policyConfig builds the desk's policy from the configuration: the
// priority matrix, the business-hours calendars, the SLA policies and the
// compiled rules. Every rule condition and calendar is checked here, so
// `config check` and the start of serve report them.
func policyConfig(cfg *config.Config) (ticketing.PolicyConfig, error) {
	var pc ticketing.PolicyConfig
	pr := cfg.Priorities
	cells := map[[2]string]string{}
	for _, c := range pr.Matrix {
		cells[[2]string{c.Impact, c.Urgency}] = c.Priority
	}
	m, err := rules.NewMatrix(pr.Impacts, pr.Urgencies, pr.Levels, cells)
	if err != nil {
		return pc, fmt.Errorf("priorities: %w", err)
	}
	pc.Matrix, pc.DefaultImpact, pc.DefaultUrgency = m, pr.DefaultImpact, pr.DefaultUrgency
	pc.HeaderRaisesUrgency = pr.HeaderRaisesUrgency

	cals := map[string]*sla.Calendar{}
	var errs []error
	for _, c := range cfg.Calendars {
		cal, err := calendar(c)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		cals[c.Name] = cal
	}
	pc.Policies = map[string]ticketing.SLAPolicy{}
	for _, p := range cfg.SLA.Policies {
		sp := ticketing.SLAPolicy{Name: p.Name, Calendar: cals[p.Calendar], Targets: map[string]ticketing.Targets{}}
		if sp.Calendar == nil {
			sp.Calendar = sla.Always()
		}
		for _, t := range p.Targets {
			sp.Targets[t.Priority] = ticketing.Targets{Response: t.Response, Resolution: t.Resolution, NextResponse: t.NextResponse}
		}
		pc.Policies[p.Name] = sp
	}
	pc.DefaultPolicy, pc.WarnAt, pc.RemindOutsideHours = cfg.SLA.Default, cfg.SLA.WarnAt, cfg.SLA.RemindOutsideHours
	level := func(l config.EscalationLevel) ticketing.EscalationLevel {
		return ticketing.EscalationLevel{Notify: l.Notify, RaisePriority: l.RaisePriority, Reassign: l.Reassign}
	}
	pc.Escalation = ticketing.Escalation{Warning: level(cfg.SLA.Escalation.Warning), Breach: level(cfg.SLA.Escalation.Breach)}
	pc.Categories = map[string]ticketing.Category{}
	var categories []string
	for _, c := range cfg.Categories {
		pc.Categories[strings.ToLower(c.Name)] = ticketing.Category{Name: c.Name, Impact: c.Impact, Urgency: c.Urgency, SLA: c.SLA}
		categories = append(categories, c.Name)
	}
	pc.Mailboxes = map[string]ticketing.Levels{}
	for _, mb := range cfg.Mailboxes {
		pc.Mailboxes[mb.Name] = ticketing.Levels{Impact: mb.Impact, Urgency: mb.Urgency}
	}
	pc.TeamCalendars, pc.TeamEscalation = map[string]*sla.Calendar{}, map[string][]string{}
	var teams, agents, policies []string
	for _, t := range cfg.Teams {
		teams = append(teams, t.Name)
		if c := cals[t.Calendar]; c != nil {
			pc.TeamCalendars[t.Name] = c
		}
		pc.TeamEscalation[t.Name] = t.Escalation
	}
	for _, a := range cfg.Agents {
		agents = append(agents, a.Addresses...)
	}
	for _, p := range cfg.SLA.Policies {
		policies = append(policies, p.Name)
	}
	if len(cfg.Rules) > 0 {
		rs := make([]rules.Rule, len(cfg.Rules))
		for i, r := range cfg.Rules {
			rs[i] = rules.Rule{Name: r.Name, On: r.On, When: r.When, Then: rules.Then(r.Then), Stop: r.Stop}
		}
		set, err := rules.Compile(rs, rules.Options{Impacts: m.Impacts(), Urgencies: m.Urgencies(), Priorities: m.Priorities(),
			Statuses: ticketing.TicketStatuses(), Teams: teams, Categories: categories, Templates: ruleTemplates(cfg),
			Languages: templates.Languages(), SLAPolicies: policies, Assignees: agents})
		if err != nil {
			errs = append(errs, fmt.Errorf("rules: %w", err))
		}
		pc.Rules = set
	}
	return pc, errors.Join(errs...)
}

// calendar builds one business-hours calendar.
func calendar(c config.Calendar) (*sla.Calendar, error) {
	spec := sla.Spec{Name: c.Name, TimeZone: c.TimeZone, Hours: map[time.Weekday][]sla.Span{},
		Holidays: c.Holidays, Closed: c.Closed, Open: c.Open}
	for day, spans := range c.Days() {
		for _, s := range strings.Split(spans, ",") {
			sp, err := sla.ParseSpan(strings.TrimSpace(s))
			if err != nil {
				return nil, fmt.Errorf("calendars %s: %w", c.Name, err)
			}
			spec.Hours[day] = append(spec.Hours[day], sp)
		}
	}
	return sla.New(spec)
}

// escalate fires due SLA warnings and breaches every 30 seconds until ctx
// is done; at start it catches up on whatever fell due while deskgate was
// down. Every process may run it: each fires once.
func escalate(ctx context.Context, desk *atomic.Pointer[ticketing.Desk], pool *pgxpool.Pool, log *slog.Logger) error {
	t := time.NewTicker(30 * time.Second)
	defer t.Stop()
	for {
		n, err := desk.Load().Escalate(ctx, pool, time.Now())
		switch {
		case err != nil && ctx.Err() == nil:
			log.Error("escalating SLA clocks", "err", err)
		case n > 0:
			log.Info("SLA escalations fired", "count", n)
		}
		if n == 200 { // a full batch: there may be more at once
			continue
		}
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
	}
}

// ruleTemplates are the events a rule may send: those the configuration
// lists (not the answers to an agent's own reply).
func ruleTemplates(cfg *config.Config) []string {
	var out []string
	for _, e := range templates.Events() {
		if _, ok := cfg.Notifications.Event(e); ok {
			out = append(out, e)
		}
	}
	return out
}
