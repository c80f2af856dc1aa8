package config

import (
	"errors"
	"os"
	"slices"
	"strings"
	"testing"
	"time"
)

// FuzzParse checks that Parse never panics and always returns either a Config or an *Error
// with at least one problem.
func FuzzParse(f *testing.F) {
	f.Add([]byte(minimal))
	if example, err := os.ReadFile("../deskgate.example.yaml"); err == nil {
		f.Add(example)
	}
	f.Add([]byte("desk: &d {<<: *d, name: *d}\nmailboxes: [*d, {<<: [*d, *d]}]\n"))
	f.Add([]byte("a: &a [x, x]\nb: &b [*a, *a]\nmailboxes: [*b, *b]\n"))
	f.Add([]byte("mailboxes:\n  - port: ${PORT}\n    password: $${x}${"))
	f.Add([]byte("mailboxes:\n  - password: ${file:x}${file:/nonexistent}${file:}${file:${A}}\n    username: ${PASS}\n" +
		"retention: {closed_tickets_after: 24h}\n"))
	f.Add([]byte(minimal + people + "notifications:\n  recipient_limits: [{window: 1h, max: 3}, {window: 60m}]\n" +
		"  breaker: &b {window: 1s, max: 1}\n  events:\n    new_ticket: {enabled:, to: [team, requester, a@b.c]}\n" +
		"    status_closed: {<<: *b, enabled: true}\n"))
	f.Add([]byte(strings.Replace(minimal, minimalSMTP, "smtp: {host: ::1, tls: plain, auth: xoauth2, username: u, oauth2_token: ${TOK}, retry_base: 2h}\n", 1)))
	f.Add([]byte(routing + `priorities:
  impacts: &i [Low, High]
  urgencies: *i
  levels: [P1, P2]
  matrix: [{impact: low, urgency: LOW, priority: p2}, {impact: Low, urgency: High, priority: P2}, {impact: High, urgency: Low, priority: P2}]
calendars:
  - {name: se, time_zone: Europe/Stockholm, mon: "08:00-12:00, 13:00-17:00", holidays: [se, cn], closed: [2026-12-24], open: [2026-12-24]}
  - {name: cn, time_zone: Asia/Shanghai, sat: 09:00-18:00, open: [2026-02-28]}
sla:
  warn_at: 0.9
  escalation: {breach: {notify: [team, x@example.com], reassign: support, raise_priority: true}}
rules:
  - {name: r, on: ticket.updated, when: 'ticket.priority == "P1"', then: {priority: p1, ignore: x, category: billing}, stop: true}
`))
	f.Add([]byte(minimal + "calendars: [{name: a, sun: '00:00-24:00', tue: '24:00-24:00'}]\n" +
		"sla: {warn_at: 1e-1, policies: [{name: a, targets: [{priority: high, response: 2h}]}]}\n"))
	fenv := func(name string) (string, bool) { return name + ":#", len(name)%2 == 0 }
	f.Fuzz(func(t *testing.T, data []byte) {
		c, err := Parse(data, "deskgate.yaml", fenv)
		if err == nil {
			if c == nil || len(c.Mailboxes) == 0 || c.Mailboxes[0].Port == 0 || c.SMTP.Port == 0 || c.SMTP.Auth == "" {
				t.Fatalf("Parse(%q) = %+v, nil: want a complete Config", data, c)
			}
			for _, spec := range eventSpecs {
				if len(spec.event(&c.Notifications.Events).To) == 0 {
					t.Fatalf("Parse(%q): event %s has no recipients", data, spec.name)
				}
			}
			checkRouting(t, data, c)
			return
		}
		var cerr *Error
		if !errors.As(err, &cerr) || len(cerr.Problems) == 0 || c != nil {
			t.Fatalf("Parse(%q) = %v, %v: want nil and an *Error with problems", data, c, err)
		}
		_ = err.Error()
	})
}

// checkRouting checks what Load promises about the priorities, calendars and SLA of a valid c.
func checkRouting(t *testing.T, data []byte, c *Config) {
	p := &c.Priorities
	for _, imp := range p.Impacts {
		for _, urg := range p.Urgencies {
			if level := p.Cell(imp, urg); !slices.Contains(p.Levels, level) {
				t.Fatalf("Parse(%q): Cell(%q, %q) = %q, want one of %q", data, imp, urg, level, p.Levels)
			}
		}
	}
	if !slices.Contains(p.Impacts, p.DefaultImpact) || !slices.Contains(p.Urgencies, p.DefaultUrgency) {
		t.Fatalf("Parse(%q): default impact, urgency = %q, %q", data, p.DefaultImpact, p.DefaultUrgency)
	}
	if len(c.Calendars) == 0 || len(c.Calendars[0].Days()) == 0 {
		t.Fatalf("Parse(%q): calendars = %+v, want one with working hours", data, c.Calendars)
	}
	if c.Policy(c.SLA.Default) == nil || c.SLA.WarnAt <= 0 || c.SLA.WarnAt >= 1 {
		t.Fatalf("Parse(%q): sla = %+v, want a default policy and warn_at in (0, 1)", data, c.SLA)
	}
	for _, pol := range c.SLA.Policies {
		if c.Calendar(pol.Calendar) == nil {
			t.Fatalf("Parse(%q): policy %q has calendar %q", data, pol.Name, pol.Calendar)
		}
		for _, level := range p.Levels {
			if tg, ok := pol.Target(level); !ok || tg.Response < time.Minute || tg.Resolution < tg.Response {
				t.Fatalf("Parse(%q): policy %q target for %q = %+v, %v", data, pol.Name, level, tg, ok)
			}
		}
	}
	for _, r := range c.Rules {
		if !slices.Contains(ruleEvents, r.On) || len(r.Then.actions()) == 0 {
			t.Fatalf("Parse(%q): rule %+v", data, r)
		}
	}
}
