package config

import (
	"cmp"
	"fmt"
	"slices"
	"strings"
	"time"
)

// Defaults of the calendars section.
const (
	defaultCalendar = "office"      // the one calendar of a file that has none
	defaultTimeZone = "UTC"         // of a calendar without time_zone
	defaultHours    = "08:00-17:00" // Monday to Friday, for a calendar that sets no day
)

// holidayCountries are the codes Calendar.Holidays accepts: the country packages of
// github.com/rickar/cal/v2 v2.1.13 (whose lists package ticketing/sla uses) that have a
// national list, Holidays. Not offered: aa, which holds holidays shared by many countries; au,
// which has lists for Australia's states only; ecb (the European Central Bank's TARGET days);
// and regional lists such as Bavaria's. The configuration does not import ticketing/sla, so
// TestHolidayCountries compares this list with the module in the module cache instead.
var holidayCountries = []string{
	"ar", "at", "be", "bg", "br", "ca", "ch", "cz", "de", "dk", "es", "fr", "gb", "gr", "hr", "ie",
	"it", "jp", "lt", "lv", "mw", "nc", "nl", "no", "nz", "pl", "ro", "ru", "se", "si", "sk", "ua", "us", "za",
}

// Calendar returns the calendar called name; nil if there is none. After Load there is always
// at least one calendar, the first being the default.
func (c *Config) Calendar(name string) *Calendar {
	for i := range c.Calendars {
		if c.Calendars[i].Name == name {
			return &c.Calendars[i]
		}
	}
	return nil
}

// Days returns the working hours of each weekday that has any, as Load leaves them: one or
// more spans HH:MM-HH:MM in order, separated by commas without spaces, such as
// "08:00-12:00,13:00-17:00". A weekday that is not in the map is closed.
func (cal *Calendar) Days() map[time.Weekday]string {
	days := map[time.Weekday]string{}
	for _, d := range cal.days() {
		if *d.hours != "" {
			days[d.weekday] = *d.hours
		}
	}
	return days
}

// weekdayHours is one weekday's field of a Calendar.
type weekdayHours struct {
	key     string // its key in the file
	weekday time.Weekday
	hours   *string
}

// days returns the weekday fields of cal, Monday first.
func (cal *Calendar) days() [7]weekdayHours {
	return [7]weekdayHours{
		{"mon", time.Monday, &cal.Mon}, {"tue", time.Tuesday, &cal.Tue}, {"wed", time.Wednesday, &cal.Wed},
		{"thu", time.Thursday, &cal.Thu}, {"fri", time.Friday, &cal.Fri}, {"sat", time.Saturday, &cal.Sat},
		{"sun", time.Sunday, &cal.Sun},
	}
}

// span is a working span, in minutes after midnight.
type span struct{ start, end int }

const hoursExample = "must be working hours such as 08:00-17:00 or 08:00-12:00, 13:00-17:00, each time HH:MM from 00:00 to 24:00 (empty: closed)"

// parseHours parses one day's working hours: spans HH:MM-HH:MM separated by commas, each
// starting before it ends, in order and not overlapping (one may start where the previous
// ends). "" is a closed day. On error it returns a message for the day's key.
func parseHours(s string) ([]span, string) {
	if strings.TrimSpace(s) == "" {
		return nil, ""
	}
	parts := strings.Split(s, ",")
	spans := make([]span, 0, len(parts))
	for i, part := range parts {
		name := "the span"
		if len(parts) > 1 {
			name = fmt.Sprintf("span %d", i+1)
		}
		from, to, ok := strings.Cut(part, "-")
		if !ok {
			return nil, hoursExample
		}
		start, ok1 := parseClock(strings.TrimSpace(from))
		end, ok2 := parseClock(strings.TrimSpace(to))
		switch {
		case !ok1 || !ok2:
			return nil, hoursExample
		case start >= end:
			return nil, name + " must start before it ends"
		case i > 0 && start < spans[i-1].end:
			return nil, fmt.Sprintf("%s must start at or after the end of span %d (spans in order, not overlapping)", name, i)
		}
		spans = append(spans, span{start, end})
	}
	return spans, ""
}

// parseClock parses HH:MM, 00:00 to 24:00, into minutes after midnight.
func parseClock(s string) (int, bool) {
	if len(s) != 5 || s[2] != ':' {
		return 0, false
	}
	for _, c := range []byte(s[:2] + s[3:]) {
		if c < '0' || c > '9' {
			return 0, false
		}
	}
	h, m := int(s[0]-'0')*10+int(s[1]-'0'), int(s[3]-'0')*10+int(s[4]-'0')
	if m > 59 || h > 24 || h == 24 && m != 0 {
		return 0, false
	}
	return h*60 + m, true
}

// formatHours writes spans as Days returns them.
func formatHours(spans []span) string {
	parts := make([]string, len(spans))
	for i, sp := range spans {
		parts[i] = fmt.Sprintf("%02d:%02d-%02d:%02d", sp.start/60, sp.start%60, sp.end/60, sp.end%60)
	}
	return strings.Join(parts, ",")
}

