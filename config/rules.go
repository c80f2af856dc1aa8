package config

import (
	"fmt"
	"reflect"
	"slices"
	"strings"
)

// The events a rule runs on (Rule.On); the first is the default.
var ruleEvents = []string{"ticket.created", "message.received", "ticket.updated"}

// ticketStatuses are the statuses Then.Status may set, those of package ticketing.
var ticketStatuses = []string{"new", "open", "pending", "resolved", "closed"}

// templateLanguages are the languages Then.Language may set: those the templates are written in.
var templateLanguages = []string{"en", "sv", "da", "zh"}

// ignoreAlone ends the problems of actions combined with ignore.
const ignoreAlone = "an ignored message opens no ticket, so other actions cannot apply"

// rules checks c.Rules. The conditions (when) are only checked for being present: cmd compiles
// them with the rules engine, which reports their syntax.
func (v validator) rules(c *Config, r refs) {
	seen := map[string]string{} // lower-cased name → path of its first use
	for i, rule := range c.Rules {
		p := fmt.Sprintf("rules[%d]", i)
		if v.required(p+".name", rule.Name) {
			v.unique(seen, strings.ToLower(rule.Name), p+".name", "rule name")
		}
		on := rule.On
		if v.notEmpty(p+".on", on) && on != "" && !slices.Contains(ruleEvents, on) {
			v.errorf(p+".on", "must be one of %s", strings.Join(ruleEvents, ", "))
		}
		switch {
		case !v.has(p + ".when"):
			v.errorf(p+".when", "is required (an expr condition; write true to match every event)")
		case strings.TrimSpace(rule.When) == "":
			v.errorf(p+".when", "must not be empty (write true to match every event)")
		}
		v.then(p+".then", &rule.Then, on, c, r)
	}
}

// then checks the actions of a rule that runs on the event on.
func (v validator) then(p string, t *Then, on string, c *Config, r refs) {
	if !v.has(p) {
		v.errorf(p, "is required (at least one action)")
		return
	}
	if v.broken(p) {
		return
	}
	actions := t.actions()
	if len(actions) == 0 {
		v.errorf(p, "must have at least one action")
		return
	}

	if t.Category != "" && r.categories != nil {
		v.known(p+".category", t.Category, r.categories, "must name a category listed under categories")
	} else {
		v.notEmpty(p+".category", t.Category)
	}
	v.level(p+".impact", t.Impact, r.impacts)
	v.level(p+".urgency", t.Urgency, r.urgencies)
	v.level(p+".priority", t.Priority, r.priorities)
	v.team(p+".team", t.Team, r)
	if v.notEmpty(p+".assignee", t.Assignee) && t.Assignee != "" && !v.broken("agents") {
		if _, ok := c.Agent(t.Assignee); !ok {
			v.errorf(p+".assignee", "must be the address of an agent listed under agents")
		}
	}
	v.oneOf(p+".status", t.Status, ticketStatuses)
	v.oneOf(p+".language", t.Language, templateLanguages)
	added := v.tags(p+".add_tags", t.AddTags, nil)
	v.tags(p+".remove_tags", t.RemoveTags, added)
	seen := map[string]string{} // lower-cased address → path of its first use
	for i, addr := range t.AddCc {
		q := fmt.Sprintf("%s.add_cc[%d]", p, i)
		if v.bareAddress(q, addr, "ann@example.com", c.Desk.Address) {
			v.unique(seen, strings.ToLower(addr), q, "address")
		}
	}
	v.oneOf(p+".send", t.Send, eventNames())
	v.policy(p+".sla", t.SLA, r)
	v.notEmpty(p+".ignore", t.Ignore)

	if t.Ignore != "" {
		if on == "ticket.updated" {
			v.errorf(p+".ignore", "applies to incoming mail only: use it on ticket.created or message.received")
		}
		for _, key := range actions {
			if key != "ignore" {
				v.errorf(p+"."+key, "cannot be combined with ignore: %s", ignoreAlone)
			}
		}
	}
}

// actions returns the keys of the actions t sets, in the order of its fields.
func (t *Then) actions() []string {
	var keys []string
	rv := reflect.ValueOf(t).Elem()
	for i := range rv.NumField() {
		f := rv.Field(i)
		if f.Kind() == reflect.Slice && f.Len() == 0 || f.IsZero() {
			continue
		}
		keys = append(keys, rv.Type().Field(i).Tag.Get("yaml"))
	}
	return keys
}

// oneOf checks that s, when present, is one of list, compared case-insensitively.
func (v validator) oneOf(path, s string, list []string) {
	v.known(path, s, newNames(list...), "must be one of "+strings.Join(list, ", "))
}

// tags checks a list of tags at p, none of them in other (tag → path of its first use), and
// returns the valid tags by where they are first written.
func (v validator) tags(p string, list []string, other map[string]string) map[string]string {
	seen := map[string]string{} // lower-cased tag → path of its first use
	for i, tag := range list {
		q := fmt.Sprintf("%s[%d]", p, i)
		if !v.notEmpty(q, tag) || !v.unique(seen, strings.ToLower(tag), q, "tag") {
			continue
		}
		if first, both := other[strings.ToLower(tag)]; both {
			v.errorf(q, "is also added (line %d); a tag cannot be both added and removed", v.line(first))
		}
	}
	return seen
}

// eventNames returns the names of the notification events, as Then.Send takes them.
func eventNames() []string {
	var names []string
	for _, spec := range eventSpecs {
		if !spec.noRule {
			names = append(names, spec.name)
		}
	}
	return names
}

// setDefaults fills in the default event and spells the actions' values as the lists they
// are checked against, and the assignee in lower case like the agents' addresses.
func (rule *Rule) setDefaults(r refs) {
	if rule.On == "" {
		rule.On = ruleEvents[0]
	}
	t := &rule.Then
	t.Impact, t.Urgency, t.Priority = r.impacts.canon(t.Impact), r.urgencies.canon(t.Urgency), r.priorities.canon(t.Priority)
	t.Category = r.categories.canon(t.Category)
	t.SLA = r.policies.canon(t.SLA)
	t.Status = newNames(ticketStatuses...).canon(t.Status)
	t.Language = newNames(templateLanguages...).canon(t.Language)
	t.Send = newNames(eventNames()...).canon(t.Send)
	t.Assignee = strings.ToLower(t.Assignee)
}
