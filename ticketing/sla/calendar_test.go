package sla

import (
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
	_ "time/tzdata" // the tests must not depend on the machine's zoneinfo

	"github.com/rickar/cal/v2"
	"github.com/rickar/cal/v2/dk"
	"github.com/rickar/cal/v2/gb"
	"github.com/rickar/cal/v2/se"
	"github.com/rickar/cal/v2/us"
)

// hours returns the spans written as ParseSpan reads them.
func hours(t testing.TB, spans ...string) []Span {
	t.Helper()
	var out []Span
	for _, s := range spans {
		sp, err := ParseSpan(s)
		if err != nil {
			t.Fatalf("ParseSpan(%q) error = %v", s, err)
		}
		out = append(out, sp)
	}
	return out
}

// weekdays returns Hours with the same spans Monday to Friday.
func weekdays(t testing.TB, spans ...string) map[time.Weekday][]Span {
	h := map[time.Weekday][]Span{}
	for wd := time.Monday; wd <= time.Friday; wd++ {
		h[wd] = hours(t, spans...)
	}
	return h
}

func mustNew(t testing.TB, s Spec) *Calendar {
	t.Helper()
	c, err := New(s)
	if err != nil {
		t.Fatalf("New(%+v) error = %v", s, err)
	}
	return c
}

// office is a Swedish desk, Monday to Friday 08:00-17:00.
func office(t testing.TB) *Calendar {
	return mustNew(t, Spec{
		Name:     "office",
		TimeZone: "Europe/Stockholm",
		Hours:    weekdays(t, "08:00-17:00"),
		Holidays: []string{"se"},
	})
}

// when parses "2006-01-02 15:04" in c's location.
func when(t testing.TB, c *Calendar, s string) time.Time {
	t.Helper()
	v, err := time.ParseInLocation("2006-01-02 15:04", s, c.Location())
	if err != nil {
		t.Fatalf("ParseInLocation(%q) error = %v", s, err)
	}
	return v
}

func TestParseSpan(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		in   string
		want Span
		err  string
	}{
		{in: "08:30-17:00", want: Span{8*time.Hour + 30*time.Minute, 17 * time.Hour}},
		{in: "00:00-24:00", want: Span{0, 24 * time.Hour}},
		{in: " 13:00 - 18:00 ", want: Span{13 * time.Hour, 18 * time.Hour}},
		{in: "17:00-08:00", err: "start not before end"},
		{in: "08:00-08:00", err: "start not before end"},
		{in: "8:00-17:00", err: "is not HH:MM"},
		{in: "08:00", err: "want HH:MM-HH:MM"},
		{in: "08:60-17:00", err: "is not a time of day"},
		{in: "08:00-24:30", err: "is not a time of day"},
		{in: "08:00-25:00", err: "is not a time of day"},
		{in: "0a:00-17:00", err: "is not HH:MM"},
	} {
		got, err := ParseSpan(tc.in)
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("ParseSpan(%q) error = %v, want %q", tc.in, err, tc.err)
			}
			continue
		}
		if err != nil || got != tc.want {
			t.Errorf("ParseSpan(%q) = %v, %v, want %v, nil", tc.in, got, err, tc.want)
		}
		if s := got.String(); strings.ReplaceAll(tc.in, " ", "") != s {
			t.Errorf("%#v.String() = %q, want %q", got, s, strings.ReplaceAll(tc.in, " ", ""))
		}
	}
}

