package config

import (
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"
)

// defaultOffice is the calendar of a file that has none, as documented.
func defaultOffice() Calendar {
	return Calendar{Name: "office", TimeZone: "UTC",
		Mon: "08:00-17:00", Tue: "08:00-17:00", Wed: "08:00-17:00", Thu: "08:00-17:00", Fri: "08:00-17:00"}
}

func TestCalendars(t *testing.T) {
	const yaml = minimal + `calendars:
  - name: stockholm
    time_zone: Europe/Stockholm
    mon: 08:00-12:00, 13:00-17:00
    tue: "08:00-12:00,13:00-17:00"
    wed: 08:00 - 12:00 , 13:00-17:00
    thu: 08:00-12:00,12:00-24:00
    fri: 08:00-15:00
    sat: ''
    holidays: [se, DK]
    closed: [2026-12-24]
  - name: shanghai
    time_zone: Asia/Shanghai
    mon: 09:00-18:00
    fri: 09:00-18:00
    open: [2026-02-28]
  - name: plain
`
	c, err := Parse([]byte(yaml), "deskgate.yaml", testEnv)
	if err != nil {
		t.Fatalf("Parse error: %v", err)
	}
	want := []Calendar{{
		Name: "stockholm", TimeZone: "Europe/Stockholm",
		Mon: "08:00-12:00,13:00-17:00", Tue: "08:00-12:00,13:00-17:00", Wed: "08:00-12:00,13:00-17:00",
		Thu: "08:00-12:00,12:00-24:00", Fri: "08:00-15:00",
		Holidays: []string{"se", "dk"}, Closed: []string{"2026-12-24"},
	}, {
		Name: "shanghai", TimeZone: "Asia/Shanghai", Mon: "09:00-18:00", Fri: "09:00-18:00", Open: []string{"2026-02-28"},
	}, {
		Name: "plain", TimeZone: "UTC", Mon: "08:00-17:00", Tue: "08:00-17:00", Wed: "08:00-17:00", Thu: "08:00-17:00", Fri: "08:00-17:00",
	}}
	if !reflect.DeepEqual(c.Calendars, want) {
		t.Errorf("Calendars =\n%+v, want\n%+v", c.Calendars, want)
	}
	if got := c.Calendar("shanghai"); got != &c.Calendars[1] {
		t.Errorf("Calendar(shanghai) = %p, want &c.Calendars[1]", got)
	}
	if got := c.Calendar("office"); got != nil {
		t.Errorf("Calendar(office) = %+v, want nil: the file has calendars", got)
	}
	if got, want := c.Calendar("shanghai").Days(), map[time.Weekday]string{time.Monday: "09:00-18:00", time.Friday: "09:00-18:00"}; !reflect.DeepEqual(got, want) {
		t.Errorf("Days() = %v, want %v", got, want)
	}
	if got := c.Calendar("stockholm").Days(); len(got) != 5 || got[time.Monday] != "08:00-12:00,13:00-17:00" || got[time.Saturday] != "" {
		t.Errorf("Days() = %v, want Monday to Friday", got)
	}
	if got := c.SLA.Policies[0].Calendar; got != "stockholm" {
		t.Errorf("default policy's calendar = %q, want the first calendar", got)
	}
}

func TestParseHours(t *testing.T) {
	tests := []struct {
		in   string
		want []span
		msg  string
	}{
		{"", nil, ""},
		{"  ", nil, ""},
		{"00:00-24:00", []span{{0, 1440}}, ""},
		{"08:00-12:00,12:00-17:30", []span{{480, 720}, {720, 1050}}, ""},
		{"8:00-17:00", nil, hoursExample},
		{"08:00", nil, hoursExample},
		{"08:00-17:00,", nil, hoursExample},
		{"08:60-17:00", nil, hoursExample},
		{"08:00-24:01", nil, hoursExample},
		{"08:00-25:00", nil, hoursExample},
		{"08:00–17:00", nil, hoursExample}, // an en dash
		{"17:00-08:00", nil, "the span must start before it ends"},
		{"08:00-08:00", nil, "the span must start before it ends"},
		{"08:00-12:00, 13:00-13:00", nil, "span 2 must start before it ends"},
		{"13:00-17:00, 08:00-12:00", nil, "span 2 must start at or after the end of span 1 (spans in order, not overlapping)"},
		{"08:00-12:00, 11:00-17:00", nil, "span 2 must start at or after the end of span 1 (spans in order, not overlapping)"},
	}
	for _, tt := range tests {
		got, msg := parseHours(tt.in)
		if !reflect.DeepEqual(got, tt.want) && !(len(got) == 0 && len(tt.want) == 0) || msg != tt.msg {
			t.Errorf("parseHours(%q) = %v, %q, want %v, %q", tt.in, got, msg, tt.want, tt.msg)
		}
	}
}

