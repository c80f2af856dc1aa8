package rules

import (
	"slices"
	"strings"
	"testing"
	"time"
)

func TestDefaultMatrixCells(t *testing.T) {
	m := DefaultMatrix()
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
	}
	for _, tt := range tests {
		if got, ok := m.Priority(tt.impact, tt.urgency); got != tt.want || !ok {
			t.Errorf("Priority(%q, %q) = %q, %v, want %q, true", tt.impact, tt.urgency, got, ok, tt.want)
		}
		if got, _ := m.Priority(strings.ToUpper(tt.impact), strings.ToLower(tt.urgency)); got != tt.want {
			t.Errorf("Priority(%q, %q) = %q, want %q", strings.ToUpper(tt.impact), strings.ToLower(tt.urgency), got, tt.want)
		}
	}
	for _, bad := range [][2]string{{"Huge", "Low"}, {"Low", "Soon"}, {"", ""}} {
		if got, ok := m.Priority(bad[0], bad[1]); got != "" || ok {
			t.Errorf("Priority(%q, %q) = %q, %v, want \"\", false", bad[0], bad[1], got, ok)
		}
	}
	if got, want := m.Impacts(), []string{"Low", "Medium", "High"}; !slices.Equal(got, want) {
		t.Errorf("Impacts() = %q, want %q", got, want)
	}
	if got, want := m.Urgencies(), []string{"Low", "Normal", "High", "Urgent"}; !slices.Equal(got, want) {
		t.Errorf("Urgencies() = %q, want %q", got, want)
	}
	if got, want := m.Priorities(), []string{"High", "Normal", "Medium", "Low"}; !slices.Equal(got, want) {
		t.Errorf("Priorities() = %q, want %q", got, want)
	}
	m.Priorities()[0] = "changed"
	if got := m.Priorities()[0]; got != "High" {
		t.Errorf("after changing the returned slice, Priorities()[0] = %q, want High", got)
	}
}

func TestRankRaise(t *testing.T) {
	m := DefaultMatrix()
	tests := []struct {
		priority string
		rank     int
		raised   string
	}{
		{"High", 0, "High"},
		{"Normal", 1, "High"},
		{"Medium", 2, "Normal"},
		{"Low", 3, "Medium"},
		{"low", 3, "Medium"},
		{"HIGH", 0, "High"},
		{"Critical", -1, "Critical"},
		{"", -1, ""},
	}
	for _, tt := range tests {
		if got := m.Rank(tt.priority); got != tt.rank {
			t.Errorf("Rank(%q) = %d, want %d", tt.priority, got, tt.rank)
		}
		if got := m.Raise(tt.priority); got != tt.raised {
			t.Errorf("Raise(%q) = %q, want %q", tt.priority, got, tt.raised)
		}
	}
}

func TestNewMatrix(t *testing.T) {
	two := []string{"Low", "High"}
	full := map[[2]string]string{{"Low", "Low"}: "P2", {"Low", "high"}: "p1", {"high", "Low"}: "P1", {"High", "High"}: "P1"}
	m, err := NewMatrix(two, two, []string{"P1", "P2"}, full)
	if err != nil {
		t.Fatalf("NewMatrix(2×2) = %v, want no error", err)
	}
	if got, _ := m.Priority("low", "HIGH"); got != "P1" {
		t.Errorf("Priority(low, HIGH) = %q, want P1 (canonical spelling)", got)
	}

	tests := []struct {
		name                           string
		impacts, urgencies, priorities []string
		cells                          map[[2]string]string
		want                           []string
	}{
		{"empty", nil, nil, nil, nil, []string{
			"rules: matrix: no impacts", "rules: matrix: no urgencies", "rules: matrix: no priorities",
		}},
		{"missing cell", two, two, []string{"P1", "P2"},
			map[[2]string]string{{"Low", "Low"}: "P2", {"Low", "High"}: "P1", {"High", "Low"}: "P1"},
			[]string{`rules: matrix: cell {"High", "High"} is not set`}},
		{"unknown names", two, two, []string{"P1", "P2"},
			map[[2]string]string{{"Low", "Low"}: "P3", {"Low", "High"}: "P1", {"High", "Low"}: "P1", {"High", "High"}: "P1", {"Mid", "Low"}: "P1", {"Low", "Soon"}: "P1"},
			[]string{
				`rules: matrix: cell {"Low", "Low"}: unknown priority "P3"`,
				`rules: matrix: cell {"Low", "Soon"}: unknown urgency "Soon"`,
				`rules: matrix: cell {"Mid", "Low"}: unknown impact "Mid"`,
				`rules: matrix: cell {"Low", "Low"} is not set`,
			}},
		{"duplicates", []string{"Low", "low", " "}, two, []string{"P1"},
			map[[2]string]string{{"Low", "Low"}: "P1", {"LOW", "low"}: "P1", {"Low", "High"}: "P1"},
			[]string{
				`rules: matrix: impacts[1] "low" repeats impacts[0]`,
				`rules: matrix: impacts[2] is blank`,
				`rules: matrix: cell {"Low", "Low"} is set twice`,
				`rules: matrix: cell {" ", "Low"} is not set`,
				`rules: matrix: cell {" ", "High"} is not set`,
			}},
	}
	for _, tt := range tests {
		m, err := NewMatrix(tt.impacts, tt.urgencies, tt.priorities, tt.cells)
		if err == nil {
			t.Errorf("NewMatrix(%s) = %v, nil; want errors %q", tt.name, m, tt.want)
			continue
		}
		if got := strings.Split(err.Error(), "\n"); !slices.Equal(got, tt.want) {
			t.Errorf("NewMatrix(%s) = %q, want %q", tt.name, got, tt.want)
		}
	}
}

func TestDefaultTargets(t *testing.T) {
	targets := DefaultTargets()
	want := map[string]Targets{
		"High":   {time.Hour, 4 * time.Hour},
		"Normal": {2 * time.Hour, 8 * time.Hour},
		"Medium": {4 * time.Hour, 16 * time.Hour},
		"Low":    {8 * time.Hour, 40 * time.Hour},
	}
	for _, p := range DefaultMatrix().Priorities() {
		if got := targets[p]; got != want[p] {
			t.Errorf("DefaultTargets()[%q] = %+v, want %+v", p, got, want[p])
		}
	}
	if len(targets) != len(want) {
		t.Errorf("len(DefaultTargets()) = %d, want %d", len(targets), len(want))
	}
}
