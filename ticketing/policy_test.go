package ticketing_test

import (
	"context"
	"encoding/json"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/deskgate/deskgate/internal/dbtest"
	"github.com/deskgate/deskgate/templates"
	"github.com/deskgate/deskgate/ticketing"
	"github.com/deskgate/deskgate/ticketing/rules"
	"github.com/deskgate/deskgate/ticketing/sla"
)

// policyDesk is a desk with notifications, the default matrix, one SLA
// policy on a 24×7 calendar (so that tests do not depend on the day they
// run) and the given rules.
func policyDesk(t *testing.T, rs ...rules.Rule) *ticketing.Desk {
	t.Helper()
	targets := map[string]ticketing.Targets{}
	for p, tg := range rules.DefaultTargets() {
		targets[p] = ticketing.Targets{Response: tg.Response, Resolution: tg.Resolution}
	}
	return policyDeskWith(t, targets, ticketing.Escalation{Warning: ticketing.EscalationLevel{Notify: []string{"assignee"}},
		Breach: ticketing.EscalationLevel{Notify: []string{"assignee", "team"}, RaisePriority: true}}, rs...)
}

// policyDeskWith is policyDesk with the given targets and escalation.
func policyDeskWith(t *testing.T, targets map[string]ticketing.Targets, esc ticketing.Escalation, rs ...rules.Rule) *ticketing.Desk {
	t.Helper()
	return ticketing.NewDesk(quiet, policyConfig(t, targets, esc, rs...))
}

// policyConfig is policyDeskWith's configuration.
func policyConfig(t *testing.T, targets map[string]ticketing.Targets, esc ticketing.Escalation, rs ...rules.Rule) ticketing.Config {
	t.Helper()
	set, err := rules.Compile(rs, rules.Options{})
	if err != nil {
		t.Fatal(err)
	}
	tpl, err := templates.Load("")
	if err != nil {
		t.Fatal(err)
	}
	ev := func(to ...string) ticketing.EventRule { return ticketing.EventRule{Enabled: true, To: to} }
	return ticketing.Config{
		DeskAddresses: []string{"help@desk.example"}, Domain: "desk.example",
		Notify: ticketing.NotifyConfig{Templates: tpl, DeskName: "Desk", Language: "en",
			Events: map[string]ticketing.EventRule{templates.TicketReceived: ev("requester"),
				templates.SLAWarning: ev("assignee"), templates.SLABreach: ev("assignee", "team")},
			Agents: []ticketing.Agent{{Name: "Ada", Addresses: []string{"ada@desk.example"}, Teams: []string{"support"}}},
			Teams:  []ticketing.Team{{Name: "support"}}},
		Policy: ticketing.PolicyConfig{Rules: set, Matrix: rules.DefaultMatrix(), DefaultImpact: "Low", DefaultUrgency: "Normal",
			Policies:      map[string]ticketing.SLAPolicy{"standard": {Name: "standard", Calendar: sla.Always(), Targets: targets}},
			DefaultPolicy: "standard", Escalation: esc},
	}
}

type ticketFields struct {
	Category, Impact, Urgency, Priority, Status, Policy string
	Tags                                                []string
}

func fields(t *testing.T, pool *pgxpool.Pool, id int64) ticketFields {
	t.Helper()
	var f ticketFields
	err := pool.QueryRow(context.Background(), `SELECT category, impact, urgency, priority, status, sla_policy, tags FROM tickets WHERE id = $1`, id).
		Scan(&f.Category, &f.Impact, &f.Urgency, &f.Priority, &f.Status, &f.Policy, &f.Tags)
	if err != nil {
		t.Fatal(err)
	}
	return f
}

type clock struct {
	Running           bool
	Target            int64
	Deadline, Stopped *time.Time
	Warned, Breached  *time.Time
}

func clocks(t *testing.T, pool *pgxpool.Pool, id int64) map[string]clock {
	t.Helper()
	rows, err := pool.Query(context.Background(), `SELECT kind, running, target, deadline, stopped, warned_at, breached_at FROM sla_clocks WHERE ticket_id = $1`, id)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	out := map[string]clock{}
	for rows.Next() {
		var k string
		var c clock
		if err := rows.Scan(&k, &c.Running, &c.Target, &c.Deadline, &c.Stopped, &c.Warned, &c.Breached); err != nil {
			t.Fatal(err)
		}
		out[k] = c
	}
	return out
}

