package config

import (
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"testing"
)

func TestEventNames(t *testing.T) {
	// The templates package's event names; config must not import it.
	want := []string{"ticket-received", "agent-reply", "status-pending", "status-resolved", "status-closed",
		"reopened", "new-ticket", "requester-replied", "sla-warning", "sla-breach", "sender-held", "conversation-paused"}
	var got []string
	for _, spec := range eventSpecs {
		got = append(got, spec.name)
	}
	if !slices.Equal(got, want) {
		t.Errorf("event names = %q, want %q", got, want)
	}

	// Every field of Events has exactly one spec, whose key is the field's.
	var e Events
	ev := reflect.ValueOf(&e).Elem()
	if got, want := len(eventSpecs), ev.NumField(); got != want {
		t.Errorf("len(eventSpecs) = %d, want %d (one per field of Events)", got, want)
	}
	for _, spec := range eventSpecs {
		found := false
		for i := range ev.NumField() {
			if ev.Field(i).Addr().Interface() == spec.event(&e) {
				found = true
				if tag := ev.Type().Field(i).Tag.Get("yaml"); tag != spec.key {
					t.Errorf("event %s has key %q, want %q (the tag of Events.%s)", spec.name, spec.key, tag, ev.Type().Field(i).Name)
				}
			}
		}
		if !found {
			t.Errorf("event %s has no field in Events", spec.name)
		}
	}
}

func TestNotificationsEvent(t *testing.T) {
	c, err := Parse([]byte(minimal+"notifications:\n  events:\n    agent_reply: {to: [requester]}\n    status_closed: {enabled: true}\n"), "deskgate.yaml", testEnv)
	if err != nil {
		t.Fatalf("Parse error: %v", err)
	}
	n := &c.Notifications
	for name, want := range map[string]Event{
		"agent-reply":   {Enabled: true, To: []string{ToRequester}},
		"status-closed": {Enabled: true, To: []string{ToRequester}},
		"sla-breach":    {Enabled: true, To: []string{ToAssignee, ToTeam}},
	} {
		if got, ok := n.Event(name); !ok || !reflect.DeepEqual(got, want) {
			t.Errorf("Event(%q) = %+v, %v, want %+v, true", name, got, ok, want)
		}
	}
	for _, name := range []string{"agent_reply", "Agent-Reply", ""} {
		if got, ok := n.Event(name); ok {
			t.Errorf("Event(%q) = %+v, true, want false", name, got)
		}
	}
}

func TestEventEnabled(t *testing.T) {
	tests := []struct {
		events string
		name   string
		want   bool
	}{
		{"", "status-closed", false},
		{"", "ticket-received", true},
		{"    status_closed: {enabled: true}\n", "status-closed", true},
		{"    ticket_received: {enabled: false}\n", "ticket-received", false},
		{"    ticket_received: {to: [requester]}\n", "ticket-received", true},
		{"    ticket_received:\n", "ticket-received", true},
		// Presence counts when the key is merged in, too.
		{"    status_pending: &off {enabled: false}\n    status_resolved: {<<: *off, to: [requester]}\n", "status-resolved", false},
	}
	for _, tt := range tests {
		yaml := minimal + "notifications:\n  events:\n" + tt.events
		if tt.events == "" {
			yaml = minimal
		}
		c, err := Parse([]byte(yaml), "deskgate.yaml", testEnv)
		if err != nil {
			t.Errorf("Parse(events %q) error: %v", tt.events, err)
			continue
		}
		if e, _ := c.Notifications.Event(tt.name); e.Enabled != tt.want {
			t.Errorf("Parse(events %q): %s enabled = %v, want %v", tt.events, tt.name, e.Enabled, tt.want)
		}
	}
}

func TestTemplatesDir(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "file")
	if err := os.WriteFile(file, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	missing := filepath.Join(dir, "missing")
	checkProblems(t, minimal+"notifications:\n  templates_dir: "+missing+"\n", []string{
		"11:18: notifications.templates_dir: does not exist (a relative path is taken from the working directory)"})
	checkProblems(t, minimal+"notifications:\n  templates_dir: "+file+"\n", []string{
		"11:18: notifications.templates_dir: must be a directory, not a file"})
	checkProblems(t, minimal+"notifications:\n  templates_dir: ''\n", []string{
		`11:18: notifications.templates_dir: must not be empty`})
}

