package rules

import (
	"encoding/json"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

// opts are the allowed values of a small desk.
var opts = Options{
	Impacts:     []string{"Low", "Medium", "High"},
	Urgencies:   []string{"Low", "Normal", "High", "Urgent"},
	Priorities:  []string{"High", "Normal", "Medium", "Low"},
	Statuses:    []string{"new", "open", "pending", "resolved", "closed"},
	Teams:       []string{"Billing", "Support", "Security"},
	Categories:  []string{"billing", "outage", "access", "spam"},
	Templates:   []string{"ticket.created", "vip.welcome", "outage.known"},
	Languages:   []string{"en", "sv", "zh"},
	SLAPolicies: []string{"standard", "enterprise"},
	Assignees:   []string{"maria@desk.example", "li.wei@desk.example"},
}

// newTicketFacts is a customer's first mail to the billing queue: an
// overdue-invoice complaint with the invoice attached, sent on a Tuesday
// morning from Outlook.
func newTicketFacts() Facts {
	return Facts{
		Event:   OnCreated,
		Mailbox: "support",
		Queue:   "billing@desk.example",
		From:    Person{Address: "ann.berg@acme.example", Domain: "acme.example", Name: "Ann Berg"},
		To:      []string{"billing@desk.example"},
		Cc:      []string{"bob@acme.example"},
		Subject: "Invoice 2024-113 overdue?",
		Text:    "Hello, we paid invoice 2024-113 on 3 March but got a reminder today. Please check.\n",
		FullText: "Hello, we paid invoice 2024-113 on 3 March but got a reminder today. Please check.\n\n" +
			"-- \nAnn Berg, Acme AB\n",
		Headers: map[string]string{
			"x-priority": "1 (Highest)",
			"importance": "high",
			"x-mailer":   "Microsoft Outlook 16.0",
			"message-id": "<AM0PR01MB1234@acme.example>",
		},
		Attachments: []Attachment{
			{Name: "Invoice-2024-113.PDF", Type: "application/pdf", Size: 84213},
			{Name: "image001.png", Type: "image/png", Size: 4120},
		},
		Language:       "en",
		Class:          "human",
		KnownRequester: true,
		Now:            time.Date(2025, 3, 4, 9, 12, 0, 0, time.UTC),
		Hour:           10,
		Weekday:        "tue",
		BusinessHours:  true,
		Ticket:         Ticket{Number: 4711, Status: "new", Impact: "Low", Urgency: "Normal", Priority: "Medium", Language: "en", Tags: []string{"email"}},
	}
}

func mustCompile(t testing.TB, rs []Rule) *Set {
	t.Helper()
	s, err := Compile(rs, opts)
	if err != nil {
		t.Fatalf("Compile(%d rules) = %v, want no error", len(rs), err)
	}
	return s
}

// TestEvaluateActions runs one rule per action against the same facts.
func TestEvaluateActions(t *testing.T) {
	base := newTicketFacts()
	ticket := func(edit func(*Ticket)) Ticket {
		tk := base.Ticket
		tk.Tags = slices.Clone(tk.Tags)
		edit(&tk)
		return tk
	}
	same := ticket(func(*Ticket) {})
	const when = `from.domain == "acme.example"`
	tests := []struct {
		name    string
		then    Then
		ticket  Ticket
		changes []Change
		check   func(Result) bool // the side effect, if the action has one
	}{
		{"category", Then{Category: "Billing"}, ticket(func(t *Ticket) { t.Category = "billing" }),
			[]Change{{"category", "", "billing", "r"}}, nil},
		{"impact", Then{Impact: "high"}, ticket(func(t *Ticket) { t.Impact = "High" }),
			[]Change{{"impact", "Low", "High", "r"}}, nil},
		{"urgency", Then{Urgency: "Urgent"}, ticket(func(t *Ticket) { t.Urgency = "Urgent" }),
			[]Change{{"urgency", "Normal", "Urgent", "r"}}, nil},
		{"priority", Then{Priority: "High"}, ticket(func(t *Ticket) { t.Priority = "High" }),
			[]Change{{"priority", "Medium", "High", "r"}}, nil},
		{"team", Then{Team: "billing"}, ticket(func(t *Ticket) { t.Team = "Billing" }),
			[]Change{{"team", "", "Billing", "r"}}, nil},
		{"assignee", Then{Assignee: "Maria@Desk.example"}, ticket(func(t *Ticket) { t.Assignee = "maria@desk.example" }),
			[]Change{{"assignee", "", "maria@desk.example", "r"}}, nil},
		{"status", Then{Status: "open"}, ticket(func(t *Ticket) { t.Status = "open" }),
			[]Change{{"status", "new", "open", "r"}}, nil},
		{"language", Then{Language: "sv"}, ticket(func(t *Ticket) { t.Language = "sv" }),
			[]Change{{"language", "en", "sv", "r"}}, nil},
		{"add_tags", Then{AddTags: []string{"vip", "EMAIL", "invoice"}}, ticket(func(t *Ticket) { t.Tags = []string{"email", "vip", "invoice"} }),
			[]Change{{"tags", "", "vip", "r"}, {"tags", "", "invoice", "r"}}, nil},
		{"remove_tags", Then{RemoveTags: []string{"Email", "absent"}}, ticket(func(t *Ticket) { t.Tags = []string{} }),
			[]Change{{"tags", "email", "", "r"}}, nil},
		{"add_cc", Then{AddCc: []string{"Finance@Acme.example"}}, same, nil,
			func(r Result) bool { return slices.Equal(r.AddCc, []string{"finance@acme.example"}) }},
		{"suppress_acknowledgement", Then{SuppressAcknowledgement: true}, same, nil,
			func(r Result) bool { return r.SuppressAcknowledgement && r.SuppressRule == "r" }},
		{"ignore", Then{Ignore: "known spammer"}, same, nil,
			func(r Result) bool { return r.Ignore == "known spammer" && r.IgnoreRule == "r" }},
		{"send", Then{Send: "VIP.welcome"}, same, nil,
			func(r Result) bool { return slices.Equal(r.Send, []Send{{"vip.welcome", "r"}}) }},
		{"sla", Then{SLA: "Enterprise"}, same, nil,
			func(r Result) bool { return r.SLA == "enterprise" && r.SLARule == "r" }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := mustCompile(t, []Rule{{Name: "r", On: OnCreated, When: when, Then: tt.then}})
			r := s.Evaluate(base)
			if got := r.Trace.Steps(); len(got) != 1 || !got[0].Matched {
				t.Fatalf("Evaluate(facts).Trace = %+v, want one matched step", got)
			}
			if !reflect.DeepEqual(r.Ticket, tt.ticket) {
				t.Errorf("Evaluate(facts).Ticket = %+v, want %+v", r.Ticket, tt.ticket)
			}
			if !slices.Equal(r.Changes, tt.changes) {
				t.Errorf("Evaluate(facts).Changes = %+v, want %+v", r.Changes, tt.changes)
			}
			if tt.check != nil && !tt.check(r) {
				t.Errorf("Evaluate(facts) = %+v, want the %s action applied", r, tt.name)
			}
		})
	}
	if !slices.Equal(base.Ticket.Tags, []string{"email"}) {
		t.Errorf("after Evaluate, facts.Ticket.Tags = %q, want [email] (Evaluate must not modify its input)", base.Ticket.Tags)
	}
}