func eventKinds(t *testing.T, pool *pgxpool.Pool, id int64) []string {
	t.Helper()
	rows, err := pool.Query(context.Background(), `SELECT kind FROM events WHERE ticket_id = $1 ORDER BY id`, id)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var k string
		rows.Scan(&k)
		out = append(out, k)
	}
	return out
}

func TestRulesAndMatrixClassifyANewTicket(t *testing.T) {
	t.Parallel()
	pool := dbtest.Pool(t)
	desk := policyDesk(t,
		rules.Rule{Name: "outage", On: rules.OnCreated, When: `subject contains "outage"`, Then: rules.Then{Impact: "High", Urgency: "Urgent", AddTags: []string{"major"}}},
		rules.Rule{Name: "network", On: rules.OnCreated, When: `"major" in ticket.tags`, Then: rules.Then{Category: "Network"}})
	in := human(capture(t, pool, "support", 1), "o@example.se", "VPN outage for everyone")
	o := receiveWith(t, pool, desk, in)[0]
	got := fields(t, pool, o.TicketID)
	want := ticketFields{Category: "Network", Impact: "High", Urgency: "Urgent", Priority: "High", Status: "new", Policy: "standard", Tags: []string{"major"}}
	if got.Category != want.Category || got.Impact != want.Impact || got.Urgency != want.Urgency || got.Priority != want.Priority ||
		got.Policy != want.Policy || strings.Join(got.Tags, ",") != "major" {
		t.Errorf("ticket fields = %+v, want %+v", got, want)
	}
	cs := clocks(t, pool, o.TicketID)
	if cs["response"].Target != 3600 || cs["resolution"].Target != 4*3600 || !cs["resolution"].Running || cs["resolution"].Deadline == nil {
		t.Errorf("clocks = %+v, want response 1h and resolution 4h running (High)", cs)
	}
	kinds := strings.Join(eventKinds(t, pool, o.TicketID), " ")
	for _, k := range []string{"rule.fired", "priority.set"} {
		if !strings.Contains(kinds, k) {
			t.Errorf("events %q lack %s", kinds, k)
		}
	}
	for _, r := range outbox(t, pool) {
		if r.Event == templates.TicketReceived && r.TicketID == o.TicketID && !strings.Contains(r.Text, "1 hour") {
			t.Errorf("acknowledgement does not state the 1-hour response target (High):\n%s", r.Text)
		}
	}
	// The default applies without rules: impact Low × urgency Normal = Medium.
	plain := receiveWith(t, pool, desk, human(capture(t, pool, "support", 2), "p@example.se", "Printer"))[0]
	if f := fields(t, pool, plain.TicketID); f.Priority != "Medium" || f.Impact != "Low" || f.Urgency != "Normal" {
		t.Errorf("default classification = %+v, want Low × Normal = Medium", f)
	}
}

func TestRuleIgnoresAndSuppresses(t *testing.T) {
	t.Parallel()
	pool := dbtest.Pool(t)
	desk := policyDesk(t,
		rules.Rule{Name: "newsletter", On: rules.OnCreated, When: `from.domain == "news.example"`, Then: rules.Then{Ignore: "newsletter"}},
		rules.Rule{Name: "quiet", On: rules.OnCreated, When: `from.domain == "quiet.example"`, Then: rules.Then{SuppressAcknowledgement: true}})
	news := human(capture(t, pool, "support", 1), "n@news.example", "Our offers")
	news.From = ticketing.Address{Address: "info@news.example"}
	quiet := human(capture(t, pool, "support", 2), "q@quiet.example", "Question")
	quiet.From = ticketing.Address{Address: "anna@quiet.example"}
	out := receiveWith(t, pool, desk, news, quiet)
	if out[0].Status != ticketing.StatusIgnored || !strings.Contains(out[0].Reason, `rule "newsletter"`) {
		t.Errorf("newsletter outcome = %+v, want ignored naming the rule", out[0])
	}
	if out[1].Status != ticketing.StatusTicketed {
		t.Fatalf("quiet outcome = %+v, want ticketed", out[1])
	}
	for _, r := range outbox(t, pool) {
		if r.Event == templates.TicketReceived {
			t.Errorf("an acknowledgement was queued to %s although a rule suppressed it", r.Recipient)
		}
	}
}