func TestCalendarsProblems(t *testing.T) {
	tests := []struct {
		name string
		yaml string
		want []string // Problem.String()
	}{
		{"empty list", minimal + "calendars: []\n", []string{
			"10:12: calendars: must not be empty (leave the key out for the default calendar, office)"}},
		{"names", minimal + "calendars:\n  - time_zone: UTC\n  - name: Office\n  - name: x\n  - name: x\n", []string{
			"11:5: calendars[0].name: is required",
			"12:11: calendars[1].name: must be 1 to 64 of a-z, 0-9, _ and -",
			"14:11: calendars[3].name: duplicate calendar name (first at line 13)"}},
		{"time zones", minimal + "calendars:\n  - {name: a, time_zone: Europe/Stokholm}\n  - {name: b, time_zone: Local}\n  - {name: c, time_zone: ''}\n  - {name: d, time_zone: ../../etc/passwd}\n", []string{
			"11:26: calendars[0].time_zone: unknown time zone (use an IANA name such as Europe/Stockholm, or UTC)",
			"12:26: calendars[1].time_zone: must be an IANA name such as Europe/Stockholm, not Local (which depends on the machine)",
			"13:26: calendars[2].time_zone: must not be empty",
			"14:26: calendars[3].time_zone: unknown time zone (use an IANA name such as Europe/Stockholm, or UTC)"}},
		{"hours", minimal + `calendars:
  - name: a
    mon: 8-17
    tue: 17:00-08:00
    wed: 08:00-12:00, 11:00-17:00
    thu: [08:00-17:00]
    fri: 08:00-12:00, 12:00-12:00
`, []string{
			"12:10: calendars[0].mon: " + hoursExample,
			"13:10: calendars[0].tue: the span must start before it ends",
			"14:10: calendars[0].wed: span 2 must start at or after the end of span 1 (spans in order, not overlapping)",
			"15:10: calendars[0].thu: must be a string, not a list",
			"16:10: calendars[0].fri: span 2 must start before it ends"}},
		{"no working hours", minimal + "calendars:\n  - name: a\n    mon: ''\n    sun:\n", []string{
			"11:5: calendars[0]: has no working hours on any day (leave all days out for Mon–Fri 08:00-17:00)"}},
		{"holidays", minimal + "calendars:\n  - name: a\n    holidays: [se, cn, au, '', Se, ecb, de-by]\n", []string{
			"12:20: calendars[0].holidays[1]: rickar/cal has no holidays for China: list its public holidays under closed and its make-up working days under open",
			"12:24: calendars[0].holidays[2]: must be a country whose holidays rickar/cal knows: " + strings.Join(holidayCountries, ", "),
			"12:28: calendars[0].holidays[3]: must not be empty",
			"12:32: calendars[0].holidays[4]: duplicate country (first at line 12)",
			"12:36: calendars[0].holidays[5]: must be a country whose holidays rickar/cal knows: " + strings.Join(holidayCountries, ", "),
			"12:41: calendars[0].holidays[6]: must be a country whose holidays rickar/cal knows: " + strings.Join(holidayCountries, ", ")}},
		{"dates", minimal + `calendars:
  - name: a
    closed: [2026-12-24, 2026-02-30, 24/12/2026, 2026-12-24, '']
    open: [2026-02-28, 2026-12-24, 2026-02-28, 2026-13-01]
`, []string{
			"12:26: calendars[0].closed[1]: must be a date written YYYY-MM-DD, such as 2026-12-24",
			"12:38: calendars[0].closed[2]: must be a date written YYYY-MM-DD, such as 2026-12-24",
			"12:50: calendars[0].closed[3]: duplicate date (first at line 12)",
			"12:62: calendars[0].closed[4]: must be a date written YYYY-MM-DD, such as 2026-12-24",
			"13:24: calendars[0].open[1]: is also a closed date (line 12); a date cannot be both",
			"13:36: calendars[0].open[2]: duplicate date (first at line 13)",
			"13:48: calendars[0].open[3]: must be a date written YYYY-MM-DD, such as 2026-12-24"}},
		{"open date without hours", minimal + "calendars:\n  - name: a\n    tue: 09:00-17:00\n    open: [2026-02-28, 2026-03-03]\n", []string{
			"13:12: calendars[0].open[0]: has no hours: an open date is worked with the hours of its weekday, or Monday's when that day is closed, and both are closed"}},
		{"references", minimal + `calendars:
  - name: se
teams:
  - name: support
    calendar: cn
    escalation: [boss@example.com, Boss <boss@example.com>, BOSS@example.com, help@example.com, '']
sla:
  policies:
    - name: standard
      calendar: office
`, []string{
			"14:15: teams[0].calendar: must name a calendar listed under calendars",
			"15:36: teams[0].escalation[1]: must be a bare address such as escalation@example.com (without a display name)",
			"15:61: teams[0].escalation[2]: duplicate address (first at line 15)",
			"15:79: teams[0].escalation[3]: must not be the desk address or a plus-address of it",
			"15:97: teams[0].escalation[4]: must not be empty",
			"19:17: sla.policies[0].calendar: must name a calendar listed under calendars"}},
		{"default calendar named", minimal + "teams:\n  - {name: support, calendar: office}\n  - {name: hr, calendar: stockholm}\n", []string{
			"12:26: teams[1].calendar: must name a calendar listed under calendars (without any, the only calendar is office)"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) { checkProblems(t, tt.yaml, tt.want) })
	}
}

