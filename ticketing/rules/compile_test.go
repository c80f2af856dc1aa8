package rules

import (
	"errors"
	"reflect"
	"strings"
	"testing"
)

func TestCompileErrors(t *testing.T) {
	ok := Rule{Name: "ok", On: OnCreated, When: `true`, Then: Then{Team: "Support"}}
	tests := []struct {
		name  string
		rules []Rule
		want  []string // the error's lines
	}{
		{"unknown name", []Rule{ok, ok, {Name: "VIP", On: OnCreated, When: `from.domain == frm.x`, Then: Then{Priority: "High"}}},
			[]string{
				`rules[1] "ok": name: duplicate of rules[0] "ok"`,
				`rules[2] "VIP": when: line 1, column 16: unknown name frm`,
			}},
		{"multi-line condition", []Rule{{Name: "outage", On: OnCreated, When: "subject contains \"down\"\n  && from.domian == \"acme.example\"", Then: Then{Category: "outage"}}},
			[]string{`rules[0] "outage": when: line 2, column 11: type rules.Person has no field domian`}},
		{"columns count characters", []Rule{{Name: "sv", On: OnCreated, When: `subject == "Fråga" && lang == "sv"`, Then: Then{Language: "sv"}}},
			[]string{`rules[0] "sv": when: line 1, column 23: unknown name lang`}},
		{"syntax", []Rule{{Name: "paren", On: OnCreated, When: `(subject == "x"`, Then: Then{Team: "Support"}}},
			[]string{`rules[0] "paren": when: line 1, column 15: unexpected token EOF`}},
		{"bad regexp", []Rule{{Name: "re", On: OnCreated, When: `subject matches "[a-"`, Then: Then{Team: "Support"}}},
			[]string{"rules[0] \"re\": when: line 1, column 9: error parsing regexp: missing closing ]: `[a-`"}},
		{"type mismatch", []Rule{{Name: "night", On: OnCreated, When: `hour > "18"`, Then: Then{Team: "Support"}}},
			[]string{`rules[0] "night": when: line 1, column 6: invalid operation: > (mismatched types int and string)`}},
		{"not a bool", []Rule{{Name: "subj", On: OnCreated, When: `subject`, Then: Then{Team: "Support"}}},
			[]string{`rules[0] "subj": when: expected bool, but got string`}},
		{"unknown type", []Rule{{Name: "json", On: OnCreated, When: `fromJSON(text)`, Then: Then{Team: "Support"}}},
			[]string{`rules[0] "json": when: expected bool, but got interface {}`}},
		{"header arguments", []Rule{{Name: "h", On: OnCreated, When: `header() == ""`, Then: Then{Team: "Support"}}},
			[]string{`rules[0] "h": when: line 1, column 1: not enough arguments to call header`}},
		{"no clock", []Rule{{Name: "clock", On: OnCreated, When: `now().Hour() > 17`, Then: Then{Team: "Support"}}},
			[]string{`rules[0] "clock": when: line 1, column 1: unknown name now (conditions have no clock: use hour, weekday and business_hours)`}},
		{"hidden fields", []Rule{{Name: "raw", On: OnCreated, When: `Headers["x"] == "" || Now == nil`, Then: Then{Team: "Support"}}},
			[]string{`rules[0] "raw": when: line 1, column 1: unknown name Headers`}},
		{"constant", []Rule{{Name: "always", On: OnCreated, When: `1 < 2`, Then: Then{Team: "Support"}}},
			[]string{`rules[0] "always": when: constant condition reads no fact; write true to match every event`}},
		{"false", []Rule{{Name: "never", On: OnCreated, When: `false`, Then: Then{Team: "Support"}}},
			[]string{`rules[0] "never": when: constant condition reads no fact; write true to match every event`}},
		{"empty condition", []Rule{{Name: "e", On: OnCreated, When: " \n", Then: Then{Team: "Support"}}},
			[]string{`rules[0] "e": when: missing; write true to match every event`}},
		{"previous outside updates", []Rule{{Name: "p", On: OnMessage, When: `ticket.status == "pending" && previous.status == "open"`, Then: Then{Status: "open"}}},
			[]string{`rules[0] "p": when: line 1, column 31: previous is only set on ticket.updated`}},
		{"names and triggers", []Rule{
			{Name: "", On: OnCreated, When: `true`, Then: Then{Team: "Support"}},
			{Name: " padded", On: "", When: `true`, Then: Then{Team: "Support"}},
			{Name: "VIP", On: "ticket.create", When: `true`, Then: Then{Team: "Support"}},
			{Name: "vip", On: OnCreated, When: `true`, Then: Then{Team: "Support"}},
		}, []string{
			`rules[0]: name: missing`,
			`rules[1] " padded": name: leading or trailing space`,
			`rules[1] " padded": on: missing; want ticket.created, message.received or ticket.updated`,
			`rules[2] "VIP": on: unknown trigger "ticket.create"; want ticket.created, message.received or ticket.updated`,
			`rules[3] "vip": name: duplicate of rules[2] "VIP"`,
		}},
		{"no action", []Rule{{Name: "idle", On: OnCreated, When: `true`}},
			[]string{`rules[0] "idle": then: no action`}},
		{"values not allowed", []Rule{{Name: "v", On: OnCreated, When: `true`, Then: Then{
			Category: "Invoices", Impact: "Huge", Urgency: "ASAP", Priority: "Hgh", Team: "Sales", Status: "waiting",
			Language: "de", Send: "welcome", SLA: "gold", Assignee: "bob@desk.example",
		}}}, []string{
			`rules[0] "v": then.category: unknown value "Invoices"; allowed: billing, outage, access, spam`,
			`rules[0] "v": then.impact: unknown value "Huge"; allowed: Low, Medium, High`,
			`rules[0] "v": then.urgency: unknown value "ASAP"; allowed: Low, Normal, High, Urgent`,
			`rules[0] "v": then.priority: unknown value "Hgh"; allowed: High, Normal, Medium, Low`,
			`rules[0] "v": then.team: unknown value "Sales"; allowed: Billing, Support, Security`,
			`rules[0] "v": then.status: unknown value "waiting"; allowed: new, open, pending, resolved, closed`,
			`rules[0] "v": then.language: unknown value "de"; allowed: en, sv, zh`,
			`rules[0] "v": then.send: unknown value "welcome"; allowed: ticket.created, vip.welcome, outage.known`,
			`rules[0] "v": then.sla: unknown value "gold"; allowed: standard, enterprise`,
			`rules[0] "v": then.assignee: unknown value "bob@desk.example"; allowed: maria@desk.example, li.wei@desk.example`,
		}},
		{"tags and addresses", []Rule{{Name: "t", On: OnCreated, When: `true`, Then: Then{
			AddTags: []string{"vip", " b", "", "VIP"}, RemoveTags: []string{"Vip"},
			AddCc: []string{"Ann <ann@acme.example>", "cfo@acme.example", "CFO@acme.example", "nobody"},
		}}}, []string{
			`rules[0] "t": then.add_tags[1]: leading or trailing space in " b"`,
			`rules[0] "t": then.add_tags[2]: blank tag`,
			`rules[0] "t": then.add_tags[3]: duplicate "VIP"`,
			`rules[0] "t": then.remove_tags[0]: "Vip" is also in add_tags`,
			`rules[0] "t": then.add_cc[0]: "Ann <ann@acme.example>" is not a bare mail address`,
			`rules[0] "t": then.add_cc[2]: duplicate "cfo@acme.example"`,
			`rules[0] "t": then.add_cc[3]: "nobody" is not a bare mail address`,
		}},
		{"ignore with other actions", []Rule{{Name: "spam", On: OnCreated, When: `class == "list"`, Then: Then{
			Ignore: "bulk", Send: "ticket.created", Team: "Support", AddTags: []string{"spam"},
		}}}, []string{
			`rules[0] "spam": then.ignore: cannot be combined with team, send (only with add_tags and remove_tags)`,
		}},
		{"blank values", []Rule{{Name: "b", On: OnCreated, When: `true`, Then: Then{Ignore: " ", Team: " Support"}}},
			[]string{
				`rules[0] "b": then.team: leading or trailing space in " Support"`,
				`rules[0] "b": then.ignore: blank reason`,
				`rules[0] "b": then.ignore: cannot be combined with team (only with add_tags and remove_tags)`,
			}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := Compile(tt.rules, opts)
			if err == nil {
				t.Fatalf("Compile(%s) = %v, nil; want errors %q", tt.name, s, tt.want)
			}
			if got := strings.Split(err.Error(), "\n"); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("Compile(%s) = %q, want %q", tt.name, got, tt.want)
			}
			var le *LoadError
			if !errors.As(err, &le) {
				t.Errorf("Compile(%s) = %T, want an error holding a *LoadError", tt.name, err)
			}
		})
	}
}