func TestStatusMovesTheClocks(t *testing.T) {
	t.Parallel()
	pool := dbtest.Pool(t)
	ctx := context.Background()
	desk := policyDesk(t)
	o := receiveWith(t, pool, desk, human(capture(t, pool, "support", 1), "q@example.se", "Help"))[0]
	if err := desk.SetStatus(ctx, pool, o.TicketID, ticketing.StatusPending, "ada@desk.example", "asked for logs"); err != nil {
		t.Fatal(err)
	}
	if c := clocks(t, pool, o.TicketID)["resolution"]; c.Running || c.Deadline != nil {
		t.Errorf("resolution clock while pending = %+v, want paused without a deadline", c)
	}
	reply := human(capture(t, pool, "support", 2), "r@example.se", "Re: Help")
	reply.InReplyTo = []string{"q@example.se"}
	receiveWith(t, pool, desk, reply)
	if c := clocks(t, pool, o.TicketID)["resolution"]; !c.Running || c.Deadline == nil {
		t.Errorf("resolution clock after the requester replied = %+v, want running again", c)
	}
	if err := desk.SetStatus(ctx, pool, o.TicketID, ticketing.StatusResolved, "ada@desk.example", "fixed"); err != nil {
		t.Fatal(err)
	}
	for kind, c := range clocks(t, pool, o.TicketID) {
		if c.Running || c.Stopped == nil || c.Breached != nil {
			t.Errorf("%s clock after resolve = %+v, want stopped in time", kind, c)
		}
	}
	tk, err := ticketing.GetTicket(ctx, pool, o.TicketID)
	if err != nil {
		t.Fatal(err)
	}
	if len(tk.Clocks) != 2 || tk.Clocks[1].Kind != "response" || tk.Clocks[0].Stopped == nil || tk.Clocks[0].Wall == "" ||
		tk.Clocks[0].Breached != nil || tk.Priority != "Medium" {
		t.Errorf("GetTicket clocks = %+v, priority %q; want resolution and response, stopped, with wall time, not breached", tk.Clocks, tk.Priority)
	}
}

func TestEscalationFiresOnceAcrossProcesses(t *testing.T) {
	t.Parallel()
	pool := dbtest.Pool(t)
	ctx := context.Background()
	desk := policyDesk(t)
	o := receiveWith(t, pool, desk, human(capture(t, pool, "support", 1), "q@example.se", "Help"))[0]
	// Medium: response 4h, resolution 16h. Half past 80 % of the response
	// target: its warning is due, no breach yet.
	at := time.Now().Add(3*time.Hour + 30*time.Minute)
	var wg sync.WaitGroup
	counts := make([]int, 3)
	for i := range counts {
		wg.Add(1)
		go func() {
			defer wg.Done()
			n, err := desk.Escalate(ctx, pool, at)
			if err != nil {
				t.Error(err)
			}
			counts[i] = n
		}()
	}
	wg.Wait()
	if total := counts[0] + counts[1] + counts[2]; total != 1 {
		t.Errorf("three concurrent sweeps fired %v warnings, want 1 in all", counts)
	}
	if n, _ := desk.Escalate(ctx, pool, at); n != 0 {
		t.Errorf("a later sweep fired %d more, want 0", n)
	}
	// After downtime, the breach of the response clock fires once and
	// raises the priority; resolution (16h) only warns later.
	late := time.Now().Add(5 * time.Hour)
	if n, err := desk.Escalate(ctx, pool, late); err != nil || n != 1 {
		t.Errorf("Escalate after the response deadline = %d, %v; want 1 breach", n, err)
	}
	if f := fields(t, pool, o.TicketID); f.Priority != "Normal" {
		t.Errorf("priority after the breach = %q, want Normal (Medium raised one level)", f.Priority)
	}
	cs := clocks(t, pool, o.TicketID)
	if cs["response"].Breached == nil || cs["resolution"].Target != 8*3600 {
		t.Errorf("clocks after the breach = %+v, want response breached and resolution retargeted to 8h", cs)
	}
	kinds := strings.Join(eventKinds(t, pool, o.TicketID), " ")
	if strings.Count(kinds, "sla.warning") != 1 || strings.Count(kinds, "sla.breach") != 1 || !strings.Contains(kinds, "priority.changed") {
		t.Errorf("events = %q, want one sla.warning, one sla.breach and priority.changed", kinds)
	}
	var mails int
	if err := pool.QueryRow(ctx, `SELECT count(*) FROM outbox WHERE event IN ('sla-warning', 'sla-breach') AND recipient = 'ada@desk.example'`).Scan(&mails); err != nil || mails != 2 {
		t.Errorf("SLA mails to the team = %d, %v; want 2 (warning, breach)", mails, err)
	}
}

