package config

import (
	"cmp"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"slices"
	"strings"
	"time"
)

// Defaults of the notifications section.
const (
	defaultBreakerWindow     = time.Minute
	defaultBreakerMax        = 600
	defaultBreakerPause      = 5 * time.Minute
	defaultBounceSuppression = 720 * time.Hour
	defaultTextBudget        = 64 * 1000
	defaultAttachmentBudget  = 10 * 1000 * 1000
)

var (
	defaultRecipientLimits = []Limit{{Window: 10 * time.Minute, Max: 5}, {Window: 24 * time.Hour, Max: 20}}
	// A busy conversation about one ticket is a mail every minute or two
	// for a while: 15 in 10 minutes, 60 a day, to one person, is more.
	defaultTicketLimits = []Limit{{Window: 10 * time.Minute, Max: 15}, {Window: 24 * time.Hour, Max: 60}}
	// Relayed replies are written by people, but a customer's auto-reply
	// can answer each: looser than automatic mail, across tickets.
	defaultRelayLimits = []Limit{{Window: 10 * time.Minute, Max: 15}, {Window: 24 * time.Hour, Max: 100}}
	// 20 mails in 10 minutes between two addresses is a reply every minute
	// from both sides for ten minutes: automatic replies, not people.
	defaultConversation = Breaker{Window: 10 * time.Minute, Max: 20, Pause: time.Hour}
)

// eventSpec describes one notification event.
type eventSpec struct {
	name     string               // the templates' name for the event, e.g. "ticket-received"
	key      string               // its key under notifications.events
	internal bool                 // mail to agents, which must never go to requester or cc
	off      bool                 // disabled unless enabled: true
	noRule   bool                 // sent only by deskgate itself, never by a rule's send
	to       []string             // default recipients
	event    func(*Events) *Event // its field in Events
}

// eventSpecs lists every field of Events once.
var eventSpecs = [...]eventSpec{
	{name: "ticket-received", key: "ticket_received", to: []string{ToRequester},
		event: func(e *Events) *Event { return &e.TicketReceived }},
	{name: "agent-reply", key: "agent_reply", to: []string{ToRequester, ToCc},
		event: func(e *Events) *Event { return &e.AgentReply }},
	{name: "status-pending", key: "status_pending", to: []string{ToRequester},
		event: func(e *Events) *Event { return &e.StatusPending }},
	{name: "status-resolved", key: "status_resolved", to: []string{ToRequester},
		event: func(e *Events) *Event { return &e.StatusResolved }},
	{name: "status-closed", key: "status_closed", off: true, to: []string{ToRequester},
		event: func(e *Events) *Event { return &e.StatusClosed }},
	{name: "reopened", key: "reopened", to: []string{ToRequester},
		event: func(e *Events) *Event { return &e.Reopened }},
	{name: "new-ticket", key: "new_ticket", internal: true, to: []string{ToTeam},
		event: func(e *Events) *Event { return &e.NewTicket }},
	{name: "requester-replied", key: "requester_replied", internal: true, to: []string{ToAssignee},
		event: func(e *Events) *Event { return &e.RequesterReplied }},
	{name: "sla-warning", key: "sla_warning", internal: true, to: []string{ToAssignee},
		event: func(e *Events) *Event { return &e.SLAWarning }},
	{name: "sla-breach", key: "sla_breach", internal: true, to: []string{ToAssignee, ToTeam},
		event: func(e *Events) *Event { return &e.SLABreach }},
	{name: "sender-held", key: "sender_held", internal: true, noRule: true, to: []string{ToAssignee},
		event: func(e *Events) *Event { return &e.SenderHeld }},
	{name: "conversation-paused", key: "conversation_paused", internal: true, noRule: true, to: []string{ToTeam},
		event: func(e *Events) *Event { return &e.ConversationPaused }},
}

// Event returns the configuration of an event by the name the templates give it:
// "ticket-received", "agent-reply", "status-pending", "status-resolved", "status-closed",
// "reopened", "new-ticket", "requester-replied", "sla-warning", "sla-breach", "sender-held" or
// "conversation-paused". It reports false
// for any other name.
func (n *Notifications) Event(name string) (Event, bool) {
	for _, spec := range eventSpecs {
		if spec.name == name {
			return *spec.event(&n.Events), true
		}
	}
	return Event{}, false
}

func (v validator) notifications(n *Notifications, deskAddress string) {
	const p = "notifications"
	if dir := n.TemplatesDir; v.notEmpty(p+".templates_dir", dir) && dir != "" {
		// The messages do not repeat the path, which may come from the environment.
		switch fi, err := os.Stat(dir); {
		case errors.Is(err, fs.ErrNotExist):
			v.errorf(p+".templates_dir", "does not exist (a relative path is taken from the working directory)")
		case err != nil:
			var pe *fs.PathError
			if errors.As(err, &pe) {
				err = pe.Err
			}
			v.errorf(p+".templates_dir", "cannot be read: %v", err)
		case !fi.IsDir():
			v.errorf(p+".templates_dir", "must be a directory, not a file")
		}
	}

	v.limits(p+".recipient_limits", n.RecipientLimits)
	v.limits(p+".ticket_limits", n.TicketLimits)
	v.limits(p+".relay_limits", n.RelayLimits)
	v.minDuration(p+".conversation.window", n.Conversation.Window, time.Minute)
	v.minInt(p+".conversation.max", n.Conversation.Max, 1)
	v.minDuration(p+".conversation.pause", n.Conversation.Pause, time.Second)

	v.minDuration(p+".breaker.window", n.Breaker.Window, time.Second)
	v.minInt(p+".breaker.max", n.Breaker.Max, 1)
	v.minDuration(p+".breaker.pause", n.Breaker.Pause, time.Second)
	if v.has(p+".bounce_suppression") && n.BounceSuppression < 0 {
		v.errorf(p+".bounce_suppression", "must not be negative (0 means the default, %s)", shortDuration(defaultBounceSuppression))
	}
	v.sizeRange(p+".text_budget", n.TextBudget, 1000, 10*1000*1000)
	v.sizeRange(p+".attachment_budget", n.AttachmentBudget, 1000, 1000*1000*1000)

	for _, spec := range eventSpecs {
		v.event(p+".events."+spec.key, spec, spec.event(&n.Events), deskAddress)
	}
}