// TestHolidayCountries checks holidayCountries against the country packages of the rickar/cal
// version that go.mod requires, in the module cache: two-letter packages, except aa, that
// declare a national list Holidays.
func TestHolidayCountries(t *testing.T) {
	mod, err := os.ReadFile("../go.mod")
	if err != nil {
		t.Skipf("cannot read go.mod: %v", err)
	}
	m := regexp.MustCompile(`(?m)^\s*github\.com/rickar/cal/v2 (v\S+)`).FindSubmatch(mod)
	if m == nil {
		t.Skip("go.mod does not require github.com/rickar/cal/v2")
	}
	if string(m[1]) != "v2.1.13" {
		t.Errorf("go.mod requires rickar/cal %s; holidayCountries lists v2.1.13's countries: check the list and update its comment", m[1])
	}
	out, err := exec.Command("go", "env", "GOMODCACHE").Output()
	if err != nil {
		t.Skipf("go env GOMODCACHE: %v", err)
	}
	dir := filepath.Join(strings.TrimSpace(string(out)), "github.com", "rickar", "cal", "v2@"+string(m[1]))
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Skipf("rickar/cal is not in the module cache (run go mod download): %v", err)
	}
	national := regexp.MustCompile(`(?m)^\s*Holidays\s*=`)
	var countries []string
	for _, e := range entries {
		// Two-letter packages are countries, except aa: holidays shared by many countries.
		if !e.IsDir() || len(e.Name()) != 2 || e.Name() == "aa" {
			continue
		}
		files, err := filepath.Glob(filepath.Join(dir, e.Name(), "*.go"))
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range files {
			src, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			if !strings.HasSuffix(f, "_test.go") && national.Match(src) {
				countries = append(countries, e.Name())
				break
			}
		}
	}
	if !slices.Equal(countries, holidayCountries) {
		t.Errorf("rickar/cal %s has the countries\n%q, holidayCountries lists\n%q", m[1], countries, holidayCountries)
	}
}
