package config

import (
	"slices"
	"testing"
)

const people = `teams:
  - name: first-line
    address: first-line@example.com
  - name: hr
agents:
  - name: Ann Example
    addresses: [Ann@Example.com, ann.example@example.net]
    teams: [first-line, hr]
    role: lead
    language: SV
  - name: Bob
    addresses: [bob@example.com]
    teams: [hr]
  - name: Cleo
    addresses: [cleo@example.com]
`

func TestAgentLookup(t *testing.T) {
	c, err := Parse([]byte(minimal+people), "deskgate.yaml", testEnv)
	if err != nil {
		t.Fatalf("Parse error: %v", err)
	}
	for addr, want := range map[string]string{
		"ann@example.com":         "Ann Example",
		"ANN.EXAMPLE@example.NET": "Ann Example",
		"bob@example.com":         "Bob",
		"bob@example.net":         "",
		"help@example.com":        "",
	} {
		a, ok := c.Agent(addr)
		switch {
		case want == "" && ok:
			t.Errorf("Agent(%q) = %+v, true, want false", addr, a)
		case want != "" && (!ok || a.Name != want):
			t.Errorf("Agent(%q) = %+v, %v, want %s", addr, a, ok, want)
		}
	}
	if a, _ := c.Agent("cleo@example.com"); a.Role != RoleAgent || a != &c.Agents[2] {
		t.Errorf("Agent(cleo@example.com) = %p %+v, want &c.Agents[2] with the default role", a, a)
	}
	if got := c.Agents[0].Language + " " + c.Agents[1].Language; got != "sv " {
		t.Errorf("agents' languages = %q, want sv as written (in any case) and none", got)
	}
	if got := c.Agents[0].Addresses[0]; got != "ann@example.com" {
		t.Errorf("Agents[0].Addresses[0] = %q, want it lower-cased", got)
	}
}

func TestTeamMembers(t *testing.T) {
	c, err := Parse([]byte(minimal+people), "deskgate.yaml", testEnv)
	if err != nil {
		t.Fatalf("Parse error: %v", err)
	}
	for team, want := range map[string][]string{
		"hr":         {"Ann Example", "Bob"},
		"first-line": {"Ann Example"},
		"support":    nil,
	} {
		var got []string
		for _, a := range c.TeamMembers(team) {
			got = append(got, a.Name)
		}
		if !slices.Equal(got, want) {
			t.Errorf("TeamMembers(%q) = %q, want %q", team, got, want)
		}
	}
}

func TestAgentsProblems(t *testing.T) {
	tests := []struct {
		name string
		yaml string
		want []string // Problem.String()
	}{
		{"agent missing keys", minimal + "agents:\n  - role: agent\n", []string{
			"11:5: agents[0].name: is required",
			"11:5: agents[0].addresses: at least one address is required"}},
		{"agent empty addresses", minimal + "agents:\n  - name: Ann\n    addresses: []\n", []string{
			"12:16: agents[0].addresses: at least one address is required"}},
		{"agent addresses", minimal + `agents:
  - name: Ann
    addresses:
      - Ann <ann@example.com>
      - ann
      - ''
      - help@example.com
      - HELP+ann@example.com
      - ann@example.com
  - name: Ann again
    addresses: [ANN@example.com]
`, []string{
			"13:9: agents[0].addresses[0]: must be a bare address such as ann@example.com (the display name is agents[0].name)",
			"14:9: agents[0].addresses[1]: must be an email address such as ann@example.com",
			"15:9: agents[0].addresses[2]: must not be empty",
			"16:9: agents[0].addresses[3]: must not be the desk address or a plus-address of it",
			"17:9: agents[0].addresses[4]: must not be the desk address or a plus-address of it",
			"20:17: agents[1].addresses[0]: duplicate agent address (first at line 18)"}},
		{"help-desk and helpers are not the desk", minimal + "agents:\n  - name: Ann\n    addresses: [help-desk@example.com, helper@example.com, help@example.net]\n", nil},
		{"agent language", minimal + "agents:\n  - name: Ann\n    addresses: [ann@example.com]\n    language: fi\n  - name: Bob\n    addresses: [bob@example.com]\n    language: ''\n", []string{
			"13:15: agents[0].language: must be one of en, sv, da, zh",
			"16:15: agents[1].language: must not be empty"}},
		{"agent teams and role", minimal + "teams:\n  - name: hr\nagents:\n  - name: Ann\n    addresses: [ann@example.com]\n    teams: [hr, support, hr, '']\n    role: boss\n", []string{
			"15:17: agents[0].teams[1]: must name a team listed under teams",
			"15:26: agents[0].teams[2]: duplicate team (first at line 15)",
			"15:30: agents[0].teams[3]: must not be empty",
			"16:11: agents[0].role: must be one of agent, lead"}},
		{"team references unchecked when teams is broken", minimal + "teams: hr\nagents:\n  - name: Ann\n    addresses: [ann@example.com]\n    teams: [hr]\n", []string{
			"10:8: teams: must be a list, not a single value"}},
		{"teams", minimal + `teams:
  - address: team@example.com
  - name: First Line
  - name: hr
    address: HR Team <hr@example.com>
  - name: hr
    address: help+hr@example.com
  - name: it
    address: ''
`, []string{
			"11:5: teams[0].name: is required",
			"12:11: teams[1].name: must be 1 to 64 of a-z, 0-9, _ and -",
			"14:14: teams[2].address: must be a bare address such as it-team@example.com (without a display name)",
			"15:11: teams[3].name: duplicate team name (first at line 13)",
			"16:14: teams[3].address: must not be the desk address or a plus-address of it",
			"18:14: teams[4].address: must not be empty"}},
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
