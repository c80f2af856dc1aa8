package sla

import (
	"errors"
	"fmt"
	"maps"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/rickar/cal/v2"
)

// Spec is a business-hours calendar as the configuration declares it.
type Spec struct {
	Name     string                  // how rules and events name the calendar
	TimeZone string                  // IANA name, such as Europe/Stockholm or Asia/Shanghai
	Hours    map[time.Weekday][]Span // working spans per weekday, in local time; an absent weekday is closed
	Holidays []string                // holiday sets from rickar/cal, by the codes Countries lists
	Closed   []string                // extra closed dates, "2026-12-24"
	Open     []string                // extra working dates, such as weekend make-up days, "2025-01-26"

	// OpenHours are the working spans of the Open dates. When empty, an
	// Open date is worked with the hours of its own weekday, or, if that
	// weekday is closed, with Monday's.
	OpenHours []Span
}

// Calendar answers when a desk works and counts business time. It is
// immutable and safe for concurrent use. Its results are in its Location.
type Calendar struct {
	name   string
	loc    *time.Location
	week   [7][]Span
	hol    *holidays        // nil without holiday sets
	closed map[civil]bool   // Spec.Closed
	open   map[civil][]Span // Spec.Open with their hours
	always bool
}

// New checks s and builds its Calendar. Errors name the field at fault;
// all problems are reported, joined.
func New(s Spec) (*Calendar, error) {
	var errs []error
	bad := func(format string, args ...any) {
		errs = append(errs, fmt.Errorf(format, args...))
	}
	c := &Calendar{name: s.Name}
	if s.Name == "" {
		bad("Name: empty")
	}

	switch s.TimeZone {
	case "":
		bad("TimeZone: empty; want an IANA name such as Europe/Stockholm, or UTC")
	case "Local":
		bad("TimeZone: %q depends on the machine; want an IANA name such as Europe/Stockholm", s.TimeZone)
	default:
		loc, err := time.LoadLocation(s.TimeZone)
		if err != nil {
			bad("TimeZone: %q is not a known IANA time zone", s.TimeZone)
		}
		c.loc = loc
	}

	for _, wd := range slices.Sorted(maps.Keys(s.Hours)) {
		if wd < time.Sunday || wd > time.Saturday {
			bad("Hours: %d is not a weekday", wd)
		}
	}
	working := false
	for wd := time.Sunday; wd <= time.Saturday; wd++ {
		sorted, err := checkSpans(s.Hours[wd])
		for _, e := range err {
			bad("Hours[%s]%s", wd, e)
		}
		c.week[wd] = sorted
		working = working || len(sorted) > 0
	}
	if !working {
		bad("Hours: no working hours on any weekday")
	}
	openHours, err := checkSpans(s.OpenHours)
	for _, e := range err {
		bad("OpenHours%s", e)
	}

	var list []*cal.Holiday
	sets := holidaySets()
	seen := map[string]bool{}
	for i, code := range s.Holidays {
		set, ok := sets[code]
		switch {
		case ok && seen[code]:
			bad("Holidays[%d]: %q listed twice", i, code)
		case ok:
			list = append(list, set...)
		case strings.ToLower(code) == "cn":
			bad("Holidays[%d]: %q: rickar/cal has no holidays for China; list the State Council's days off in Closed and its make-up working days in Open", i, code)
		case sets[strings.ToLower(code)] != nil:
			bad("Holidays[%d]: %q: codes are lower case, %q", i, code, strings.ToLower(code))
		default:
			bad("Holidays[%d]: %q is not a known holiday set; known: %s", i, code, strings.Join(Countries(), ", "))
		}
		seen[code] = true
	}
	if len(list) > 0 {
		c.hol = newHolidays(list)
	}

	closedAt := map[civil]int{}
	for i, s := range s.Closed {
		d, err := parseDate(s)
		if err != nil {
			bad("Closed[%d]: %v", i, err)
			continue
		}
		if j, dup := closedAt[d]; dup {
			bad("Closed[%d]: %s repeats Closed[%d]", i, d, j)
			continue
		}
		closedAt[d] = i
	}
	if len(closedAt) > 0 {
		c.closed = make(map[civil]bool, len(closedAt))
		for d := range closedAt {
			c.closed[d] = true
		}
	}

	openAt := map[civil]int{}
	for i, s := range s.Open {
		d, err := parseDate(s)
		if err != nil {
			bad("Open[%d]: %v", i, err)
			continue
		}
		if j, dup := openAt[d]; dup {
			bad("Open[%d]: %s repeats Open[%d]", i, d, j)
			continue
		}
		if j, both := closedAt[d]; both {
			bad("Open[%d]: %s is also Closed[%d]", i, d, j)
			continue
		}
		openAt[d] = i
		hours := openHours
		if len(hours) == 0 {
			hours = c.week[d.weekday()]
		}
		if len(hours) == 0 {
			hours = c.week[time.Monday]
		}
		if len(hours) == 0 {
			bad("Open[%d]: %s has no hours: set OpenHours, or working hours on %s or Monday", i, d, d.weekday())
			continue
		}
		if c.open == nil {
			c.open = map[civil][]Span{}
		}
		c.open[d] = hours
	}

	if len(errs) > 0 {
		return nil, fmt.Errorf("sla: calendar %q: %w", s.Name, errors.Join(errs...))
	}
	return c, nil
}