func TestNewErrors(t *testing.T) {
	t.Parallel()
	ok := func() Spec {
		return Spec{Name: "x", TimeZone: "UTC", Hours: weekdays(t, "08:00-17:00")}
	}
	for _, tc := range []struct {
		name string
		edit func(*Spec)
		want string
	}{
		{"name", func(s *Spec) { s.Name = "" }, "Name: empty"},
		{"no zone", func(s *Spec) { s.TimeZone = "" }, "TimeZone: empty"},
		{"bad zone", func(s *Spec) { s.TimeZone = "Europe/Stokholm" }, `TimeZone: "Europe/Stokholm" is not a known IANA time zone`},
		{"local", func(s *Spec) { s.TimeZone = "Local" }, `TimeZone: "Local" depends on the machine`},
		{"no hours", func(s *Spec) { s.Hours = nil }, "Hours: no working hours on any weekday"},
		{"empty hours", func(s *Spec) { s.Hours = map[time.Weekday][]Span{time.Monday: nil} }, "Hours: no working hours on any weekday"},
		{"weekday", func(s *Spec) { s.Hours[9] = hours(t, "08:00-09:00") }, "Hours: 9 is not a weekday"},
		{"reversed", func(s *Spec) { s.Hours[time.Tuesday] = []Span{{9 * time.Hour, 8 * time.Hour}} }, "Hours[Tuesday][0] 09:00-08:00: start not before end"},
		{"past midnight", func(s *Spec) { s.Hours[time.Tuesday] = []Span{{20 * time.Hour, 25 * time.Hour}} }, "Hours[Tuesday][0] 20:00-25h0m0s: outside 00:00-24:00"},
		{"overlap", func(s *Spec) { s.Hours[time.Monday] = hours(t, "13:00-17:00", "08:00-13:30") }, "Hours[Monday][0] 13:00-17:00: overlaps 08:00-13:30"},
		{"open hours", func(s *Spec) { s.OpenHours = []Span{{-time.Hour, time.Hour}} }, "OpenHours[0] -1h0m0s-01:00: outside 00:00-24:00"},
		{"country", func(s *Spec) { s.Holidays = []string{"se", "xx"} }, `Holidays[1]: "xx" is not a known holiday set; known: ar, at, au-act`},
		{"china", func(s *Spec) { s.Holidays = []string{"cn"} }, `Holidays[0]: "cn": rickar/cal has no holidays for China; list the State Council's days off in Closed and its make-up working days in Open`},
		{"case", func(s *Spec) { s.Holidays = []string{"SE"} }, `Holidays[0]: "SE": codes are lower case, "se"`},
		{"twice", func(s *Spec) { s.Holidays = []string{"se", "dk", "se"} }, `Holidays[2]: "se" listed twice`},
		{"closed date", func(s *Spec) { s.Closed = []string{"2026-12-24", "2026-13-01"} }, `Closed[1]: "2026-13-01" is not a date YYYY-MM-DD`},
		{"closed twice", func(s *Spec) { s.Closed = []string{"2026-12-24", "2026-12-24"} }, "Closed[1]: 2026-12-24 repeats Closed[0]"},
		{"open date", func(s *Spec) { s.Open = []string{"26 Jan 2025"} }, `Open[0]: "26 Jan 2025" is not a date YYYY-MM-DD`},
		{"open twice", func(s *Spec) { s.Open = []string{"2025-01-26", "2025-01-26"} }, "Open[1]: 2025-01-26 repeats Open[0]"},
		{"open and closed", func(s *Spec) { s.Closed = []string{"2025-01-26"}; s.Open = []string{"2025-01-26"} }, "Open[0]: 2025-01-26 is also Closed[0]"},
		{"open without hours", func(s *Spec) {
			s.Hours = map[time.Weekday][]Span{time.Tuesday: hours(t, "08:00-17:00")}
			s.Open = []string{"2025-01-26"}
		}, "Open[0]: 2025-01-26 has no hours: set OpenHours, or working hours on Sunday or Monday"},
	} {
		s := ok()
		tc.edit(&s)
		_, err := New(s)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: New(%+v) error = %v, want %q", tc.name, s, err, tc.want)
		}
		if err != nil && !strings.HasPrefix(err.Error(), `sla: calendar "`+s.Name+`": `) {
			t.Errorf("%s: New() error = %q, want the prefix sla: calendar %q: ", tc.name, err, s.Name)
		}
	}

	// Every problem is reported, not only the first.
	_, err := New(Spec{TimeZone: "Nowhere/Special", Closed: []string{"x"}})
	for _, want := range []string{"Name: empty", "TimeZone:", "Hours:", "Closed[0]:"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("New(many problems) error = %v, want it to contain %q", err, want)
		}
	}
}

func TestCountries(t *testing.T) {
	t.Parallel()
	got := Countries()
	if !slices.IsSorted(got) {
		t.Errorf("Countries() = %v, want sorted", got)
	}
	for _, code := range []string{"se", "dk", "no", "de", "gb", "us", "fi"} {
		if want := code != "fi"; slices.Contains(got, code) != want {
			// rickar/cal v2.1.13 has no Finland either; this line fails when it gains one.
			t.Errorf("Countries() contains %q = %v, want %v", code, !want, want)
		}
	}
	for _, code := range []string{"cn", "zh", "hk", "tw"} {
		if slices.Contains(got, code) {
			t.Errorf("Countries() contains %q, want rickar/cal v2.1.13 to have no China", code)
		}
	}
	for _, code := range got {
		if _, err := New(Spec{Name: code, TimeZone: "UTC", Hours: weekdays(t, "09:00-17:00"), Holidays: []string{code}}); err != nil {
			t.Errorf("New(Holidays: %q) error = %v", code, err)
		}
	}
}

