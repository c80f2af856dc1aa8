package config

import (
	"reflect"
	"slices"
	"testing"
)

// defaultPriorities is the priorities section of a file that has none, as documented.
func defaultPriorities() Priorities {
	return Priorities{
		Impacts:   []string{"Low", "Medium", "High"},
		Urgencies: []string{"Low", "Normal", "High", "Urgent"},
		Levels:    []string{"High", "Normal", "Medium", "Low"},
		Matrix: []Cell{
			{"Low", "Low", "Low"}, {"Low", "Normal", "Medium"}, {"Low", "High", "Normal"}, {"Low", "Urgent", "High"},
			{"Medium", "Low", "Medium"}, {"Medium", "Normal", "Medium"}, {"Medium", "High", "High"}, {"Medium", "Urgent", "High"},
			{"High", "Low", "Normal"}, {"High", "Normal", "Normal"}, {"High", "High", "High"}, {"High", "Urgent", "High"},
		},
		DefaultImpact:  "Low",
		DefaultUrgency: "Normal",
	}
}

// TestDefaultMatrix checks every cell of the default matrix against the table.
func TestDefaultMatrix(t *testing.T) {
	c, err := Parse([]byte(minimal), "deskgate.yaml", testEnv)
	if err != nil {
		t.Fatalf("Parse(minimal) error: %v", err)
	}
	tests := []struct{ impact, urgency, want string }{
		{"Low", "Low", "Low"},
		{"Low", "Normal", "Medium"},
		{"Low", "High", "Normal"},
		{"Low", "Urgent", "High"},
		{"Medium", "Low", "Medium"},
		{"Medium", "Normal", "Medium"},
		{"Medium", "High", "High"},
		{"Medium", "Urgent", "High"},
		{"High", "Low", "Normal"},
		{"High", "Normal", "Normal"},
		{"High", "High", "High"},
		{"High", "Urgent", "High"},
		{"high", "URGENT", "High"}, // case-insensitive
		{"Critical", "Low", ""},
		{"Low", "", ""},
	}
	for _, tt := range tests {
		if got := c.Priorities.Cell(tt.impact, tt.urgency); got != tt.want {
			t.Errorf("Cell(%q, %q) = %q, want %q", tt.impact, tt.urgency, got, tt.want)
		}
	}
}

func TestCustomPriorities(t *testing.T) {
	const yaml = minimal + `    impact: MAJOR
priorities:
  impacts: [Minor, Major]
  urgencies: [low, high]
  levels: [P1, P2, P3]
  matrix:
    - {impact: minor, urgency: LOW, priority: p3}
    - {impact: Minor, urgency: high, priority: P2}
    - {impact: major, urgency: low, priority: P2}
    - {impact: Major, urgency: High, priority: p1}
  header_raises_urgency: true
sla:
  policies:
    - name: Gold
      targets:
        - {priority: p1, response: 15m, resolution: 2h}
        - {priority: P2, response: 1h, resolution: 8h, next_response: 4h}
        - {priority: p3, response: 4h, resolution: 40h}
`
	c, err := Parse([]byte(yaml), "deskgate.yaml", testEnv)
	if err != nil {
		t.Fatalf("Parse error: %v", err)
	}
	want := Priorities{
		Impacts:   []string{"Minor", "Major"},
		Urgencies: []string{"low", "high"},
		Levels:    []string{"P1", "P2", "P3"},
		Matrix: []Cell{
			{"Minor", "low", "P3"}, {"Minor", "high", "P2"}, {"Major", "low", "P2"}, {"Major", "high", "P1"},
		},
		DefaultImpact:       "Minor", // no Low: the lowest
		DefaultUrgency:      "low",   // no Normal: the lowest
		HeaderRaisesUrgency: true,
	}
	if !reflect.DeepEqual(c.Priorities, want) {
		t.Errorf("Priorities = %+v, want %+v", c.Priorities, want)
	}
	if m := c.Mailboxes[0]; m.Impact != "Major" || m.Urgency != "low" {
		t.Errorf("mailbox impact, urgency = %q, %q, want Major, low", m.Impact, m.Urgency)
	}
	if got := c.Priorities.Cell("MAJOR", "HIGH"); got != "P1" {
		t.Errorf("Cell(MAJOR, HIGH) = %q, want P1", got)
	}
	var levels []string
	for _, tg := range c.Policy("gold").Targets {
		levels = append(levels, tg.Priority)
	}
	if !slices.Equal(levels, []string{"P1", "P2", "P3"}) {
		t.Errorf("targets' priorities = %q, want P1, P2, P3", levels)
	}
}