// calendars checks cs and returns the set of calendar names, the default one when cs is empty;
// nil when some name could not be read.
func (v validator) calendars(cs []Calendar) *names {
	const p = "calendars"
	if v.has(p) && len(cs) == 0 {
		if !v.broken(p) {
			v.errorf(p, "must not be empty (leave the key out for the default calendar, %s)", defaultCalendar)
		}
		return nil
	}
	if len(cs) == 0 {
		return newNames(defaultCalendar)
	}
	var list []string
	ok := true
	seen := map[string]string{} // name → path of its first use
	for i := range cs {
		q := fmt.Sprintf("%s[%d]", p, i)
		if v.broken(q) || v.broken(q+".name") {
			ok = false
		}
		name := cs[i].Name
		if v.required(q+".name", name) {
			if !namePattern.MatchString(name) {
				v.errorf(q+".name", "must be 1 to 64 of a-z, 0-9, _ and -")
			} else if v.unique(seen, name, q+".name", "calendar name") {
				list = append(list, name)
			}
		}
		v.calendar(q, &cs[i])
	}
	if !ok {
		return nil
	}
	return newNames(list...)
}

func (v validator) calendar(p string, cal *Calendar) {
	if tz := cal.TimeZone; v.notEmpty(p+".time_zone", tz) && tz != "" {
		if tz == "Local" {
			v.errorf(p+".time_zone", "must be an IANA name such as Europe/Stockholm, not Local (which depends on the machine)")
		} else if _, err := time.LoadLocation(tz); err != nil {
			v.errorf(p+".time_zone", "unknown time zone (use an IANA name such as Europe/Stockholm, or UTC)")
		}
	}

	// Working hours, and the spans of each weekday for the open dates below.
	var week [7][]span
	set, working, known := false, false, true
	for _, d := range cal.days() {
		q := p + "." + d.key
		if !v.has(q) {
			continue
		}
		set = true
		if v.broken(q) {
			working, known = true, false // its problem is reported already
			continue
		}
		spans, msg := parseHours(*d.hours)
		if msg != "" {
			v.errorf(q, "%s", msg)
			working, known = true, false
			continue
		}
		week[d.weekday] = spans
		working = working || len(spans) > 0
	}
	if !set {
		for wd := time.Monday; wd <= time.Friday; wd++ {
			week[wd] = []span{{8 * 60, 17 * 60}}
		}
	} else if !working {
		v.errorf(p, "has no working hours on any day (leave all days out for Mon–Fri %s)", defaultHours)
	}

	seen := map[string]string{} // lower-cased code → path of its first use
	for i, code := range cal.Holidays {
		q := fmt.Sprintf("%s.holidays[%d]", p, i)
		switch lower := strings.ToLower(code); {
		case !v.notEmpty(q, code):
		case lower == "cn":
			v.errorf(q, "rickar/cal has no holidays for China: list its public holidays under closed and its make-up working days under open")
		case !slices.Contains(holidayCountries, lower):
			v.errorf(q, "must be a country whose holidays rickar/cal knows: %s", strings.Join(holidayCountries, ", "))
		default:
			v.unique(seen, lower, q, "country")
		}
	}

	closed := v.dates(p+".closed", cal.Closed)
	open := v.dates(p+".open", cal.Open)
	for i, s := range cal.Open {
		q := fmt.Sprintf("%s.open[%d]", p, i)
		d, ok := open[s]
		if !ok || d.path != q {
			continue // invalid or a duplicate, reported already
		}
		if c, both := closed[s]; both {
			v.errorf(q, "is also a closed date (line %d); a date cannot be both", v.line(c.path))
		} else if known && week[d.date.Weekday()] == nil && week[time.Monday] == nil {
			v.errorf(q, "has no hours: an open date is worked with the hours of its weekday, or Monday's when that day is closed, and both are closed")
		}
	}
}

// datePath is a valid date of a list and where it was first written.
type datePath struct {
	date time.Time
	path string
}

// dates checks a list of YYYY-MM-DD dates at p and returns its valid dates, by their text.
func (v validator) dates(p string, list []string) map[string]datePath {
	valid := map[string]datePath{}
	for i, s := range list {
		q := fmt.Sprintf("%s[%d]", p, i)
		d, err := time.Parse(time.DateOnly, s)
		if err != nil {
			v.errorf(q, "must be a date written YYYY-MM-DD, such as 2026-12-24")
			continue
		}
		if first, dup := valid[s]; dup {
			v.errorf(q, "duplicate date (first at line %d)", v.line(first.path))
			continue
		}
		valid[s] = datePath{d, q}
	}
	return valid
}

// calendarMsg is the problem of a key that does not name a calendar.
func (r refs) calendarMsg() string {
	if r.defaultCalendar {
		return "must name a calendar listed under calendars (without any, the only calendar is " + defaultCalendar + ")"
	}
	return "must name a calendar listed under calendars"
}

// setDefaults fills in the default calendar, time zone and hours, and writes every day's hours
// as Days documents. p is the calendar's path, for has.
func (cal *Calendar) setDefaults(p string, has func(string) bool) {
	cal.TimeZone = cmp.Or(cal.TimeZone, defaultTimeZone)
	set := false
	for _, d := range cal.days() {
		if has(p + "." + d.key) {
			set = true
		}
		spans, _ := parseHours(*d.hours)
		*d.hours = formatHours(spans)
	}
	if !set {
		cal.Mon, cal.Tue, cal.Wed, cal.Thu, cal.Fri = defaultHours, defaultHours, defaultHours, defaultHours, defaultHours
	}
	for i, code := range cal.Holidays {
		cal.Holidays[i] = strings.ToLower(code)
	}
}