// Always returns a calendar that is open around the clock every day, for
// targets in wall-clock time. Its location is UTC.
func Always() *Calendar {
	return &Calendar{name: "always", loc: time.UTC, always: true}
}

// Name returns the calendar's name.
func (c *Calendar) Name() string { return c.name }

// Location returns the calendar's time zone.
func (c *Calendar) Location() *time.Location { return c.loc }

// spansOn returns the working spans of date d, whose weekday is wd.
func (c *Calendar) spansOn(d civil, wd time.Weekday) []Span {
	if c.always {
		return allDay
	}
	if hours, ok := c.open[d]; ok {
		return hours
	}
	if c.closed[d] || (c.hol != nil && c.hol.closed(d)) {
		return nil
	}
	return c.week[wd]
}

var allDay = []Span{{0, 24 * time.Hour}}

// IsOpen reports whether t falls in working hours. A span includes its
// start and excludes its end.
func (c *Calendar) IsOpen(t time.Time) bool {
	if c.always {
		return true
	}
	w := c.walk(t)
	w.limit(t)
	s, _, ok := w.next()
	return ok && s.Equal(t)
}

// IsWorkingDay reports whether the date of t, in the calendar's time
// zone, has working hours: a weekday with hours that is neither a holiday
// nor closed, or an open date.
func (c *Calendar) IsWorkingDay(t time.Time) bool {
	lt := t.In(c.loc)
	return len(c.spansOn(civilOf(lt), lt.Weekday())) > 0
}

// NextOpen returns t if it falls in working hours, else the start of the
// next working span. It returns the zero Time when the calendar has no
// working time in the ten years (3,653 days) after t.
func (c *Calendar) NextOpen(t time.Time) time.Time {
	if c.always {
		return t.In(c.loc)
	}
	w := c.walk(t)
	s, _, ok := w.next()
	if !ok {
		return time.Time{}
	}
	return s
}

// Add returns the earliest instant at which d of business time has passed
// since t; outside working hours, counting starts at the next opening. An
// amount that ends with a span returns that span's end, not the next
// opening. Add returns t when d <= 0, and the zero Time when it meets ten
// years (3,653 days) in a row without working time.
func (c *Calendar) Add(t time.Time, d time.Duration) time.Time {
	if d <= 0 {
		return t.In(c.loc)
	}
	if c.always {
		return t.Add(d).In(c.loc)
	}
	w := c.walk(t)
	for {
		s, e, ok := w.next()
		if !ok {
			return time.Time{}
		}
		avail := e.Sub(s)
		if d <= avail {
			return s.Add(d)
		}
		d -= avail
	}
}

// Between returns the business time in [a, b), or 0 if b is not after a.
// Its cost grows with the number of days from a to b. Working time after
// ten years in a row without any is not counted, as Add would not reach it.
func (c *Calendar) Between(a, b time.Time) time.Duration {
	if !b.After(a) {
		return 0
	}
	if c.always {
		return b.Sub(a)
	}
	w := c.walk(a)
	w.limit(b)
	var sum time.Duration
	for {
		s, e, ok := w.next()
		if !ok || !s.Before(b) {
			return sum
		}
		if e.After(b) {
			e = b
		}
		d := e.Sub(s)
		if sum > math.MaxInt64-d {
			return math.MaxInt64
		}
		sum += d
	}
}