func TestPrioritiesProblems(t *testing.T) {
	tests := []struct {
		name string
		yaml string
		want []string // Problem.String()
	}{
		{"empty lists", minimal + "priorities:\n  impacts: []\n  urgencies:\n  levels: [High, '', high]\n", []string{
			"11:12: priorities.impacts: must not be empty (leave the key out for the defaults, Low, Medium, High)",
			"12:13: priorities.urgencies: must not be empty (leave the key out for the defaults, Low, Normal, High, Urgent)",
			"13:18: priorities.levels[1]: must not be empty",
			"13:22: priorities.levels[2]: duplicate level (first at line 13)"}},
		{"duplicate impact and urgency", minimal + "priorities:\n  impacts: [Low, LOW]\n  urgencies: [a, b, A]\n  matrix: [{impact: Low, urgency: a, priority: Low}, {impact: low, urgency: b, priority: High}]\n", []string{
			"11:18: priorities.impacts[1]: duplicate impact (first at line 11)",
			"12:21: priorities.urgencies[2]: duplicate urgency (first at line 12)"}},
		{"custom levels need a matrix", minimal + "priorities:\n  levels: [P1, P2]\nsla:\n  policies: [{name: s, targets: [{priority: P1, response: 1h, resolution: 2h}, {priority: P2, response: 1h, resolution: 2h}]}]\n", []string{
			"11:3: priorities.matrix: is required when impacts, urgencies or levels are not the defaults"}},
		{"default names in another case need no matrix", minimal + "priorities:\n  impacts: [low, medium, high]\n  levels: [HIGH, NORMAL, MEDIUM, LOW]\n", nil},
		{"empty matrix", minimal + "priorities:\n  matrix: []\n", []string{
			"11:11: priorities.matrix: must not be empty (leave the key out for the default matrix)"}},
		{"incomplete matrix", minimal + `priorities:
  impacts: [Low, High]
  urgencies: [Low, High]
  matrix:
    - {impact: Low, urgency: Low, priority: Low}
    - {impact: low, urgency: low, priority: Normal}
    - {impact: Medium, urgency: High, priority: Highest}
    - {urgency: High, priority: High}
    - {impact: High}
`, []string{
			"14:5: priorities.matrix: must have a cell for every impact × urgency; missing: Low × High, High × Low, High × High",
			"15:7: priorities.matrix[1]: duplicate cell for impact Low and urgency Low (first at line 14)",
			"16:16: priorities.matrix[2].impact: must be one of Low, High",
			"16:49: priorities.matrix[2].priority: must be one of High, Normal, Medium, Low",
			"17:7: priorities.matrix[3].impact: is required",
			"18:7: priorities.matrix[4].urgency: is required",
			"18:7: priorities.matrix[4].priority: is required"}},
		{"too many levels", minimal + "priorities:\n  levels: [a, b, c, d, e, f, g, h, i, j, k, l, m, n, o, p, q, r, s, t, u]\n", []string{
			"11:11: priorities.levels: must not have more than 20 levels"}},
		{"many missing cells", minimal + "priorities:\n  impacts: [a, b, c, d]\n  urgencies: [a, b, c, d]\n  matrix: [{impact: a, urgency: a, priority: High}]\n", []string{
			"13:11: priorities.matrix: must have a cell for every impact × urgency; missing: a × b, a × c, a × d, b × a, b × b, b × c, b × d, c × a, c × b, c × c, c × d, d × a, and 3 more"}},
		{"defaults not levels", minimal + "priorities:\n  default_impact: Huge\n  default_urgency: ''\n", []string{
			"11:19: priorities.default_impact: must be one of Low, Medium, High",
			"12:20: priorities.default_urgency: must not be empty"}},
		{"references unchecked when a list is broken", minimal + "    impact: Huge\npriorities:\n  impacts: Low\n", []string{
			"12:12: priorities.impacts: must be a list, not a single value"}},
		{"mailbox levels", mb("    impact: huge\n    urgency: Soon\n"), []string{
			"10:13: mailboxes[0].impact: must be one of Low, Medium, High",
			"11:14: mailboxes[0].urgency: must be one of Low, Normal, High, Urgent"}},
		{"categories", minimal + `categories:
  - name: Billing
    impact: Medium
    urgency: high
    sla: standard
  - name: billing
  - impact: Huge
    urgency: ''
    sla: gold
`, []string{
			"15:11: categories[1].name: duplicate category (first at line 11)",
			"16:5: categories[2].name: is required",
			"16:13: categories[2].impact: must be one of Low, Medium, High",
			"17:14: categories[2].urgency: must not be empty",
			"18:10: categories[2].sla: must name a policy listed under sla.policies (without any, the only policy is standard)"}},
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

func TestCategories(t *testing.T) {
	const yaml = minimal + `categories:
  - {name: Billing, impact: medium, sla: Standard}
  - {name: Security, urgency: URGENT}
`
	c, err := Parse([]byte(yaml), "deskgate.yaml", testEnv)
	if err != nil {
		t.Fatalf("Parse error: %v", err)
	}
	want := []Category{{Name: "Billing", Impact: "Medium", SLA: "standard"}, {Name: "Security", Urgency: "Urgent"}}
	if !reflect.DeepEqual(c.Categories, want) {
		t.Errorf("Categories = %+v, want %+v", c.Categories, want)
	}
	if got := c.Category("security"); got != &c.Categories[1] {
		t.Errorf("Category(security) = %p, want &c.Categories[1]", got)
	}
	if got := c.Category("hr"); got != nil {
		t.Errorf("Category(hr) = %+v, want nil", got)
	}
}