func TestAddBetween(t *testing.T) {
	t.Parallel()
	c := office(t)
	for _, tc := range []struct {
		from string
		d    time.Duration
		want string
	}{
		{"2026-11-23 08:00", 4 * time.Hour, "2026-11-23 12:00"},                // Monday morning
		{"2026-11-23 08:00", 9 * time.Hour, "2026-11-23 17:00"},                // a whole day ends at its close, not at the next opening
		{"2026-11-23 08:00", 9*time.Hour + time.Minute, "2026-11-24 08:01"},    // one minute more is the next morning
		{"2026-11-20 16:20", 4 * time.Hour, "2026-11-23 11:20"},                // Friday 40m, Monday 3h20m
		{"2026-11-20 18:40", 3*time.Hour + 40*time.Minute, "2026-11-23 11:40"}, // after hours: from Monday 08:00
		{"2026-11-21 12:00", time.Hour, "2026-11-23 09:00"},                    // Saturday
		{"2026-11-23 06:00", time.Hour, "2026-11-23 09:00"},                    // before opening
		{"2026-11-20 12:00", 40 * time.Hour, "2026-11-26 16:00"},               // Fri 5h, Mon-Wed 27h, Thu 8h
		{"2026-06-18 16:00", 2 * time.Hour, "2026-06-22 09:00"},                // Midsummer Eve (Fri 19 Jun) is closed
		{"2026-12-23 16:00", 2 * time.Hour, "2026-12-28 09:00"},                // Julafton, Juldagen (Fri), weekend
		{"2026-12-30 16:00", 2 * time.Hour, "2027-01-04 09:00"},                // Nyårsafton, Nyårsdagen (Fri), weekend
		{"2026-04-02 16:00", 2 * time.Hour, "2026-04-07 09:00"},                // Good Friday, Easter Monday
		{"2026-11-23 10:00", 0, "2026-11-23 10:00"},                            // nothing to add
		{"2026-11-21 10:00", 0, "2026-11-21 10:00"},                            // nothing to add, even when closed
		{"2026-11-23 10:00", -time.Hour, "2026-11-23 10:00"},                   // negative: t
		{"2026-01-01 00:00", 251 * 9 * time.Hour, "2026-12-30 17:00"},          // the whole of 2026
	} {
		from, want := when(t, c, tc.from), when(t, c, tc.want)
		if got := c.Add(from, tc.d); !got.Equal(want) {
			t.Errorf("Add(%s, %v) = %s, want %s", tc.from, tc.d, got, want)
		}
		if tc.d > 0 {
			if got := c.Between(from, want); got != tc.d {
				t.Errorf("Between(%s, %s) = %v, want %v", tc.from, tc.want, got, tc.d)
			}
		}
	}
	for _, tc := range []struct {
		a, b string
		want time.Duration
	}{
		{"2026-11-23 12:00", "2026-11-23 10:00", 0},
		{"2026-11-23 10:00", "2026-11-23 10:00", 0},
		{"2026-11-21 00:00", "2026-11-23 00:00", 0},
		{"2026-11-20 16:59", "2026-11-23 08:01", 2 * time.Minute},
		{"2026-11-23 00:00", "2026-11-30 00:00", 45 * time.Hour},
		{"2026-12-21 00:00", "2026-12-28 00:00", 27 * time.Hour}, // Mon, Tue, Wed; Julafton, Juldagen closed
		// 2026 has 261 weekdays, 10 of them Swedish holidays (1 and 6 Jan,
		// 3 and 6 Apr, 1 and 14 May, 19 Jun, 24, 25 and 31 Dec).
		{"2026-01-01 00:00", "2027-01-01 00:00", 251 * 9 * time.Hour},
	} {
		if got := c.Between(when(t, c, tc.a), when(t, c, tc.b)); got != tc.want {
			t.Errorf("Between(%s, %s) = %v, want %v", tc.a, tc.b, got, tc.want)
		}
	}
}

