package sla

import "time"

// maxClosedDays is how many days in a row without working time a walk
// crosses before it gives up: ten years.
const maxClosedDays = 3653

// walker yields a calendar's working intervals in order, starting at a
// given instant. Intervals never overlap and never start before cur, even
// where a DST change makes a day's spans overlap in absolute time.
type walker struct {
	c       *Calendar
	day     civil
	wd      time.Weekday
	spans   []Span // the spans of day
	i       int    // the next span of day
	cur     time.Time
	last    civil // with limited, the last day to walk
	limited bool
	closed  int // days crossed since the last interval
}

func (c *Calendar) walk(from time.Time) walker {
	lt := from.Round(0).In(c.loc) // without a monotonic reading: compare wall times only
	w := walker{c: c, day: civilOf(lt), wd: lt.Weekday(), cur: lt}
	w.spans = c.spansOn(w.day, w.wd)
	return w
}

// limit stops the walk after the date of t.
func (w *walker) limit(t time.Time) {
	w.last = civilOf(t.In(w.c.loc))
	w.limited = true
}

// next returns the next working interval [s, e). It reports false after
// the last day of a limited walk, or when maxClosedDays days in a row had
// no working time.
func (w *walker) next() (s, e time.Time, ok bool) {
	for {
		for w.i < len(w.spans) {
			sp := w.spans[w.i]
			w.i++
			e = w.day.at(sp.End, w.c.loc)
			if !e.After(w.cur) {
				continue
			}
			s = w.day.at(sp.Start, w.c.loc)
			if s.Before(w.cur) {
				s = w.cur
			}
			if !s.Before(e) {
				// A span that a DST change turned inside out: 02:30-03:00
				// on a day without 02:00-03:00 runs 03:30-03:00.
				continue
			}
			w.cur = e
			w.closed = 0
			return s, e, true
		}
		if w.limited && !w.day.before(w.last) {
			return time.Time{}, time.Time{}, false
		}
		if w.closed++; w.closed > maxClosedDays {
			return time.Time{}, time.Time{}, false
		}
		w.day = w.day.next()
		w.wd = (w.wd + 1) % 7
		w.spans = w.c.spansOn(w.day, w.wd)
		w.i = 0
	}
}