// limits checks a list of rate limits at p: not empty when given, each
// window once.
func (v validator) limits(p string, ls []Limit) {
	if v.has(p) && len(ls) == 0 {
		v.errorf(p, "must not be empty: the limits stop mail loops with auto-responders (leave the key out for the defaults)")
	}
	windows := map[time.Duration]string{} // window → path of its first use
	for i, l := range ls {
		q := fmt.Sprintf("%s[%d]", p, i)
		if v.requiredKey(q+".window") && v.minDuration(q+".window", l.Window, time.Second) {
			if first, dup := windows[l.Window]; dup {
				v.errorf(q+".window", "duplicate window (first at line %d)", v.line(first))
			} else {
				windows[l.Window] = q + ".window"
			}
		}
		if v.requiredKey(q + ".max") {
			v.minInt(q+".max", l.Max, 1)
		}
	}
}

// event checks the event at path p. Mail for agents and mail for customers never share a
// message: agents' events may not go to requester or cc, customers' events not to assignee or
// team. A literal address is allowed in both, for a copy to a supervisor.
func (v validator) event(p string, spec eventSpec, e *Event, deskAddress string) {
	if v.d.null[p+".enabled"] {
		v.errorf(p+".enabled", "must be true or false")
	}
	if v.has(p+".to") && len(e.To) == 0 {
		v.errorf(p+".to", "must not be empty (to turn the event off, set enabled: false)")
	}
	seen := map[string]string{} // lower-cased recipient → path of its first use
	for i, to := range e.To {
		q := fmt.Sprintf("%s.to[%d]", p, i)
		switch to {
		case ToRequester, ToCc:
			if spec.internal {
				v.errorf(q, "requester and cc are customers, and %s is internal mail; use assignee, team or an address", spec.key)
				continue
			}
		case ToAssignee, ToTeam:
			if !spec.internal {
				v.errorf(q, "assignee and team are internal, and %s is mail to customers; use requester, cc or an address", spec.key)
				continue
			}
		default:
			if !v.recipientAddress(q, to, "requester, cc, assignee, team", deskAddress) {
				continue
			}
		}
		key := strings.ToLower(to)
		if first, dup := seen[key]; dup {
			v.errorf(q, "duplicate recipient (first at line %d)", v.line(first))
		} else {
			seen[key] = q
		}
	}
}

func (n *Notifications) setDefaults(has func(path string) bool) {
	if len(n.RecipientLimits) == 0 {
		n.RecipientLimits = slices.Clone(defaultRecipientLimits)
	}
	if len(n.TicketLimits) == 0 {
		n.TicketLimits = slices.Clone(defaultTicketLimits)
	}
	if len(n.RelayLimits) == 0 {
		n.RelayLimits = slices.Clone(defaultRelayLimits)
	}
	n.Conversation.Window = cmp.Or(n.Conversation.Window, defaultConversation.Window)
	n.Conversation.Max = cmp.Or(n.Conversation.Max, defaultConversation.Max)
	n.Conversation.Pause = cmp.Or(n.Conversation.Pause, defaultConversation.Pause)
	n.Breaker.Window = cmp.Or(n.Breaker.Window, defaultBreakerWindow)
	n.Breaker.Max = cmp.Or(n.Breaker.Max, defaultBreakerMax)
	n.Breaker.Pause = cmp.Or(n.Breaker.Pause, defaultBreakerPause)
	n.BounceSuppression = cmp.Or(n.BounceSuppression, defaultBounceSuppression)
	n.TextBudget = cmp.Or(n.TextBudget, defaultTextBudget)
	n.AttachmentBudget = cmp.Or(n.AttachmentBudget, defaultAttachmentBudget)
	for _, spec := range eventSpecs {
		e := spec.event(&n.Events)
		if !has("notifications.events." + spec.key + ".enabled") {
			e.Enabled = !spec.off
		}
		if len(e.To) == 0 {
			e.To = slices.Clone(spec.to)
		}
	}
}

// recipientAddress checks to, at q, as a recipient that is not one of the words allowed in
// the list (such as requester or team): it must be a bare address, not the desk's. words lists
// them for the message.
func (v validator) recipientAddress(q, to, words, deskAddress string) bool {
	if to != "" && !strings.Contains(to, "@") {
		v.errorf(q, "must be %s or an email address such as supervisor@example.com", words)
		return false
	}
	return v.bareAddress(q, to, "supervisor@example.com", deskAddress)
}