// TestRoundTrip checks Between(t, Add(t, d)) == d from every ten minutes of
// two weeks, inside hours and out.
func TestRoundTrip(t *testing.T) {
	t.Parallel()
	c := mustNew(t, Spec{
		Name:     "lunch",
		TimeZone: "Europe/Stockholm",
		Hours:    weekdays(t, "08:00-12:00", "13:00-17:00"),
		Holidays: []string{"se"},
	})
	start := when(t, c, "2026-03-23 00:00") // over the spring DST change
	for tt := start; tt.Before(start.Add(14 * 24 * time.Hour)); tt = tt.Add(10 * time.Minute) {
		for _, d := range []time.Duration{time.Nanosecond, time.Minute, time.Hour, 4 * time.Hour, 8 * time.Hour, 40 * time.Hour, 333 * time.Hour} {
			got := c.Add(tt, d)
			if b := c.Between(tt, got); b != d {
				t.Fatalf("Between(%s, Add(%s, %v) = %s) = %v, want %v", tt, tt, d, got, b, d)
			}
			if c.IsOpen(tt) && !got.After(tt) {
				t.Fatalf("Add(%s, %v) = %s, want after it", tt, d, got)
			}
		}
	}
}

func TestIsOpenNextOpen(t *testing.T) {
	t.Parallel()
	c := mustNew(t, Spec{
		Name:     "lunch",
		TimeZone: "Europe/Stockholm",
		Hours:    weekdays(t, "08:00-12:00", "13:00-17:00"),
		Holidays: []string{"se"},
	})
	for _, tc := range []struct {
		at   string
		open bool
		next string
	}{
		{"2026-11-23 07:59", false, "2026-11-23 08:00"},
		{"2026-11-23 08:00", true, "2026-11-23 08:00"},
		{"2026-11-23 11:59", true, "2026-11-23 11:59"},
		{"2026-11-23 12:00", false, "2026-11-23 13:00"}, // lunch
		{"2026-11-23 17:00", false, "2026-11-24 08:00"},
		{"2026-11-20 17:00", false, "2026-11-23 08:00"},
		{"2026-11-22 23:59", false, "2026-11-23 08:00"},
		{"2026-06-19 10:00", false, "2026-06-22 08:00"}, // Midsommarafton
		{"2026-12-24 10:00", false, "2026-12-28 08:00"}, // Julafton
	} {
		at := when(t, c, tc.at)
		if got := c.IsOpen(at); got != tc.open {
			t.Errorf("IsOpen(%s) = %v, want %v", tc.at, got, tc.open)
		}
		if got, want := c.NextOpen(at), when(t, c, tc.next); !got.Equal(want) {
			t.Errorf("NextOpen(%s) = %s, want %s", tc.at, got, want)
		}
	}
	// Times in another location mean the same instant.
	utc := when(t, c, "2026-11-23 08:00").UTC()
	if !c.IsOpen(utc) || c.NextOpen(utc).Location() != c.Location() {
		t.Errorf("IsOpen(%s), NextOpen(%s) = %v, %s, want true, in %s", utc, utc, c.IsOpen(utc), c.NextOpen(utc), c.Location())
	}
}

// TestSweden checks the de-facto days off rickar/cal's se list includes.
func TestSweden(t *testing.T) {
	t.Parallel()
	c := office(t)
	for _, tc := range []struct {
		day    string
		closed bool
	}{
		{"2026-01-01", true},  // Nyårsdagen
		{"2026-01-06", true},  // Trettondedag jul
		{"2026-04-03", true},  // Långfredagen
		{"2026-04-06", true},  // Annandag påsk
		{"2026-05-01", true},  // Första maj
		{"2026-05-14", true},  // Kristi himmelsfärds dag
		{"2026-06-19", true},  // Midsommarafton (ObservanceOther in rickar, a de-facto day off)
		{"2026-12-24", true},  // Julafton (ObservanceOther, de facto)
		{"2026-12-25", true},  // Juldagen
		{"2026-12-31", true},  // Nyårsafton (ObservanceOther, de facto)
		{"2027-06-25", true},  // Midsommarafton 2027
		{"2026-06-18", false}, // the Thursday before
		{"2026-04-30", false}, // Valborgsmässoafton is a working day
		{"2026-11-23", false},
	} {
		at := when(t, c, tc.day+" 10:00")
		if got := c.IsOpen(at); got == tc.closed {
			t.Errorf("IsOpen(%s 10:00) = %v, want %v", tc.day, got, !tc.closed)
		}
	}
}