func TestDeadlineExplained(t *testing.T) {
	t.Parallel()
	pool := dbtest.Pool(t)
	desk := policyDesk(t)
	o := receiveWith(t, pool, desk, human(capture(t, pool, "support", 1), "q@example.se", "Help"))[0]
	var detail []byte
	if err := pool.QueryRow(context.Background(), `SELECT detail FROM events WHERE ticket_id = $1 AND kind = 'priority.set'`, o.TicketID).Scan(&detail); err != nil {
		t.Fatal(err)
	}
	var d struct {
		Clocks []struct{ Clock, Explain string }
	}
	if err := json.Unmarshal(detail, &d); err != nil || len(d.Clocks) != 2 {
		t.Fatalf("priority.set detail = %s, %v; want two clocks", detail, err)
	}
	for _, c := range d.Clocks {
		if c.Clock == "resolution" && (!strings.HasPrefix(c.Explain, "due ") || !strings.Contains(c.Explain, "16")) {
			t.Errorf("resolution clock explanation = %q, want \"due … = created … + 16 …\"", c.Explain)
		}
	}
}

func TestReplyAndUpdateRules(t *testing.T) {
	t.Parallel()
	pool := dbtest.Pool(t)
	ctx := context.Background()
	desk := policyDesk(t,
		rules.Rule{Name: "escalated by reply", On: rules.OnMessage, When: `text contains "production is down"`, Then: rules.Then{Impact: "High", Urgency: "Urgent"}},
		rules.Rule{Name: "waiting", On: rules.OnUpdated, When: `ticket.status == "pending" && previous.status != "pending"`, Then: rules.Then{AddTags: []string{"waiting"}}})
	o := receiveWith(t, pool, desk, human(capture(t, pool, "support", 1), "q@example.se", "Slow wiki"))[0]
	if f := fields(t, pool, o.TicketID); f.Priority != "Medium" {
		t.Fatalf("priority before the reply = %q, want Medium", f.Priority)
	}
	reply := human(capture(t, pool, "support", 2), "r@example.se", "Re: Slow wiki")
	reply.InReplyTo = []string{"q@example.se"}
	reply.Text = "Now production is down for the whole floor."
	receiveWith(t, pool, desk, reply)
	if f := fields(t, pool, o.TicketID); f.Impact != "High" || f.Urgency != "Urgent" || f.Priority != "High" {
		t.Errorf("after the reply rule: %+v, want High × Urgent = High", f)
	}
	if c := clocks(t, pool, o.TicketID)["resolution"]; c.Target != 4*3600 {
		t.Errorf("resolution target after the priority change = %ds, want 4h (retargeted)", c.Target)
	}
	if err := desk.SetStatus(ctx, pool, o.TicketID, ticketing.StatusPending, "ada@desk.example", "asked"); err != nil {
		t.Fatal(err)
	}
	if f := fields(t, pool, o.TicketID); strings.Join(f.Tags, ",") != "waiting" {
		t.Errorf("tags after the ticket.updated rule = %v, want [waiting]", f.Tags)
	}
	kinds := strings.Join(eventKinds(t, pool, o.TicketID), " ")
	if strings.Count(kinds, "rule.fired") != 2 || !strings.Contains(kinds, "priority.changed") {
		t.Errorf("events = %q, want two rule.fired and priority.changed", kinds)
	}
}

