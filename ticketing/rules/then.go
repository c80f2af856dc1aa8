package rules

import (
	"fmt"
	"net/mail"
	"strings"
)

// then validates the actions and returns them in canonical spelling.
func (c *checker) then(t Then, o Options) Then {
	out := Then{SuppressAcknowledgement: t.SuppressAcknowledgement}
	out.Category = c.value("then.category", t.Category, o.Categories)
	out.Impact = c.value("then.impact", t.Impact, o.Impacts)
	out.Urgency = c.value("then.urgency", t.Urgency, o.Urgencies)
	out.Priority = c.value("then.priority", t.Priority, o.Priorities)
	out.Team = c.value("then.team", t.Team, o.Teams)
	out.Status = c.value("then.status", t.Status, o.Statuses)
	out.Language = c.value("then.language", t.Language, o.Languages)
	out.Send = c.value("then.send", t.Send, o.Templates)
	out.SLA = c.value("then.sla", t.SLA, o.SLAPolicies)
	if t.Assignee != "" {
		if len(o.Assignees) > 0 {
			out.Assignee = c.value("then.assignee", t.Assignee, o.Assignees)
		} else {
			out.Assignee = c.address("then.assignee", t.Assignee)
		}
	}
	out.AddTags = c.tags("then.add_tags", t.AddTags)
	out.RemoveTags = c.tags("then.remove_tags", t.RemoveTags)
	for i, tag := range out.RemoveTags {
		for _, add := range out.AddTags {
			if strings.EqualFold(tag, add) {
				c.fail(fmt.Sprintf("then.remove_tags[%d]", i), fmt.Sprintf("%q is also in add_tags", tag))
				break
			}
		}
	}
	for i, a := range t.AddCc {
		field := fmt.Sprintf("then.add_cc[%d]", i)
		a = c.address(field, a)
		for _, prev := range out.AddCc {
			if a != "" && a == prev {
				c.fail(field, fmt.Sprintf("duplicate %q", a))
				break
			}
		}
		out.AddCc = append(out.AddCc, a)
	}
	if t.Ignore != "" {
		out.Ignore = t.Ignore
		if strings.TrimSpace(t.Ignore) == "" {
			c.fail("then.ignore", "blank reason")
		}
		if others := out.nonTagActions(); len(others) > 0 {
			c.fail("then.ignore", "cannot be combined with "+strings.Join(others, ", ")+" (only with add_tags and remove_tags)")
		}
	}
	if out.empty() {
		c.fail("then", "no action")
	}
	return out
}

// value checks one action value against its allowed list and returns the
// list's spelling.
func (c *checker) value(field, v string, allowed []string) string {
	if v == "" {
		return ""
	}
	if strings.TrimSpace(v) != v {
		c.fail(field, fmt.Sprintf("leading or trailing space in %q", v))
		return v
	}
	if len(allowed) == 0 {
		return v
	}
	for _, a := range allowed {
		if strings.EqualFold(a, v) {
			return a
		}
	}
	c.fail(field, fmt.Sprintf("unknown value %q; allowed: %s", v, strings.Join(allowed, ", ")))
	return v
}

// address checks that v is a bare mail address and returns it in lower case.
func (c *checker) address(field, v string) string {
	a, err := mail.ParseAddress(v)
	if err != nil || a.Name != "" || a.Address != v {
		c.fail(field, fmt.Sprintf("%q is not a bare mail address", v))
		return v
	}
	return strings.ToLower(v)
}

func (c *checker) tags(field string, tags []string) []string {
	var out []string
	for i, tag := range tags {
		f := fmt.Sprintf("%s[%d]", field, i)
		switch {
		case strings.TrimSpace(tag) == "":
			c.fail(f, "blank tag")
		case strings.TrimSpace(tag) != tag:
			c.fail(f, fmt.Sprintf("leading or trailing space in %q", tag))
		default:
			for _, prev := range out {
				if strings.EqualFold(prev, tag) {
					c.fail(f, fmt.Sprintf("duplicate %q", tag))
					break
				}
			}
		}
		out = append(out, tag)
	}
	return out
}

// nonTagActions names the actions other than tags that t sets.
func (t Then) nonTagActions() []string {
	var out []string
	for _, a := range []struct {
		name string
		set  bool
	}{
		{"category", t.Category != ""}, {"impact", t.Impact != ""}, {"urgency", t.Urgency != ""},
		{"priority", t.Priority != ""}, {"team", t.Team != ""}, {"assignee", t.Assignee != ""},
		{"status", t.Status != ""}, {"language", t.Language != ""}, {"add_cc", len(t.AddCc) > 0},
		{"suppress_acknowledgement", t.SuppressAcknowledgement}, {"send", t.Send != ""}, {"sla", t.SLA != ""},
	} {
		if a.set {
			out = append(out, a.name)
		}
	}
	return out
}

func (t Then) empty() bool {
	return len(t.nonTagActions()) == 0 && len(t.AddTags) == 0 && len(t.RemoveTags) == 0 && t.Ignore == ""
}

// render lists t's actions as key=value, in the order Evaluate applies them.
func (t Then) render() []string {
	var out []string
	add := func(k, v string) {
		if v != "" {
			out = append(out, k+"="+v)
		}
	}
	add("category", t.Category)
	add("impact", t.Impact)
	add("urgency", t.Urgency)
	add("priority", t.Priority)
	add("team", t.Team)
	add("assignee", t.Assignee)
	add("status", t.Status)
	add("language", t.Language)
	add("add_tags", strings.Join(t.AddTags, ","))
	add("remove_tags", strings.Join(t.RemoveTags, ","))
	add("add_cc", strings.Join(t.AddCc, ","))
	if t.SuppressAcknowledgement {
		add("suppress_acknowledgement", "true")
	}
	add("send", t.Send)
	add("sla", t.SLA)
	add("ignore", t.Ignore)
	return out
}