func TestLoadErrorFields(t *testing.T) {
	_, err := Compile([]Rule{
		{Name: "ok", On: OnCreated, When: `true`, Then: Then{Team: "Support"}},
		{Name: "VIP", On: OnCreated, When: "class == \"human\" &&\n  frm.domain == \"acme.example\"", Then: Then{Priority: "High"}},
	}, opts)
	var errs []*LoadError
	for _, e := range err.(interface{ Unwrap() []error }).Unwrap() {
		errs = append(errs, e.(*LoadError))
	}
	want := []*LoadError{{Rule: 1, Name: "VIP", Field: "when", Line: 2, Column: 3, Msg: "unknown name frm"}}
	if !reflect.DeepEqual(errs, want) {
		t.Errorf("Compile(VIP with frm) errors = %+v, want %+v", errs, want)
	}
}

func TestCompileCanonicalValues(t *testing.T) {
	s, err := Compile([]Rule{{Name: "r", On: OnCreated, When: `true`, Then: Then{
		Category: "BILLING", Priority: "high", Team: "security", Assignee: "Li.Wei@Desk.Example", Send: "Outage.Known",
	}}}, opts)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"category=billing", "priority=High", "team=Security", "assignee=li.wei@desk.example", "send=outage.known"}
	if got := s.Evaluate(newTicketFacts()).Trace.Step(0).Actions; !reflect.DeepEqual(got, want) {
		t.Errorf("Evaluate(…).Trace.Step(0).Actions = %q, want %q", got, want)
	}
}

func TestCompileAnyValueWithoutList(t *testing.T) {
	s, err := Compile([]Rule{{Name: "r", On: OnCreated, When: `true`, Then: Then{Category: "Anything", Assignee: "Someone@Desk.example"}}}, Options{})
	if err != nil {
		t.Fatalf("Compile(any values, no lists) = %v, want no error", err)
	}
	if got := s.Evaluate(newTicketFacts()).Ticket; got.Category != "Anything" || got.Assignee != "someone@desk.example" {
		t.Errorf("Evaluate(…).Ticket = %+v, want category Anything, assignee someone@desk.example", got)
	}
	if s.Len() != 1 {
		t.Errorf("Len() = %d, want 1", s.Len())
	}
}

func TestCompileEmpty(t *testing.T) {
	s, err := Compile(nil, opts)
	if err != nil || s.Len() != 0 {
		t.Fatalf("Compile(nil) = %v, %v; want an empty set", s, err)
	}
	r := s.Evaluate(newTicketFacts())
	if r.Trace.Len() != 0 || !reflect.DeepEqual(r.Ticket, newTicketFacts().Ticket) {
		t.Errorf("Evaluate(facts) on an empty set = %+v, want the ticket unchanged", r)
	}
}