func TestNotificationsProblems(t *testing.T) {
	tests := []struct {
		name string
		yaml string
		want []string // Problem.String()
	}{
		{"no recipient limits", minimal + "notifications:\n  recipient_limits: []\n", []string{
			"11:21: notifications.recipient_limits: must not be empty: the limits stop mail loops with auto-responders (leave the key out for the defaults)"}},
		{"recipient limits", minimal + "notifications:\n  recipient_limits:\n    - {max: 5}\n    - {window: 0s, max: 0}\n    - {window: 10m}\n    - {window: 600s, max: 1}\n", []string{
			"12:7: notifications.recipient_limits[0].window: is required",
			"13:16: notifications.recipient_limits[1].window: must be at least 1s",
			"13:25: notifications.recipient_limits[1].max: must be at least 1",
			"14:7: notifications.recipient_limits[2].max: is required",
			"15:16: notifications.recipient_limits[3].window: duplicate window (first at line 14)"}},
		{"breaker", minimal + "notifications:\n  breaker: {window: 0s, max: 0, pause: 500ms}\n", []string{
			"11:21: notifications.breaker.window: must be at least 1s",
			"11:30: notifications.breaker.max: must be at least 1",
			"11:40: notifications.breaker.pause: must be at least 1s"}},
		{"loop limits", minimal + "notifications:\n  ticket_limits: []\n  relay_limits: [{window: 1m, max: 0}]\n  conversation: {window: 30s, max: 0, pause: 0s}\n", []string{
			"11:18: notifications.ticket_limits: must not be empty: the limits stop mail loops with auto-responders (leave the key out for the defaults)",
			"12:36: notifications.relay_limits[0].max: must be at least 1",
			"13:26: notifications.conversation.window: must be at least 1m",
			"13:36: notifications.conversation.max: must be at least 1",
			"13:46: notifications.conversation.pause: must be at least 1s"}},
		{"budgets", minimal + "notifications:\n  text_budget: 999\n  attachment_budget: 2GB\n", []string{
			"11:16: notifications.text_budget: must be between 1KB and 10MB",
			"12:22: notifications.attachment_budget: must be between 1KB and 1GB"}},
		{"negative bounce suppression", minimal + "notifications:\n  bounce_suppression: -1h\n", []string{
			"11:23: notifications.bounce_suppression: must not be negative (0 means the default, 720h)"}},
		{"unknown event", minimal + "notifications:\n  events:\n    ticket_recieved: {enabled: false}\n", []string{
			"12:5: notifications.events.ticket_recieved: unknown key (did you mean ticket_received?)"}},
		{"enabled not a boolean", minimal + "notifications:\n  events:\n    reopened: {enabled: yes}\n    new_ticket:\n      enabled:\n", []string{
			"12:25: notifications.events.reopened.enabled: must be true or false",
			"14:15: notifications.events.new_ticket.enabled: must be true or false"}},
		{"empty to", minimal + "notifications:\n  events:\n    reopened: {to: []}\n    new_ticket:\n      to:\n", []string{
			"12:20: notifications.events.reopened.to: must not be empty (to turn the event off, set enabled: false)",
			"14:10: notifications.events.new_ticket.to: must not be empty (to turn the event off, set enabled: false)"}},
		{"customers in internal mail", minimal + "notifications:\n  events:\n    new_ticket: {to: [team, requester]}\n    sla_breach: {to: [cc]}\n", []string{
			"12:29: notifications.events.new_ticket.to[1]: requester and cc are customers, and new_ticket is internal mail; use assignee, team or an address",
			"13:23: notifications.events.sla_breach.to[0]: requester and cc are customers, and sla_breach is internal mail; use assignee, team or an address"}},
		{"agents in mail to customers", minimal + "notifications:\n  events:\n    agent_reply: {to: [requester, assignee]}\n    status_closed: {to: [team]}\n", []string{
			"12:35: notifications.events.agent_reply.to[1]: assignee and team are internal, and agent_reply is mail to customers; use requester, cc or an address",
			"13:26: notifications.events.status_closed.to[0]: assignee and team are internal, and status_closed is mail to customers; use requester, cc or an address"}},
		{"bad recipients", minimal + "notifications:\n  events:\n    ticket_received:\n      to:\n        - Requester\n        - Boss <boss@example.com>\n        - boss@\n        - ''\n        - help@example.com\n        - Help+1@Example.COM\n        - boss@example.com\n        - BOSS@example.com\n        - requester\n        - requester\n", []string{
			"14:11: notifications.events.ticket_received.to[0]: must be requester, cc, assignee, team or an email address such as supervisor@example.com",
			"15:11: notifications.events.ticket_received.to[1]: must be a bare address such as supervisor@example.com (without a display name)",
			"16:11: notifications.events.ticket_received.to[2]: must be an email address such as supervisor@example.com",
			"17:11: notifications.events.ticket_received.to[3]: must not be empty",
			"18:11: notifications.events.ticket_received.to[4]: must not be the desk address or a plus-address of it",
			"19:11: notifications.events.ticket_received.to[5]: must not be the desk address or a plus-address of it",
			"21:11: notifications.events.ticket_received.to[7]: duplicate recipient (first at line 20)",
			"23:11: notifications.events.ticket_received.to[9]: duplicate recipient (first at line 22)"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) { checkProblems(t, tt.yaml, tt.want) })
	}
}