// TestDenmark checks rickar/cal's dk list: Store bededag until 2023, and no
// Christmas Eve (a desk that closes on it lists it in Closed).
func TestDenmark(t *testing.T) {
	t.Parallel()
	c := mustNew(t, Spec{Name: "dk", TimeZone: "Europe/Copenhagen", Hours: weekdays(t, "08:00-16:00"), Holidays: []string{"dk"}})
	x := mustNew(t, Spec{Name: "dk+", TimeZone: "Europe/Copenhagen", Hours: weekdays(t, "08:00-16:00"), Holidays: []string{"dk"}, Closed: []string{"2026-12-24"}})
	for _, tc := range []struct {
		c      *Calendar
		day    string
		closed bool
	}{
		{c, "2023-05-05", true},  // Store bededag, the last one
		{c, "2024-04-26", false}, // abolished from 2024
		{c, "2026-04-02", true},  // Skærtorsdag
		{c, "2026-05-25", true},  // Anden pinsedag
		{c, "2026-06-05", true},  // Grundlovsdag
		{c, "2026-12-24", false}, // Juleaften: not in rickar's list
		{x, "2026-12-24", true},  // unless Closed
		{c, "2026-12-28", false},
	} {
		at := when(t, tc.c, tc.day+" 10:00")
		if got := tc.c.IsOpen(at); got == tc.closed {
			t.Errorf("%s: IsOpen(%s 10:00) = %v, want %v", tc.c.Name(), tc.day, got, !tc.closed)
		}
	}
}

// TestHolidaysMatchRickar checks that a calendar closes exactly the dates
// that rickar/cal's own IsHoliday reports as actual or observed, inside and
// outside the years New precomputes.
func TestHolidaysMatchRickar(t *testing.T) {
	t.Parallel()
	for code, list := range map[string][]*cal.Holiday{"se": se.Holidays, "dk": dk.Holidays, "gb": gb.Holidays, "us": us.Holidays} {
		h := newHolidays(list)
		r := &cal.Calendar{Holidays: list}
		for _, years := range [][2]int{{1995, 2005}, {2020, 2032}, {2095, 2105}} {
			for d := (civil{years[0], time.January, 1}); d.y < years[1]; d = d.next() {
				act, obs, _ := r.IsHoliday(time.Date(d.y, d.m, d.d, 12, 0, 0, 0, time.UTC))
				if got := h.closed(d); got != (act || obs) {
					t.Errorf("%s: closed(%s) = %v, want %v (IsHoliday = %v, %v)", code, d, got, act || obs, act, obs)
				}
			}
		}
	}
}

// TestChina is a Shanghai desk with a lunch break and the State Council's
// 2025 Spring Festival (Guobanfadian [2024] No. 12): closed 28 Jan to 4 Feb,
// working on Sunday 26 Jan and Saturday 8 Feb.
func TestChina(t *testing.T) {
	t.Parallel()
	c := mustNew(t, Spec{
		Name:     "shanghai",
		TimeZone: "Asia/Shanghai",
		Hours:    weekdays(t, "09:00-12:00", "13:00-18:00"),
		Closed:   []string{"2025-01-01", "2025-01-28", "2025-01-29", "2025-01-30", "2025-01-31", "2025-02-01", "2025-02-02", "2025-02-03", "2025-02-04"},
		Open:     []string{"2025-01-26", "2025-02-08"},
	})
	for _, tc := range []struct {
		at   string
		open bool
	}{
		{"2025-01-25 10:00", false}, // Saturday
		{"2025-01-26 10:00", true},  // make-up Sunday, Monday's hours
		{"2025-01-26 12:30", false}, // its lunch
		{"2025-01-27 17:59", true},
		{"2025-01-28 10:00", false}, // Spring Festival
		{"2025-02-04 10:00", false},
		{"2025-02-05 09:00", true},
		{"2025-02-08 09:00", true}, // make-up Saturday
		{"2025-02-09 09:00", false},
	} {
		if got := c.IsOpen(when(t, c, tc.at)); got != tc.open {
			t.Errorf("IsOpen(%s) = %v, want %v", tc.at, got, tc.open)
		}
	}
	// Monday 27 Jan 17:00-18:00 is 1h; the next opening is Wednesday 5 Feb.
	if got, want := c.Add(when(t, c, "2025-01-27 17:00"), 2*time.Hour), when(t, c, "2025-02-05 10:00"); !got.Equal(want) {
		t.Errorf("Add(2025-01-27 17:00, 2h) = %s, want %s", got, want)
	}
	// Saturday 25 Jan 12:00 (closed) to Saturday 1 Feb: Sunday 8h, Monday 8h.
	if got := c.Between(when(t, c, "2025-01-25 12:00"), when(t, c, "2025-02-01 00:00")); got != 16*time.Hour {
		t.Errorf("Between(2025-01-25 12:00, 2025-02-01) = %v, want 16h", got)
	}
	// Wednesday 5 Feb to Monday 10 Feb: Wed, Thu, Fri and the make-up Saturday.
	if got := c.Between(when(t, c, "2025-02-05 00:00"), when(t, c, "2025-02-10 00:00")); got != 32*time.Hour {
		t.Errorf("Between(2025-02-05, 2025-02-10) = %v, want 32h", got)
	}
	// Asia/Shanghai has no DST: every day of the year is 24h at +08:00.
	for d := when(t, c, "2025-01-01 00:00"); d.Year() == 2025; d = d.AddDate(0, 0, 1) {
		if _, off := d.Zone(); off != 8*3600 {
			t.Fatalf("%s.Zone() offset = %d, want %d", d, off, 8*3600)
		}
		if got := d.AddDate(0, 0, 1).Sub(d); got != 24*time.Hour {
			t.Fatalf("length of %s = %v, want 24h", d.Format(time.DateOnly), got)
		}
	}
	// So the same week in March and in November holds the same 40h.
	for _, mon := range []string{"2025-03-24 00:00", "2025-10-27 00:00"} {
		a := when(t, c, mon)
		if got := c.Between(a, a.AddDate(0, 0, 7)); got != 40*time.Hour {
			t.Errorf("Between(%s, +7 days) = %v, want 40h", mon, got)
		}
	}
}

