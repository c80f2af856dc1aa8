package config

import (
	"reflect"
	"testing"
)

// routing is a file with categories, teams, agents and a second policy, for rules to refer to.
const routing = minimal + `categories:
  - name: Billing
  - name: Security
teams:
  - name: support
  - name: security
agents:
  - name: Ann
    addresses: [Ann@Example.com]
sla:
  policies:
    - name: standard
    - name: VIP
`

func TestRules(t *testing.T) {
	const yaml = routing + `rules:
  - name: VIP customers
    when: from.domain == "bigcorp.example"
    then: {urgency: high, team: support, sla: vip, assignee: ANN@example.com, add_cc: [account-manager@example.com]}
    stop: true
  - name: Security
    on: ticket.updated
    when: ticket.category == "Security" && previous.category != "Security"
    then: {priority: HIGH, category: security, add_tags: [security], remove_tags: [triage], status: Open}
  - name: Newsletter
    on: message.received
    when: 'header("List-Id") contains "news.example"'
    then: {ignore: newsletter, add_tags: [], suppress_acknowledgement: false}
  - name: Swedish
    when: language == "sv"
    then: {language: SV, send: Ticket-Received, impact: medium, suppress_acknowledgement: true}
`
	c, err := Parse([]byte(yaml), "deskgate.yaml", testEnv)
	if err != nil {
		t.Fatalf("Parse error: %v", err)
	}
	want := []Rule{{
		Name: "VIP customers", On: "ticket.created", When: `from.domain == "bigcorp.example"`, Stop: true,
		Then: Then{Urgency: "High", Team: "support", SLA: "VIP", Assignee: "ann@example.com", AddCc: []string{"account-manager@example.com"}},
	}, {
		Name: "Security", On: "ticket.updated", When: `ticket.category == "Security" && previous.category != "Security"`,
		Then: Then{Priority: "High", Category: "Security", AddTags: []string{"security"}, RemoveTags: []string{"triage"}, Status: "open"},
	}, {
		Name: "Newsletter", On: "message.received", When: `header("List-Id") contains "news.example"`,
		Then: Then{Ignore: "newsletter", AddTags: []string{}},
	}, {
		Name: "Swedish", On: "ticket.created", When: `language == "sv"`,
		Then: Then{Language: "sv", Send: "ticket-received", Impact: "Medium", SuppressAcknowledgement: true},
	}}
	if !reflect.DeepEqual(c.Rules, want) {
		t.Errorf("Rules =\n%+v, want\n%+v", c.Rules, want)
	}
}

func TestRulesProblems(t *testing.T) {
	tests := []struct {
		name string
		yaml string
		want []string // Problem.String()
	}{
		{"rule keys", routing + `rules:
  - when: "true"
    then: {status: open}
  - name: a
    on: ticket.closed
    when: ' '
    then: {}
  - name: A
    on: ''
  - name: b
    when: "true"
    then:
      add_tags: []
      suppress_acknowledgement: false
    stop: maybe
`, []string{
			"24:5: rules[0].name: is required",
			"27:9: rules[1].on: must be one of ticket.created, message.received, ticket.updated",
			"28:11: rules[1].when: must not be empty (write true to match every event)",
			"29:11: rules[1].then: must have at least one action",
			"30:5: rules[2].when: is required (an expr condition; write true to match every event)",
			"30:5: rules[2].then: is required (at least one action)",
			"30:11: rules[2].name: duplicate rule name (first at line 26)",
			"31:9: rules[2].on: must not be empty",
			"35:7: rules[3].then: must have at least one action",
			"37:11: rules[3].stop: must be true or false"}},
		{"actions", routing + `rules:
  - name: a
    when: "true"
    then:
      category: Payroll
      impact: Huge
      urgency: now
      priority: P1
      team: managers
      assignee: bob@example.com
      status: solved
      language: de
      add_tags: [vip, '', VIP]
      remove_tags: [vip, old]
      add_cc: [Carol <carol@example.com>, carol, help@example.com, dave@example.com, DAVE@example.com]
      send: sla_breach
      sla: gold
      ignore: ''
`, []string{
			"27:17: rules[0].then.category: must name a category listed under categories",
			"28:15: rules[0].then.impact: must be one of Low, Medium, High",
			"29:16: rules[0].then.urgency: must be one of Low, Normal, High, Urgent",
			"30:17: rules[0].then.priority: must be one of High, Normal, Medium, Low",
			"31:13: rules[0].then.team: must name a team listed under teams",
			"32:17: rules[0].then.assignee: must be the address of an agent listed under agents",
			"33:15: rules[0].then.status: must be one of new, open, pending, resolved, closed",
			"34:17: rules[0].then.language: must be one of en, sv, da, zh",
			"35:23: rules[0].then.add_tags[1]: must not be empty",
			"35:27: rules[0].then.add_tags[2]: duplicate tag (first at line 35)",
			"36:21: rules[0].then.remove_tags[0]: is also added (line 35); a tag cannot be both added and removed",
			"37:16: rules[0].then.add_cc[0]: must be a bare address such as ann@example.com (without a display name)",
			"37:43: rules[0].then.add_cc[1]: must be an email address such as ann@example.com",
			"37:50: rules[0].then.add_cc[2]: must not be the desk address or a plus-address of it",
			"37:86: rules[0].then.add_cc[4]: duplicate address (first at line 37)",
			"38:13: rules[0].then.send: must be one of ticket-received, agent-reply, status-pending, status-resolved, status-closed, reopened, new-ticket, requester-replied, sla-warning, sla-breach",
			"39:12: rules[0].then.sla: must name a policy listed under sla.policies",
			"40:15: rules[0].then.ignore: must not be empty"}},
		{"ignore alone", routing + `rules:
  - name: spam
    when: class == "bounce"
    then: {ignore: bounce, team: support, add_tags: [bounce], suppress_acknowledgement: true}
    stop: true
  - name: late
    on: ticket.updated
    when: "true"
    then: {ignore: late}
`, []string{
			"26:34: rules[0].then.team: cannot be combined with ignore: an ignored message opens no ticket, so other actions cannot apply",
			"26:53: rules[0].then.add_tags: cannot be combined with ignore: an ignored message opens no ticket, so other actions cannot apply",
			"26:89: rules[0].then.suppress_acknowledgement: cannot be combined with ignore: an ignored message opens no ticket, so other actions cannot apply",
			"31:20: rules[1].then.ignore: applies to incoming mail only: use it on ticket.created or message.received"}},
		{"any category without categories", minimal + "rules:\n  - {name: a, when: 'true', then: {category: Anything, sla: standard}}\n", nil},
		{"references unchecked when their lists are broken", minimal + "categories: Billing\nteams: support\nagents: ann\nrules:\n  - {name: a, when: 'true', then: {category: x, team: y, assignee: z@example.com}}\n", []string{
			"10:13: categories: must be a list, not a single value",
			"11:8: teams: must be a list, not a single value",
			"12:9: agents: must be a list, not a single value"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.want == nil {
				if _, err := Parse([]byte(tt.yaml), "deskgate.yaml", testEnv); err != nil {
					t.Errorf("Parse(%q) error: %v", tt.yaml, err)
				}
				return
			}
			checkProblems(t, tt.yaml, tt.want)
		})
	}
}
