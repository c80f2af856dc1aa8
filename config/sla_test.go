package config

import (
	"reflect"
	"strings"
	"testing"
	"time"
)

// defaultSLA is the sla section of a file that has none, as documented.
func defaultSLA() SLA {
	return SLA{
		Policies: []SLAPolicy{{Name: "standard", Calendar: "office", Targets: []SLATarget{
			{Priority: "High", Response: time.Hour, Resolution: 4 * time.Hour},
			{Priority: "Normal", Response: 2 * time.Hour, Resolution: 8 * time.Hour},
			{Priority: "Medium", Response: 4 * time.Hour, Resolution: 16 * time.Hour},
			{Priority: "Low", Response: 8 * time.Hour, Resolution: 40 * time.Hour},
		}}},
		Default: "standard",
		WarnAt:  0.8,
		Escalation: Escalation{
			Warning: EscalationLevel{Notify: []string{ToAssignee}},
			Breach:  EscalationLevel{Notify: []string{ToAssignee, ToTeam}},
		},
	}
}

func TestSLA(t *testing.T) {
	const yaml = minimal + `calendars:
  - name: office
  - name: shanghai
    time_zone: Asia/Shanghai
teams:
  - name: support
  - name: managers
    calendar: shanghai
    escalation: [Boss@Example.com]
sla:
  policies:
    - name: standard
      targets:
        - {priority: high, resolution: 2h}
        - {priority: Low, response: 1d}
    - name: VIP
      calendar: shanghai
      targets:
        - {priority: Normal, response: 30m, resolution: 4h, next_response: 2h}
  default: vip
  warn_at: .75
  remind_outside_hours: true
  escalation:
    warning: {notify: [], raise_priority: true}
    breach: {notify: [team, boss@example.com], reassign: managers}
`
	// 1d is not a Go duration: the first run reports it.
	checkProblems(t, yaml, []string{"24:37: sla.policies[0].targets[1].response: must be a duration such as 30s, 10m or 1h30m"})

	c, err := Parse([]byte(strings.Replace(yaml, "response: 1d", "response: 24h", 1)), "deskgate.yaml", testEnv)
	if err != nil {
		t.Fatalf("Parse error: %v", err)
	}
	want := SLA{
		Policies: []SLAPolicy{{Name: "standard", Calendar: "office", Targets: []SLATarget{
			{Priority: "High", Response: time.Hour, Resolution: 2 * time.Hour},
			{Priority: "Normal", Response: 2 * time.Hour, Resolution: 8 * time.Hour},
			{Priority: "Medium", Response: 4 * time.Hour, Resolution: 16 * time.Hour},
			{Priority: "Low", Response: 24 * time.Hour, Resolution: 40 * time.Hour},
		}}, {Name: "VIP", Calendar: "shanghai", Targets: []SLATarget{
			{Priority: "High", Response: time.Hour, Resolution: 4 * time.Hour},
			{Priority: "Normal", Response: 30 * time.Minute, Resolution: 4 * time.Hour, NextResponse: 2 * time.Hour},
			{Priority: "Medium", Response: 4 * time.Hour, Resolution: 16 * time.Hour},
			{Priority: "Low", Response: 8 * time.Hour, Resolution: 40 * time.Hour},
		}}},
		Default:            "VIP",
		WarnAt:             0.75,
		RemindOutsideHours: true,
		Escalation: Escalation{
			Warning: EscalationLevel{Notify: []string{}, RaisePriority: true},
			Breach:  EscalationLevel{Notify: []string{ToTeam, "boss@example.com"}, Reassign: "managers"},
		},
	}
	if !reflect.DeepEqual(c.SLA, want) {
		t.Errorf("SLA =\n%+v, want\n%+v", c.SLA, want)
	}
	if got := c.Policy("vip"); got != &c.SLA.Policies[1] {
		t.Errorf("Policy(vip) = %p, want &c.SLA.Policies[1]", got)
	}
	if got := c.Policy("gold"); got != nil {
		t.Errorf("Policy(gold) = %+v, want nil", got)
	}
	if got, ok := c.Policy("standard").Target("HIGH"); !ok || got.Resolution != 2*time.Hour {
		t.Errorf("Target(HIGH) = %+v, %v, want a 2h resolution", got, ok)
	}
	if got, ok := c.Policy("standard").Target("Urgent"); ok {
		t.Errorf("Target(Urgent) = %+v, true, want false", got)
	}
	if got := c.Teams[1]; got.Calendar != "shanghai" || got.Escalation[0] != "Boss@Example.com" {
		t.Errorf("Teams[1] = %+v", got)
	}
}