// TestOpenHours checks the three sources of an Open date's hours.
func TestOpenHours(t *testing.T) {
	t.Parallel()
	base := Spec{Name: "x", TimeZone: "Europe/Stockholm", Holidays: []string{"se"}, Open: []string{"2026-11-21", "2026-12-24"},
		Hours: map[time.Weekday][]Span{time.Monday: hours(t, "08:00-17:00"), time.Thursday: hours(t, "10:00-12:00")}}
	c := mustNew(t, base)
	// Saturday has no hours: Monday's. Julafton (a Thursday) is worked with Thursday's.
	for _, tc := range []struct {
		a, b string
		want time.Duration
	}{
		{"2026-11-21 00:00", "2026-11-22 00:00", 9 * time.Hour},
		{"2026-12-24 00:00", "2026-12-25 00:00", 2 * time.Hour},
	} {
		if got := c.Between(when(t, c, tc.a), when(t, c, tc.b)); got != tc.want {
			t.Errorf("Between(%s, %s) = %v, want %v", tc.a, tc.b, got, tc.want)
		}
	}
	base.OpenHours = hours(t, "09:00-10:00")
	c = mustNew(t, base)
	if got := c.Between(when(t, c, "2026-11-21 00:00"), when(t, c, "2026-11-22 00:00")); got != time.Hour {
		t.Errorf("with OpenHours: Between(2026-11-21, 2026-11-22) = %v, want 1h", got)
	}
}

