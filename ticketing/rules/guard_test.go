package rules

import (
	"reflect"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"
)

// guardConditions exercise every construct guards translate, and some they
// only partly translate.
var guardConditions = []string{
	`from.domain == "acme.example"`,
	`"acme.example" == from.domain`,
	`from.domain != "acme.example"`,
	`from.domain in ["acme.example", "globex.example"]`,
	`from.domain not in ["acme.example"]`,
	`"bob@acme.example" in cc`,
	`"billing@desk.example" not in to`,
	`"email" in ticket.tags && "vip" not in previous.tags`,
	`subject contains "Invoice" && subject startsWith "Inv" && subject endsWith "?"`,
	`lower(subject) contains "invoice 2024"`,
	`lower(from.name) == "ann berg"`,
	`text contains "reminder today" || full_text contains "Acme AB"`,
	`text contains "kelvin" || lower(text) contains "please check"`,
	`subject matches "(?i)invoice\\s+\\d+"`,
	`subject matches "^Invoice [0-9]{4}"`,
	`subject matches "(?i)^(re: |fwd: )*fråga"`,
	`text matches "(?i)kelvin"`,
	`text matches "(?i)support"`,
	`text contains "got a reminder" && lower(text) contains "got a reminder"`,
	`text matches "(?i)please\\s+check"`,
	`lower(subject) matches "invoice"`,
	`header("X-Priority") startsWith "1" && header("importance") == "high"`,
	`header("List-Id") == ""`,
	`lower(header("Importance")) == "high"`,
	`hour >= 9 && hour < 17 && !(weekday in ["sat", "sun"])`,
	`hour > 8.5 && ticket.number != 0 && previous.number == 0`,
	`business_hours || not known_requester`,
	`len(attachments) > 1 && len(cc) == 1 && len(ticket.tags) < 3`,
	`any(attachments, .type == "application/pdf")`,
	`any(attachments, #.size > 80000 and lower(#.name) endsWith ".pdf")`,
	`all(attachments, .size < 1000000 || .type startsWith "image/")`,
	`none(attachments, .name matches "(?i)\\.(exe|scr)$")`,
	`one(attachments, .type in ["image/png", "image/jpeg"])`,
	`ticket.category == "" && ticket.priority in ["Medium", "Low"] && ticket.status != "closed"`,
	`class == "human" && cc[0] == "bob@acme.example"`,
	`class == "human" && attachments[2].size > 0`,
	`(mailbox == "support" || queue endsWith "@desk.example") && language in ["en", "sv"]`,
	`event == "ticket.created" && from.address startsWith "ann"`,
	`any(attachments, .name contains subject)`,
	`let d = from.domain; d == "acme.example"`,
	`subject == "x" || upper(subject) == "INVOICE"`,
}

func guardFacts() []Facts {
	long := newTicketFacts()
	long.Text = strings.Repeat("We paid the invoice but got a reminder. ", 8) + "Please   CHECK the \u212aelvin sign; ask \u017fupport."
	long.Subject = "FWD: Fråga om faktura"
	long.Headers = map[string]string{"X-Priority": "1", "Importance": "High", "List-Id": "<x>"}
	long.Attachments = []Attachment{{Name: "virus.EXE", Type: "application/octet-stream", Size: 1 << 21}}
	long.Weekday, long.Hour, long.BusinessHours = "sat", 8, false
	noAttach := newTicketFacts()
	noAttach.Attachments, noAttach.Cc = nil, nil
	updated := newTicketFacts()
	updated.Event = OnUpdated
	updated.Previous = updated.Ticket
	updated.Previous.Tags = []string{"vip"}
	return []Facts{newTicketFacts(), benchFacts(), long, noAttach, updated, {Event: OnCreated}}
}

// TestGuardAgreesWithExpr checks the promise guards make: a false guard means
// the program returns false without error, and a complete guard equals the
// program.
func TestGuardAgreesWithExpr(t *testing.T) {
	var rs []Rule
	for _, when := range guardConditions {
		rs = append(rs, Rule{Name: when, On: OnUpdated, When: when, Then: Then{Team: "Support"}})
	}
	s := mustCompile(t, rs)
	guarded := 0
	for _, r := range s.all {
		if r.guard != nil {
			guarded++
		}
		for i, f := range guardFacts() {
			checkGuard(t, r, f, i)
		}
	}
	if guarded < len(guardConditions)-4 {
		t.Errorf("buildGuard(guardConditions) = %d guards of %d, want all but the last four", guarded, len(guardConditions))
	}
}

// checkGuard compares r's guard with its program on f (facts number i).
func checkGuard(t *testing.T, r *rule, f Facts, i int) {
	t.Helper()
	if r.guard == nil || r.program == nil {
		return
	}
	st := newState().(*state)
	st.Facts = f
	g := r.guard(st)
	out, err := st.vm.Run(r.program, st.boxed)
	got, _ := out.(bool)
	switch {
	case !g && (err != nil || got):
		t.Errorf("guard(%s, facts %d) = false, want true: expr = %v, %v", r.When, i, out, err)
	case r.exact && (err != nil || g != got):
		t.Errorf("complete guard(%s, facts %d) = %v, want expr's %v, %v", r.When, i, g, out, err)
	}
}