func TestSLAProblems(t *testing.T) {
	tests := []struct {
		name string
		yaml string
		want []string // Problem.String()
	}{
		{"empty policies", minimal + "sla:\n  policies: []\n", []string{
			"11:13: sla.policies: must not be empty (leave the key out for the default policy, standard)"}},
		{"custom levels need policies", minimal + "priorities:\n  levels: [P1, P2]\n  matrix: [{impact: Low, urgency: Low, priority: P1}]\n", []string{
			"11:11: sla.policies: is required when priorities.levels are not the defaults: only the default priority levels have default targets",
			"12:11: priorities.matrix: must have a cell for every impact × urgency; missing: Low × Normal, Low × High, Low × Urgent, Medium × Low, Medium × Normal, Medium × High, Medium × Urgent, High × Low, High × Normal, High × High, High × Urgent"}},
		{"custom levels need every target", minimal + `priorities:
  levels: [P1, P2, P3]
  matrix: [{impact: Low, urgency: Low, priority: P1}]
sla:
  policies:
    - name: a
      targets:
        - {priority: P1, response: 1h}
`, []string{
			"12:11: priorities.matrix: must have a cell for every impact × urgency; missing: Low × Normal, Low × High, Low × Urgent, Medium × Low, Medium × Normal, Medium × High, Medium × Urgent, High × Low, High × Normal, High × High, High × Urgent",
			"17:9: sla.policies[0].targets: has no target for priority P2, P3: only the default priority levels have default targets",
			"17:11: sla.policies[0].targets[0].resolution: is required: only the default priority levels have default targets"}},
		{"policies", minimal + `sla:
  policies:
    - targets: []
    - name: Gold
    - name: gold
      calendar: stockholm
      targets:
        - {priority: Highest, response: 30s, resolution: 0s}
        - {priority: high, response: 5h, resolution: 4h}
        - {priority: High, response: 5h}
        - {priority: low, resolution: 4h, next_response: -1m}
        - {priority: medium, response: 20h}
        - {response: 1h}
  default: silver
`, []string{
			"12:7: sla.policies[0].name: is required",
			"14:13: sla.policies[2].name: duplicate policy name (first at line 13)",
			"15:17: sla.policies[2].calendar: must name a calendar listed under calendars (without any, the only calendar is office)",
			"17:22: sla.policies[2].targets[0].priority: must be one of High, Normal, Medium, Low",
			"17:41: sla.policies[2].targets[0].response: must be at least 1m",
			"17:58: sla.policies[2].targets[0].resolution: must be at least 1m",
			"18:38: sla.policies[2].targets[1].response: must not be longer than the resolution target",
			"19:22: sla.policies[2].targets[2].priority: duplicate priority (first at line 18)",
			"19:38: sla.policies[2].targets[2].response: must not be longer than the resolution target (default 4h)",
			"20:39: sla.policies[2].targets[3].resolution: must not be shorter than the response target (default 8h)",
			"20:58: sla.policies[2].targets[3].next_response: must not be negative (0 means none)",
			"21:40: sla.policies[2].targets[4].response: must not be longer than the resolution target (default 16h)",
			"22:11: sla.policies[2].targets[5].priority: is required",
			"23:12: sla.default: must name a policy listed under sla.policies"}},
		{"warn_at", minimal + "sla:\n  warn_at: 1\n", []string{
			"11:12: sla.warn_at: must be more than 0 and less than 1, such as 0.8"}},
		{"warn_at zero", minimal + "sla:\n  warn_at: 0.0\n", []string{
			"11:12: sla.warn_at: must be more than 0 and less than 1, such as 0.8"}},
		{"warn_at not a number", minimal + "sla:\n  warn_at: 80%\n", []string{
			"11:12: sla.warn_at: must be a number such as 0.8"}},
		{"warn_at not finite", minimal + "sla:\n  warn_at: .nan\n", []string{
			"11:12: sla.warn_at: must be a number such as 0.8"}},
		{"warn_at a list", minimal + "sla:\n  warn_at: [0.8]\n", []string{
			"11:12: sla.warn_at: must be a number, not a list"}},
		{"escalation", minimal + `teams:
  - name: support
sla:
  escalation:
    warning:
      notify: [assignee, requester, Boss, boss@example.com, Boss@example.com, help+x@example.com, '']
      reassign: ''
    breach: {notify: [cc, team, team], reassign: managers}
`, []string{
			"15:26: sla.escalation.warning.notify[1]: requester and cc are customers, and escalation mail is internal; use assignee, team or an address",
			"15:37: sla.escalation.warning.notify[2]: must be assignee, team or an email address such as supervisor@example.com",
			"15:61: sla.escalation.warning.notify[4]: duplicate recipient (first at line 15)",
			"15:79: sla.escalation.warning.notify[5]: must not be the desk address or a plus-address of it",
			"15:99: sla.escalation.warning.notify[6]: must not be empty",
			"16:17: sla.escalation.warning.reassign: must not be empty",
			"17:23: sla.escalation.breach.notify[0]: requester and cc are customers, and escalation mail is internal; use assignee, team or an address",
			"17:33: sla.escalation.breach.notify[2]: duplicate recipient (first at line 17)",
			"17:50: sla.escalation.breach.reassign: must name a team listed under teams"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) { checkProblems(t, tt.yaml, tt.want) })
	}
}

func TestWarnAtDecoding(t *testing.T) {
	for in, want := range map[string]float64{"0.8": 0.8, ".5": 0.5, "5e-1": 0.5, "'0.25'": 0.25, "+0.9": 0.9} {
		c, err := Parse([]byte(minimal+"sla:\n  warn_at: "+in+"\n"), "deskgate.yaml", testEnv)
		if err != nil || c.SLA.WarnAt != want {
			t.Errorf("Parse(warn_at: %s) = %v, want %v", in, err, want)
			continue
		}
	}
	for _, in := range []string{"0x1p-1", "1_0", "Inf", "-.inf", "NaN", "1e999", "0.8.1", ".", "e1"} {
		_, err := Parse([]byte(minimal+"sla:\n  warn_at: "+in+"\n"), "deskgate.yaml", testEnv)
		if err == nil || err.Error() != "deskgate.yaml:11:12: sla.warn_at: must be a number such as 0.8" {
			t.Errorf("Parse(warn_at: %s) = %v, want a type error", in, err)
		}
	}
}