func TestMergedTicketStopsItsClocks(t *testing.T) {
	t.Parallel()
	pool := dbtest.Pool(t)
	ctx := context.Background()
	desk := policyDesk(t)
	a := receiveWith(t, pool, desk, human(capture(t, pool, "support", 1), "a@example.se", "Printer"))[0]
	b := receiveWith(t, pool, desk, human(capture(t, pool, "support", 2), "b@example.se", "Printer again"))[0]
	if err := desk.Merge(ctx, pool, b.TicketID, a.TicketID, "ada@desk.example", "same"); err != nil {
		t.Fatal(err)
	}
	for kind, c := range clocks(t, pool, b.TicketID) {
		if c.Running || c.Stopped == nil {
			t.Errorf("merged ticket's %s clock = %+v, want stopped", kind, c)
		}
	}
	if n, err := desk.Escalate(ctx, pool, time.Now().Add(100*time.Hour)); err != nil || n != 2 {
		t.Errorf("Escalate long after = %d, %v; want 2 (the surviving ticket's two breaches only)", n, err)
	}
}

func TestNextResponseClock(t *testing.T) {
	t.Parallel()
	pool := dbtest.Pool(t)
	ctx := context.Background()
	set, _ := rules.Compile(nil, rules.Options{})
	targets := map[string]ticketing.Targets{"Medium": {Response: 4 * time.Hour, Resolution: 16 * time.Hour, NextResponse: 2 * time.Hour}}
	desk := ticketing.NewDesk(quiet, ticketing.Config{DeskAddresses: []string{"help@desk.example"}, Domain: "desk.example",
		Policy: ticketing.PolicyConfig{Rules: set, Matrix: rules.DefaultMatrix(), DefaultImpact: "Low", DefaultUrgency: "Normal",
			Policies:      map[string]ticketing.SLAPolicy{"standard": {Name: "standard", Calendar: sla.Always(), Targets: targets}},
			DefaultPolicy: "standard"}})
	o := receiveWith(t, pool, desk, human(capture(t, pool, "support", 1), "q@example.se", "Help"))[0]
	if _, ok := clocks(t, pool, o.TicketID)["next_response"]; ok {
		t.Fatalf("a next-response clock before any reply")
	}
	reply := human(capture(t, pool, "support", 2), "r@example.se", "Re: Help")
	reply.InReplyTo = []string{"q@example.se"}
	receiveWith(t, pool, desk, reply)
	c, ok := clocks(t, pool, o.TicketID)["next_response"]
	if !ok || !c.Running || c.Target != 7200 {
		t.Errorf("next-response clock after the requester's reply = %+v, %v; want running, 2h", c, ok)
	}
	if err := desk.SetStatus(ctx, pool, o.TicketID, ticketing.StatusResolved, "ada@desk.example", "fixed"); err != nil {
		t.Fatal(err)
	}
	if c := clocks(t, pool, o.TicketID)["next_response"]; c.Running || c.Stopped == nil {
		t.Errorf("next-response clock after resolve = %+v, want stopped", c)
	}
}

func TestImportanceHeaderRaisesUrgencyWhenConfigured(t *testing.T) {
	t.Parallel()
	pool := dbtest.Pool(t)
	targets := map[string]ticketing.Targets{}
	for p, tg := range rules.DefaultTargets() {
		targets[p] = ticketing.Targets{Response: tg.Response, Resolution: tg.Resolution}
	}
	desk := ticketing.NewDesk(quiet, ticketing.Config{DeskAddresses: []string{"help@desk.example"}, Domain: "desk.example",
		Policy: ticketing.PolicyConfig{Matrix: rules.DefaultMatrix(), DefaultImpact: "Low", DefaultUrgency: "Normal",
			HeaderRaisesUrgency: true, DefaultPolicy: "standard",
			Policies: map[string]ticketing.SLAPolicy{"standard": {Name: "standard", Calendar: sla.Always(), Targets: targets}}}})
	for i, c := range []struct {
		header, value, urgency string
	}{
		{"x-priority", "1 (Highest)", "High"},
		{"importance", "High", "High"},
		{"priority", "non-urgent", "Normal"},
		{"x-priority", "3 (Normal)", "Normal"},
	} {
		in := human(capture(t, pool, "support", i+1), "h"+itoa(int64(i))+"@example.se", "Help")
		in.From.Address = "h" + itoa(int64(i)) + "@example.se"
		in.Headers = map[string]string{c.header: c.value}
		o := receiveWith(t, pool, desk, in)[0]
		if f := fields(t, pool, o.TicketID); f.Urgency != c.urgency {
			t.Errorf("%s: %s gives urgency %q, want %q", c.header, c.value, f.Urgency, c.urgency)
		}
	}
}