func TestGuardCompleteness(t *testing.T) {
	for _, tt := range []struct {
		when            string
		guard, complete bool
	}{
		{`from.domain == "a"`, true, true},
		{`from.domain == "a" && cc[0] == "b"`, true, false},
		{`cc[0] == "b" && from.domain == "a"`, false, false}, // the error must still surface
		{`let d = from.domain; d == "a"`, false, false},
		{`any(attachments, .name contains subject)`, false, false},
	} {
		s := mustCompile(t, []Rule{{Name: "r", On: OnCreated, When: tt.when, Then: Then{Team: "Support"}}})
		r := s.all[0]
		if (r.guard != nil) != tt.guard || r.exact != tt.complete {
			t.Errorf("buildGuard(%s) = guard %v, complete %v; want %v, %v", tt.when, r.guard != nil, r.exact, tt.guard, tt.complete)
		}
	}
}

func TestRequiredLiterals(t *testing.T) {
	for _, tt := range []struct {
		pattern string
		want    []literal
	}{
		{`invoice`, []literal{{"invoice", false}}},
		{`(?i)^(re: )?Ticket-5\b`, []literal{{"ticket-5", true}}},
		{`order #(\d+) (shipped|delayed)`, []literal{{"order #", false}, {" ", false}}},
		{`(ab)+c{2,}x?`, []literal{{"ab", false}, {"c", false}}},
		{`(?i)fråga`, nil},
		{`a|b`, nil},
		{`\x{FFFD}x`, nil},
		{`\x{FFFD}+x`, []literal{{"x", false}}},
	} {
		if got := requiredLiterals(tt.pattern); !reflect.DeepEqual(got, tt.want) {
			t.Errorf("requiredLiterals(%q) = %v, want %v", tt.pattern, got, tt.want)
		}
	}
}

func TestPairs(t *testing.T) {
	text := strings.Repeat("Hello, we paid invoice 2024-113 on 3 March. ", 4)
	var p pairs
	p.add(text)
	for i := 0; i+2 <= len(text); i++ {
		for j := i + 2; j <= len(text) && j < i+12; j++ {
			if !p.mayContain(needlePairs(text[i:j])) {
				t.Fatalf("pairs(text).mayContain(%q) = false, want true (it is in the text)", text[i:j])
			}
		}
	}
	if p.mayContain(needlePairs("zyxwv")) {
		t.Errorf("pairs(text).mayContain(%q) = true, want false", "zyxwv")
	}
}

// TestFactTables keeps the hand-written tables in step with Facts.
func TestFactTables(t *testing.T) {
	if p := stringFacts[numMessageFacts].path; p != "ticket.status" {
		t.Errorf("stringFacts[numMessageFacts].path = %q, want ticket.status (the first ticket field)", p)
	}
	ft := reflect.TypeFor[Facts]()
	for i := range ft.NumField() {
		name := ft.Field(i).Tag.Get("expr")
		if name != "-" && !factNames[name] {
			t.Errorf("factNames[%q] = false, want true (Facts.%s)", name, ft.Field(i).Name)
		}
	}
}

func TestPrefilter(t *testing.T) {
	for _, tt := range []struct {
		pattern string
		want    [][]literal
	}{
		{`invoice`, [][]literal{{{"invoice", false}}}},
		{`(?i)colleagues|avdelningen|whole floor`, [][]literal{{{"colleagues", true}}, {{"avdelningen", true}}, {{"whole floor", true}}}},
		{`(?i)(vpn|tunnel)`, [][]literal{{{"vpn", true}}, {{"tunnel", true}}}},
		{`(?i)password|lösenord`, nil}, // a branch with no ASCII literal
		{`a|\d+`, nil},
	} {
		if got := prefilter(tt.pattern); !reflect.DeepEqual(got, tt.want) {
			t.Errorf("prefilter(%q) = %v, want %v", tt.pattern, got, tt.want)
		}
	}
}

// TestFoldASCIICoversEveryFold checks foldASCII's premise: the only runes
// outside ASCII that fold to an ASCII letter are the two it turns.
func TestFoldASCIICoversEveryFold(t *testing.T) {
	for r := rune(0); r < utf8.RuneSelf; r++ {
		for f := unicode.SimpleFold(r); f != r; f = unicode.SimpleFold(f) {
			if f >= utf8.RuneSelf && foldASCII(string(f)) != strings.ToLower(string(r)) {
				t.Errorf("%U folds to %q but foldASCII gives %q", f, r, foldASCII(string(f)))
			}
		}
	}
	if got := foldASCII("Ärende \u212aEY, Pa\u017f\u017fWORD \xff"); got != "Ärende key, password \xff" {
		t.Errorf("foldASCII = %q", got)
	}
}

func TestMatchesOnFoldedUnicodeText(t *testing.T) {
	// A (?i) pattern must still match where the text's only spelling of
	// its literal uses a rune that folds to an ASCII letter.
	set := mustCompile(t, []Rule{{Name: "k", On: OnCreated, When: `text matches "(?i)kelvin|phishing"`, Then: Then{Category: "access"}}})
	for _, text := range []string{"Måste rapportera \u212aELVIN", "ett PHI\u017fHING-mejl", strings.Repeat("ö", 200) + " Phishing"} {
		res := set.Evaluate(Facts{Event: OnCreated, Text: text})
		if res.Ticket.Category != "access" {
			t.Errorf("text %q: category %q, want access", text, res.Ticket.Category)
		}
	}
	if res := set.Evaluate(Facts{Event: OnCreated, Text: strings.Repeat("ö", 200) + " nothing"}); res.Ticket.Category != "" {
		t.Errorf("unrelated text: category %q", res.Ticket.Category)
	}
}
