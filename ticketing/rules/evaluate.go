package rules

import (
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/expr-lang/expr/file"
)

// Result is what Evaluate decided: the resulting ticket fields, each change
// with the rule that made it, and the side effects for the caller to carry
// out. Evaluate does not check status transitions or derive priority from
// impact and urgency; the caller does both when it applies the Result.
type Result struct {
	// Trace tells how each rule considered (those whose On is the event)
	// was decided, in order, up to and including the rule that ended
	// evaluation.
	Trace Trace `json:"trace"`
	// Ticket is Facts.Ticket with every matching rule's actions applied.
	Ticket Ticket `json:"ticket"`
	// Changes lists each field change in the order made. Setting a field to
	// the value it already has is not a change.
	Changes []Change `json:"changes,omitempty"`
	// AddCc are the addresses to add as Cc participants, lower-case, each once.
	AddCc []string `json:"add_cc,omitempty"`
	// SuppressAcknowledgement is true when a matching rule suppressed the
	// acknowledgement; SuppressRule names the first such rule.
	SuppressAcknowledgement bool   `json:"suppress_acknowledgement,omitempty"`
	SuppressRule            string `json:"suppress_rule,omitempty"`
	// Ignore is the reason given by the rule IgnoreRule that marked the
	// message as spam or to be ignored; "" if none did. Actions of earlier
	// rules stay in the Result; the caller decides what ignoring discards.
	Ignore     string `json:"ignore,omitempty"`
	IgnoreRule string `json:"ignore_rule,omitempty"`
	// Send lists the templates to send, each once, in the order asked for.
	Send []Send `json:"send,omitempty"`
	// SLA is the SLA policy selected by the last matching rule that named
	// one, SLARule; "" if none did.
	SLA     string `json:"sla,omitempty"`
	SLARule string `json:"sla_rule,omitempty"`
}

// Change is one change of a ticket field by a rule. For tags, From is the
// removed tag or To the added one, the other being "".
type Change struct {
	Field string `json:"field"` // "category", "impact", … "language" or "tags"
	From  string `json:"from"`
	To    string `json:"to"`
	Rule  string `json:"rule"`
}

// Send is a template to send and the rule that asked for it.
type Send struct {
	Template string `json:"template"`
	Rule     string `json:"rule"`
}

// Evaluate runs the rules whose On is f.Event, in order, against f. A
// matching rule's actions apply to a working copy of f.Ticket at once, so the
// conditions of later rules see the changes of earlier ones (ticket.category
// after a rule set the category is the new category). A rule with Stop, or
// with Ignore, ends evaluation when it matches. A condition that fails at run
// time (indexing an empty list, say) does not match; its error is in the
// Trace. Evaluate is a pure function of s and f: it does not modify f and
// reads no clock.
func (s *Set) Evaluate(f Facts) Result {
	var ev *event
	switch f.Event {
	case OnCreated:
		ev = &s.created
	case OnMessage:
		ev = &s.message
	case OnUpdated:
		ev = &s.updated
	default:
		ev = &event{}
	}
	rules := ev.rules
	res := Result{Ticket: f.Ticket}
	if len(rules) == 0 {
		res.Ticket.Tags = slices.Clone(f.Ticket.Tags)
		return res
	}
	st := s.states.Get().(*state)
	defer func() {
		st.reset()
		s.states.Put(st)
	}()
	st.Facts = f
	res.Trace.rules = rules
	ownTags := false
	res.Trace.n = len(rules)
	for i, h := range ev.hot {
		var matched bool
		switch {
		case h.program == nil:
			matched = true // the condition "true"
		case h.guard != nil && !h.guard(st):
			// not matched, exactly as the program would decide
		default:
			out, err := st.vm.Run(h.program, st.boxed)
			if err != nil {
				res.Trace.mark(mark{at: i, err: runtimeError(err)})
				continue
			}
			matched, _ = out.(bool)
		}
		if !matched {
			continue
		}
		r := rules[i]
		if !ownTags && (len(r.Then.AddTags) > 0 || len(r.Then.RemoveTags) > 0) {
			res.Ticket.Tags = append(make([]string, 0, len(res.Ticket.Tags)+8), res.Ticket.Tags...)
			ownTags = true
		}
		if res.apply(r) {
			st.Ticket = res.Ticket
		}
		stop := r.Stop || r.Then.Ignore != ""
		res.Trace.mark(mark{at: i, matched: true, stop: stop})
		if stop {
			res.Trace.n = i + 1
			break
		}
	}
	if !ownTags {
		res.Ticket.Tags = slices.Clone(res.Ticket.Tags)
	}
	return res
}

// apply carries out r's actions on res and reports whether the ticket changed.
func (res *Result) apply(r *rule) (changed bool) {
	t, name := &r.Then, r.Name
	change := func(c Change) {
		if res.Changes == nil {
			res.Changes = make([]Change, 0, 8) // rules rarely make more
		}
		res.Changes = append(res.Changes, c)
		changed = true
	}
	set := func(field string, dst *string, v string) {
		if v != "" && *dst != v {
			change(Change{Field: field, From: *dst, To: v, Rule: name})
			*dst = v
		}
	}
	tk := &res.Ticket
	set("category", &tk.Category, t.Category)
	set("impact", &tk.Impact, t.Impact)
	set("urgency", &tk.Urgency, t.Urgency)
	set("priority", &tk.Priority, t.Priority)
	set("team", &tk.Team, t.Team)
	set("assignee", &tk.Assignee, t.Assignee)
	set("status", &tk.Status, t.Status)
	set("language", &tk.Language, t.Language)
	for _, tag := range t.AddTags {
		if !slices.ContainsFunc(tk.Tags, func(s string) bool { return strings.EqualFold(s, tag) }) {
			tk.Tags = append(tk.Tags, tag)
			change(Change{Field: "tags", To: tag, Rule: name})
		}
	}
	for _, tag := range t.RemoveTags {
		if i := slices.IndexFunc(tk.Tags, func(s string) bool { return strings.EqualFold(s, tag) }); i >= 0 {
			change(Change{Field: "tags", From: tk.Tags[i], Rule: name})
			tk.Tags = slices.Delete(tk.Tags, i, i+1)
		}
	}
	for _, a := range t.AddCc {
		if !slices.Contains(res.AddCc, a) {
			res.AddCc = append(res.AddCc, a)
		}
	}
	if t.SuppressAcknowledgement && !res.SuppressAcknowledgement {
		res.SuppressAcknowledgement, res.SuppressRule = true, name
	}
	if t.Send != "" && !slices.ContainsFunc(res.Send, func(s Send) bool { return s.Template == t.Send }) {
		res.Send = append(res.Send, Send{Template: t.Send, Rule: name})
	}
	if t.SLA != "" {
		res.SLA, res.SLARule = t.SLA, name
	}
	if t.Ignore != "" {
		res.Ignore, res.IgnoreRule = t.Ignore, name
	}
	return changed
}

// runtimeError renders a condition's run-time error on one line.
func runtimeError(err error) string {
	var fe *file.Error
	if errors.As(err, &fe) {
		return fmt.Sprintf("line %d, column %d: %s", fe.Line, fe.Column+1, exprMessage(fe.Message))
	}
	msg, _, _ := strings.Cut(err.Error(), "\n")
	return msg
}
