package config

import (
	"fmt"
	"slices"
	"strings"
)

// unworkable lists what is valid but cannot work as written, one warning
// each: a mailbox whose queue no team serves while new-ticket mail goes to
// the team, agents without desk.secrets, a calendar that no SLA policy or
// team uses. has reports whether the file has a path and line gives its
// line. c has its defaults set.
func (c *Config) unworkable(has func(path string) bool, line func(path string) int) []string {
	var out []string
	at := func(path string) string {
		if n := line(path); n > 0 {
			return fmt.Sprintf("%s (line %d)", path, n)
		}
		return path
	}
	newTicket := c.Notifications.Events.NewTicket
	toTeam := newTicket.Enabled && (slices.Contains(newTicket.To, ToTeam) || slices.Contains(newTicket.To, ToAssignee))
	ruleSetsTeam := slices.ContainsFunc(c.Rules, func(r Rule) bool { return r.Then.Team != "" })
	for i, m := range c.Mailboxes {
		if !toTeam || slices.ContainsFunc(c.Teams, func(t Team) bool { return strings.EqualFold(t.Name, m.Queue) }) {
			continue
		}
		p := fmt.Sprintf("mailboxes[%d]", i)
		if has(p + ".queue") {
			p += ".queue"
		}
		w := fmt.Sprintf("%s: mailbox %s feeds queue %q, which no team serves, but new-ticket mail goes to the team "+
			"(notifications.events.new_ticket.to): nobody is told of its new tickets", at(p), m.Name, m.Queue)
		if ruleSetsTeam {
			w += " unless a rule sets their team"
		}
		out = append(out, w+fmt.Sprintf("; add a team named %q under teams, or set the queue to a team", m.Queue))
	}
	if len(c.Agents) > 0 && len(c.Desk.Secrets) == 0 {
		out = append(out, at("agents")+": agents are configured but desk.secrets is empty: deskgate's mail carries no "+
			"reply tokens, so no agent's reply is ever verified; their replies are taken as customers' mail and their "+
			"commands ignored; add a secret under desk.secrets")
	}
	if has("calendars") {
		for i, cal := range c.Calendars {
			used := slices.ContainsFunc(c.SLA.Policies, func(p SLAPolicy) bool { return p.Calendar == cal.Name }) ||
				slices.ContainsFunc(c.Teams, func(t Team) bool { return t.Calendar == cal.Name })
			if !used {
				out = append(out, fmt.Sprintf("%s: calendar %s is used by no SLA policy and no team; "+
					"name it in sla.policies[].calendar or teams[].calendar, or remove it", at(fmt.Sprintf("calendars[%d]", i)), cal.Name))
			}
		}
	}
	return out
}

// plaintextWarning is the warning for a file that writes out the secrets
// listed (but is not readable by everyone, which exposureWarning covers),
// or "".
func plaintextWarning(file string, literal []string) string {
	if len(literal) == 0 {
		return ""
	}
	return fmt.Sprintf("%s writes out secrets: %s; write them as ${VAR} references to the environment, "+
		"so that the file can be shared, backed up and kept in version control without them", file, strings.Join(literal, ", "))
}