// TestDST checks Europe/Stockholm's changes in 2026: 29 March 02:00 CET
// becomes 03:00 CEST; 25 October 03:00 CEST becomes 02:00 CET.
func TestDST(t *testing.T) {
	t.Parallel()
	c := office(t)
	// The weekend change does not touch office hours.
	for _, tc := range []struct {
		a, b string
		want time.Duration
	}{
		{"2026-03-27 08:00", "2026-03-30 17:00", 18 * time.Hour},
		{"2026-03-27 17:00", "2026-03-30 08:00", 0},
		{"2026-03-30 08:00", "2026-03-30 17:00", 9 * time.Hour},
		{"2026-10-23 08:00", "2026-10-26 17:00", 18 * time.Hour},
	} {
		if got := c.Between(when(t, c, tc.a), when(t, c, tc.b)); got != tc.want {
			t.Errorf("Between(%s, %s) = %v, want %v", tc.a, tc.b, got, tc.want)
		}
	}
	if got, want := c.Add(when(t, c, "2026-03-27 16:00"), 2*time.Hour), when(t, c, "2026-03-30 09:00"); !got.Equal(want) {
		t.Errorf("Add(2026-03-27 16:00, 2h) = %s, want %s", got, want)
	}
	if _, off := c.Add(when(t, c, "2026-03-27 16:00"), 2*time.Hour).Zone(); off != 2*3600 {
		t.Errorf("Add(2026-03-27 16:00, 2h) offset = %d, want CEST", off)
	}

	// A Sunday service around the clock: the spring Sunday has 23h, the
	// autumn one 25h.
	sun := mustNew(t, Spec{Name: "sunday", TimeZone: "Europe/Stockholm", Hours: map[time.Weekday][]Span{time.Sunday: hours(t, "00:00-24:00")}})
	for _, tc := range []struct {
		a, b string
		want time.Duration
	}{
		{"2026-03-28 12:00", "2026-03-30 12:00", 23 * time.Hour},
		{"2026-03-22 00:00", "2026-03-23 00:00", 24 * time.Hour},
		{"2026-10-24 12:00", "2026-10-26 12:00", 25 * time.Hour},
		{"2026-03-29 01:00", "2026-03-29 04:00", 2 * time.Hour},
	} {
		if got := sun.Between(when(t, sun, tc.a), when(t, sun, tc.b)); got != tc.want {
			t.Errorf("sunday: Between(%s, %s) = %v, want %v", tc.a, tc.b, got, tc.want)
		}
	}
	if got, want := sun.Add(when(t, sun, "2026-03-29 00:00"), 23*time.Hour), when(t, sun, "2026-03-30 00:00"); !got.Equal(want) {
		t.Errorf("sunday: Add(2026-03-29 00:00, 23h) = %s, want %s", got, want)
	}
	if got, want := sun.Add(when(t, sun, "2026-03-29 00:00"), 23*time.Hour+time.Minute), when(t, sun, "2026-04-05 00:01"); !got.Equal(want) {
		t.Errorf("sunday: Add(2026-03-29 00:00, 23h1m) = %s, want %s", got, want)
	}

	// Spans whose ends the change moves: 01:00-04:00 holds 2h in spring and
	// 4h in autumn; 02:30 does not exist in spring and time.Date reads it as
	// 03:30 CEST, so 02:30-05:00 holds 1h30m.
	night := mustNew(t, Spec{Name: "night", TimeZone: "Europe/Stockholm", Hours: map[time.Weekday][]Span{time.Sunday: hours(t, "01:00-04:00")}})
	late := mustNew(t, Spec{Name: "late", TimeZone: "Europe/Stockholm", Hours: map[time.Weekday][]Span{time.Sunday: hours(t, "02:30-05:00")}})
	for _, tc := range []struct {
		c    *Calendar
		day  string
		want time.Duration
	}{
		{night, "2026-03-29", 2 * time.Hour},
		{night, "2026-10-25", 4 * time.Hour},
		{night, "2026-11-01", 3 * time.Hour},
		{late, "2026-03-29", 90 * time.Minute},
		{late, "2026-04-05", 150 * time.Minute},
	} {
		a := when(t, tc.c, tc.day+" 00:00")
		if got := tc.c.Between(a, a.AddDate(0, 0, 1)); got != tc.want {
			t.Errorf("%s: Between(%s, +1 day) = %v, want %v", tc.c.Name(), tc.day, got, tc.want)
		}
		if got := tc.c.Add(a, tc.want); !got.Equal(tc.c.NextOpen(a).Add(tc.want)) || tc.c.Between(a, got) != tc.want {
			t.Errorf("%s: Add(%s, %v) = %s, want the span's end", tc.c.Name(), tc.day, tc.want, got)
		}
	}
	// 02:30-03:00 on the spring Sunday runs from 03:30 to 03:00: no time.
	inside := mustNew(t, Spec{Name: "inside-out", TimeZone: "Europe/Stockholm", Hours: map[time.Weekday][]Span{time.Sunday: hours(t, "02:30-03:00")}})
	a := when(t, inside, "2026-03-29 00:00")
	if got := inside.Between(a, a.AddDate(0, 0, 1)); got != 0 {
		t.Errorf("inside-out: Between(2026-03-29, +1 day) = %v, want 0", got)
	}
	if got, want := inside.NextOpen(a), when(t, inside, "2026-04-05 02:30"); !got.Equal(want) {
		t.Errorf("inside-out: NextOpen(2026-03-29 00:00) = %s, want %s", got, want)
	}
}

func TestAlways(t *testing.T) {
	t.Parallel()
	c := Always()
	a := time.Date(2026, 3, 29, 1, 0, 0, 0, time.UTC)
	if got := c.Add(a, 4*time.Hour); !got.Equal(a.Add(4 * time.Hour)) {
		t.Errorf("Always().Add(%s, 4h) = %s, want %s", a, got, a.Add(4*time.Hour))
	}
	if got := c.Between(a, a.Add(50*time.Hour)); got != 50*time.Hour {
		t.Errorf("Always().Between(%s, +50h) = %v, want 50h", a, got)
	}
	if !c.IsOpen(a) || !c.NextOpen(a).Equal(a) || c.Name() != "always" || c.Location() != time.UTC {
		t.Errorf("Always() = %q in %s, IsOpen %v, NextOpen %s; want always in UTC, open", c.Name(), c.Location(), c.IsOpen(a), c.NextOpen(a))
	}
}

