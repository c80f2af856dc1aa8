package sla

import (
	"fmt"
	"time"
)

// civil is a date on the calendar, without a time or a location.
type civil struct {
	y int
	m time.Month
	d int
}

// civilOf returns the date of t in t's location.
func civilOf(t time.Time) civil {
	y, m, d := t.Date()
	return civil{y, m, d}
}

// parseDate parses "2006-01-02".
func parseDate(s string) (civil, error) {
	t, err := time.Parse(time.DateOnly, s)
	if err != nil {
		return civil{}, fmt.Errorf("%q is not a date YYYY-MM-DD", s)
	}
	return civilOf(t), nil
}

func (c civil) String() string { return fmt.Sprintf("%04d-%02d-%02d", c.y, c.m, c.d) }

func (c civil) before(o civil) bool {
	if c.y != o.y {
		return c.y < o.y
	}
	if c.m != o.m {
		return c.m < o.m
	}
	return c.d < o.d
}

func (c civil) weekday() time.Weekday {
	return time.Date(c.y, c.m, c.d, 12, 0, 0, 0, time.UTC).Weekday()
}

// next returns the following date.
func (c civil) next() civil {
	if c.d < daysIn(c.m, c.y) {
		c.d++
		return c
	}
	c.d = 1
	if c.m == time.December {
		c.m = time.January
		c.y++
	} else {
		c.m++
	}
	return c
}

func daysIn(m time.Month, y int) int {
	switch m {
	case time.February:
		if y%4 == 0 && (y%100 != 0 || y%400 == 0) {
			return 29
		}
		return 28
	case time.April, time.June, time.September, time.November:
		return 30
	}
	return 31
}

// at returns the instant at wall-clock offset off (0 to 24h) after the
// midnight that starts c in loc, as time.Date resolves it: a wall time that
// a DST change skips or repeats maps to one of the two offsets around the
// change, and 24:00 is the next day's 00:00.
func (c civil) at(off time.Duration, loc *time.Location) time.Time {
	h := off / time.Hour
	off -= h * time.Hour
	m := off / time.Minute
	off -= m * time.Minute
	s := off / time.Second
	off -= s * time.Second
	return time.Date(c.y, c.m, c.d, int(h), int(m), int(s), int(off), loc)
}