func TestEvaluateOrderAndStop(t *testing.T) {
	s := mustCompile(t, []Rule{
		{Name: "invoices are billing", On: OnCreated, When: `lower(subject) contains "invoice"`, Then: Then{Category: "billing"}},
		{Name: "billing to the billing team", On: OnCreated, When: `ticket.category == "billing"`, Then: Then{Team: "Billing"}, Stop: true},
		{Name: "never reached", On: OnCreated, When: `true`, Then: Then{Team: "Support"}},
	})
	r := s.Evaluate(newTicketFacts())
	want := []Step{
		{Rule: "invoices are billing", Matched: true, Actions: []string{"category=billing"}},
		{Rule: "billing to the billing team", Matched: true, Stop: true, Actions: []string{"team=Billing"}},
	}
	if got := r.Trace.Steps(); !reflect.DeepEqual(got, want) {
		t.Errorf("Evaluate(facts).Trace = %+v, want %+v", got, want)
	}
	if r.Ticket.Team != "Billing" || r.Ticket.Category != "billing" {
		t.Errorf("Evaluate(facts).Ticket = %+v, want category billing, team Billing", r.Ticket)
	}
	wantChanges := []Change{
		{"category", "", "billing", "invoices are billing"},
		{"team", "", "Billing", "billing to the billing team"},
	}
	if !slices.Equal(r.Changes, wantChanges) {
		t.Errorf("Evaluate(facts).Changes = %+v, want %+v", r.Changes, wantChanges)
	}
}