// TestGiveUp checks that ten years of Closed dates end a walk with the zero
// Time instead of a loop.
func TestGiveUp(t *testing.T) {
	t.Parallel()
	var closed []string
	for d := (civil{2026, time.January, 1}); d.y < 2037; d = d.next() {
		closed = append(closed, d.String())
	}
	c := mustNew(t, Spec{Name: "shut", TimeZone: "UTC", Hours: weekdays(t, "08:00-17:00"), Closed: closed})
	a := when(t, c, "2025-12-31 16:00")
	if got := c.Add(a, 2*time.Hour); !got.IsZero() {
		t.Errorf("Add(%s, 2h) = %s, want the zero Time", a, got)
	}
	if got := c.NextOpen(a.Add(time.Hour)); !got.IsZero() {
		t.Errorf("NextOpen(%s) = %s, want the zero Time", a.Add(time.Hour), got)
	}
	if got := c.Between(a, when(t, c, "2040-01-01 00:00")); got != time.Hour {
		t.Errorf("Between(%s, 2040-01-01) = %v, want 1h", a, got)
	}
	// Nine years are crossed: closed to Friday 29 Dec 2034.
	c = mustNew(t, Spec{Name: "shut", TimeZone: "UTC", Hours: weekdays(t, "08:00-17:00"), Closed: closed[:9*365]})
	if got, want := c.Add(a, 2*time.Hour), when(t, c, "2035-01-01 09:00"); !got.Equal(want) {
		t.Errorf("Add(%s, 2h) = %s, want %s", a, got, want)
	}
}

// TestConcurrent runs one calendar from many goroutines, for -race.
func TestConcurrent(t *testing.T) {
	t.Parallel()
	c := office(t)
	a := when(t, c, "2026-11-20 16:20")
	want := c.Add(a, 40*time.Hour)
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Go(func() {
			for y := range 20 {
				b := a.AddDate(100*(i%2)+y, 0, 0) // in and out of the precomputed years
				c.Between(b, c.Add(b, 40*time.Hour))
			}
			if got := c.Add(a, 40*time.Hour); !got.Equal(want) {
				t.Errorf("Add(%s, 40h) = %s, want %s", a, got, want)
			}
		})
	}
	wg.Wait()
}

// BenchmarkAdd adds a 4-hour target from Friday afternoon, over a weekend.
func BenchmarkAdd(b *testing.B) {
	c := office(b)
	a := when(b, c, "2026-11-20 15:00")
	want := when(b, c, "2026-11-23 10:00")
	for b.Loop() {
		if got := c.Add(a, 4*time.Hour); !got.Equal(want) {
			b.Fatalf("Add(%s, 4h) = %s, want %s", a, got, want)
		}
	}
}

// TestIsWorkingDay: a weekday with hours is one, a weekend, a holiday of
// the calendar's sets and a closed date are not, an open date is; the date
// is the calendar's, not the instant's zone.
func TestIsWorkingDay(t *testing.T) {
	c := mustNew(t, Spec{Name: "office", TimeZone: "Europe/Stockholm", Hours: weekdays(t, "08:00-17:00"),
		Holidays: []string{"se"}, Closed: []string{"2026-12-08"}, Open: []string{"2026-12-12"}})
	for _, tc := range []struct {
		at   string
		want bool
	}{
		{"2026-12-07 06:00", true},  // Monday, before opening
		{"2026-12-07 23:59", true},  // after closing
		{"2026-12-08 09:00", false}, // closed date
		{"2026-12-12 09:00", true},  // a Saturday worked
		{"2026-12-13 09:00", false}, // Sunday
		{"2026-12-25 09:00", false}, // Christmas Day, a Friday
	} {
		if got := c.IsWorkingDay(when(t, c, tc.at)); got != tc.want {
			t.Errorf("IsWorkingDay(%s) = %v, want %v", tc.at, got, tc.want)
		}
	}
	// 23:30 UTC on Sunday the 6th is already Monday in Stockholm.
	if !c.IsWorkingDay(time.Date(2026, 12, 6, 23, 30, 0, 0, time.UTC)) {
		t.Errorf("IsWorkingDay(Sunday 23:30 UTC) = false, want true: it is Monday in the calendar's zone")
	}
	if !Always().IsWorkingDay(time.Date(2026, 12, 25, 0, 0, 0, 0, time.UTC)) {
		t.Errorf("Always().IsWorkingDay(Christmas) = false, want true")
	}
}
