package ticketing_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/deskgate/deskgate/internal/dbtest"
	"github.com/deskgate/deskgate/ticketing"
	"github.com/deskgate/deskgate/ticketing/rules"
)

// countingMeter records what ticketing counts.
type countingMeter struct {
	mu                 sync.Mutex
	rules              map[string]int
	warnings, breaches int
	suppressed         []string
}

func (m *countingMeter) RuleFired(rule string) { m.mu.Lock(); m.rules[rule]++; m.mu.Unlock() }
func (m *countingMeter) Escalated(breach bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if breach {
		m.breaches++
	} else {
		m.warnings++
	}
}
func (m *countingMeter) Suppressed(reason string) {
	m.mu.Lock()
	m.suppressed = append(m.suppressed, reason)
	m.mu.Unlock()
}

// TestMeterCounts: the rules that fire, the SLA warning and breach the
// sweep fires, and a suppressed notification are counted once each.
func TestMeterCounts(t *testing.T) {
	t.Parallel()
	pool := dbtest.Pool(t)
	ctx := context.Background()
	targets := map[string]ticketing.Targets{}
	for p, tg := range rules.DefaultTargets() {
		targets[p] = ticketing.Targets{Response: tg.Response, Resolution: tg.Resolution}
	}
	cfg := policyConfig(t, targets, ticketing.Escalation{Warning: ticketing.EscalationLevel{Notify: []string{"assignee"}},
		Breach: ticketing.EscalationLevel{Notify: []string{"assignee"}}},
		rules.Rule{Name: "printers", On: rules.OnCreated, When: `subject contains "printer"`, Then: rules.Then{Category: "Hardware"}},
		rules.Rule{Name: "never", On: rules.OnCreated, When: `subject contains "nothing like this"`, Then: rules.Then{Category: "Network"}})
	m := &countingMeter{rules: map[string]int{}}
	cfg.Meter = m
	desk := ticketing.NewDesk(quiet, cfg)
	first := human(capture(t, pool, "support", 1), "p1@example.se", "The printer is jammed")
	receiveWith(t, pool, desk, first)
	// Mail from deskgate's own address opens a ticket whose
	// acknowledgement is recorded as suppressed.
	own := human(capture(t, pool, "support", 2), "p2@example.se", "Another printer")
	own.From = ticketing.Address{Address: "help@desk.example"}
	receiveWith(t, pool, desk, own)
	if m.rules["printers"] != 2 || m.rules["never"] != 0 {
		t.Errorf("rules counted %v, want printers twice and never not", m.rules)
	}
	if n, err := desk.Escalate(ctx, pool, time.Now().Add(3*time.Hour+30*time.Minute)); err != nil || n == 0 {
		t.Fatalf("Escalate (warning due) = %d, %v", n, err)
	}
	if n, err := desk.Escalate(ctx, pool, time.Now().Add(5*time.Hour)); err != nil || n == 0 {
		t.Fatalf("Escalate (breach due) = %d, %v", n, err)
	}
	if m.warnings == 0 || m.breaches == 0 {
		t.Errorf("Escalated counted %d warnings and %d breaches, want each", m.warnings, m.breaches)
	}
	if len(m.suppressed) != 1 || m.suppressed[0] != "never mail deskgate's own address" {
		t.Errorf("Suppressed counted %q, want the acknowledgement to deskgate's own address", m.suppressed)
	}
}