func TestEvaluateIgnoreEndsEvaluation(t *testing.T) {
	s := mustCompile(t, []Rule{
		{Name: "ack", On: OnCreated, When: `true`, Then: Then{Send: "ticket.created"}},
		{Name: "newsletters", On: OnCreated, When: `class == "list" || header("List-Id") != ""`, Then: Then{Ignore: "newsletter", AddTags: []string{"spam"}}},
		{Name: "after", On: OnCreated, When: `true`, Then: Then{Team: "Support"}},
	})
	f := newTicketFacts()
	f.Headers["List-Id"] = "<news.acme.example>" // not lower case: header() must still find it
	r := s.Evaluate(f)
	if r.Ignore != "newsletter" || r.IgnoreRule != "newsletters" || r.Trace.Len() != 2 || r.Ticket.Team != "" {
		t.Errorf("Evaluate(newsletter) = ignore %q by %q, %d steps, team %q; want newsletter by newsletters, 2 steps, no team",
			r.Ignore, r.IgnoreRule, r.Trace.Len(), r.Ticket.Team)
	}
	if !r.Trace.Step(1).Stop {
		t.Errorf("Evaluate(newsletter).Trace.Step(1) = %+v, want Stop", r.Trace.Step(1))
	}
	if !slices.Equal(r.Send, []Send{{"ticket.created", "ack"}}) {
		t.Errorf("Evaluate(newsletter).Send = %+v, want the earlier rule's send kept", r.Send)
	}
}

func TestEvaluateTriggers(t *testing.T) {
	s := mustCompile(t, []Rule{
		{Name: "on create", On: OnCreated, When: `true`, Then: Then{AddTags: []string{"created"}}},
		{Name: "on reply", On: OnMessage, When: `true`, Then: Then{AddTags: []string{"replied"}}},
		{Name: "on update", On: OnUpdated, When: `previous.priority != ticket.priority`, Then: Then{AddTags: []string{"reprioritised"}}},
	})
	for _, tt := range []struct {
		event string
		want  []string
	}{
		{OnCreated, []string{"on create"}},
		{OnMessage, []string{"on reply"}},
		{OnUpdated, []string{"on update"}},
		{"ticket.deleted", nil},
	} {
		f := newTicketFacts()
		f.Event = tt.event
		if tt.event == OnUpdated {
			f.Previous = f.Ticket
			f.Ticket.Priority = "High"
		}
		var got []string
		for _, st := range s.Evaluate(f).Trace.Steps() {
			got = append(got, st.Rule)
		}
		if !slices.Equal(got, tt.want) {
			t.Errorf("Evaluate(event %s).Trace rules = %q, want %q", tt.event, got, tt.want)
		}
	}
}

func TestEvaluateRuntimeError(t *testing.T) {
	s := mustCompile(t, []Rule{
		{Name: "first cc", On: OnCreated, When: `cc[3] == "x@acme.example"`, Then: Then{Team: "Support"}},
		{Name: "after", On: OnCreated, When: `true`, Then: Then{Team: "Billing"}},
	})
	r := s.Evaluate(newTicketFacts())
	want := Step{Rule: "first cc", Err: "line 1, column 3: index out of range: 3 (array length is 1)"}
	if got := r.Trace.Step(0); !reflect.DeepEqual(got, want) {
		t.Errorf("Evaluate(facts).Trace.Step(0) = %+v, want %+v", got, want)
	}
	if r.Ticket.Team != "Billing" {
		t.Errorf("Evaluate(facts).Ticket.Team = %q, want Billing (a failing rule does not stop evaluation)", r.Ticket.Team)
	}
}

// TestEvaluateConditions checks the facts conditions read, one condition
// per row, against newTicketFacts.
func TestEvaluateConditions(t *testing.T) {
	tests := []struct {
		when string
		want bool
	}{
		{`header("X-Priority") startsWith "1"`, true},
		{`header("x-priority") == header("X-PRIORITY")`, true},
		{`header("X-Spam-Flag") == ""`, true},
		{`any(attachments, .type == "application/pdf")`, true},
		{`any(attachments, lower(.name) endsWith ".pdf" && .size > 50000)`, true},
		{`all(attachments, .size < 1e6)`, true},
		{`none(attachments, .type startsWith "application/x-msdownload")`, true},
		{`one(attachments, .type startsWith "image/")`, true},
		{`len(attachments) == 2`, true},
		{`count(attachments, .type == "image/png") > 1`, false},
		{`business_hours && weekday in ["mon", "tue", "wed", "thu", "fri"] && hour >= 8 && hour < 17`, true},
		{`!business_hours || weekday == "sat"`, false},
		{`from.address == "ann.berg@acme.example" && from.name contains "Berg"`, true},
		{`from.domain endsWith ".gov"`, false},
		{`"billing@desk.example" in to && len(cc) == 1`, true},
		{`queue == "billing@desk.example" && mailbox == "support"`, true},
		{`subject matches "(?i)\\binvoice\\s+\\d{4}-\\d+"`, true},
		{`text contains "reminder" && full_text contains "Acme AB"`, true},
		{`known_requester && class == "human" && language == "en"`, true},
		{`ticket.number > 4000 && "email" in ticket.tags && ticket.priority in ["Medium", "Low"]`, true},
		{`event == "ticket.created"`, true},
	}
	f := newTicketFacts()
	for _, tt := range tests {
		s := mustCompile(t, []Rule{{Name: "r", On: OnCreated, When: tt.when, Then: Then{Team: "Billing"}}})
		st := s.Evaluate(f).Trace.Step(0)
		if st.Matched != tt.want || st.Err != "" {
			t.Errorf("Evaluate(%s) = matched %v, error %q; want matched %v", tt.when, st.Matched, st.Err, tt.want)
		}
	}
}

func TestEvaluateSideEffectsOnce(t *testing.T) {
	s := mustCompile(t, []Rule{
		{Name: "a", On: OnCreated, When: `true`, Then: Then{AddCc: []string{"finance@acme.example"}, Send: "vip.welcome", SLA: "standard", SuppressAcknowledgement: true}},
		{Name: "b", On: OnCreated, When: `true`, Then: Then{AddCc: []string{"finance@acme.example", "cfo@acme.example"}, Send: "vip.welcome", SLA: "enterprise", SuppressAcknowledgement: true}},
	})
	r := s.Evaluate(newTicketFacts())
	if !slices.Equal(r.AddCc, []string{"finance@acme.example", "cfo@acme.example"}) {
		t.Errorf("Evaluate(facts).AddCc = %q, want each address once", r.AddCc)
	}
	if !slices.Equal(r.Send, []Send{{"vip.welcome", "a"}}) {
		t.Errorf("Evaluate(facts).Send = %+v, want the template once, from a", r.Send)
	}
	if r.SLA != "enterprise" || r.SLARule != "b" || r.SuppressRule != "a" {
		t.Errorf("Evaluate(facts) = SLA %q by %q, suppressed by %q; want enterprise by b, suppressed by a", r.SLA, r.SLARule, r.SuppressRule)
	}
}

func TestEvaluateNoChangeIsNotAChange(t *testing.T) {
	s := mustCompile(t, []Rule{{Name: "r", On: OnCreated, When: `true`, Then: Then{Status: "new", Priority: "medium"}}})
	if r := s.Evaluate(newTicketFacts()); len(r.Changes) != 0 {
		t.Errorf("Evaluate(facts).Changes = %+v, want none (values already set)", r.Changes)
	}
}

func TestTraceJSON(t *testing.T) {
	s := mustCompile(t, []Rule{
		{Name: "miss", On: OnCreated, When: `subject == "x"`, Then: Then{Team: "Support"}},
		{Name: "hit", On: OnCreated, When: `true`, Then: Then{Team: "Billing", AddTags: []string{"a", "b"}}},
	})
	b, err := json.Marshal(s.Evaluate(newTicketFacts()).Trace)
	if err != nil {
		t.Fatal(err)
	}
	want := `[{"rule":"miss","matched":false},{"rule":"hit","matched":true,"actions":["team=Billing","add_tags=a,b"]}]`
	if string(b) != want {
		t.Errorf("json.Marshal(Trace) = %s, want %s", b, want)
	}
	if fired := s.Evaluate(newTicketFacts()).Trace.Fired(); len(fired) != 1 || fired[0].Rule != "hit" {
		t.Errorf("Trace.Fired() = %+v, want only hit", fired)
	}
}

// TestEvaluateConcurrent is for the race detector: a Set is shared.
func TestEvaluateConcurrent(t *testing.T) {
	s := mustCompile(t, benchRules(200))
	f := benchFacts()
	want := s.Evaluate(f)
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() {
			for range 50 {
				if got := s.Evaluate(f); !reflect.DeepEqual(got.Trace.Steps(), want.Trace.Steps()) || !reflect.DeepEqual(got.Ticket, want.Ticket) {
					t.Errorf("concurrent Evaluate(facts) = %+v, want %+v", got.Ticket, want.Ticket)
					return
				}
			}
		})
	}
	wg.Wait()
}

func TestWeekday(t *testing.T) {
	var got []string
	for d := time.Sunday; d <= time.Saturday; d++ {
		got = append(got, Weekday(d))
	}
	if want := "sun mon tue wed thu fri sat"; strings.Join(got, " ") != want {
		t.Errorf("Weekday(Sunday…Saturday) = %q, want %q", got, want)
	}
}
