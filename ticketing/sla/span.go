package sla

import (
	"cmp"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
)

// Span is a working span within one day: from Start to End after local
// midnight, measured on the wall clock, with 0 <= Start < End <= 24h.
type Span struct{ Start, End time.Duration }

// ParseSpan parses a span written "08:30-17:00" (24-hour clock; "24:00"
// ends a span at midnight).
func ParseSpan(s string) (Span, error) {
	from, to, ok := strings.Cut(s, "-")
	if !ok {
		return Span{}, fmt.Errorf("sla: span %q: want HH:MM-HH:MM", s)
	}
	start, err1 := parseClock(strings.TrimSpace(from))
	end, err2 := parseClock(strings.TrimSpace(to))
	if err := cmp.Or(err1, err2); err != nil {
		return Span{}, fmt.Errorf("sla: span %q: %w", s, err)
	}
	sp := Span{start, end}
	if err := sp.check(); err != nil {
		return Span{}, fmt.Errorf("sla: span %q: %w", s, err)
	}
	return sp, nil
}

// parseClock parses "HH:MM", 00:00 to 24:00.
func parseClock(s string) (time.Duration, error) {
	if len(s) != 5 || s[2] != ':' {
		return 0, fmt.Errorf("%q is not HH:MM", s)
	}
	for _, c := range s[:2] + s[3:] {
		if c < '0' || c > '9' {
			return 0, fmt.Errorf("%q is not HH:MM", s)
		}
	}
	h := int(s[0]-'0')*10 + int(s[1]-'0')
	m := int(s[3]-'0')*10 + int(s[4]-'0')
	if m > 59 || h > 24 || (h == 24 && m != 0) {
		return 0, fmt.Errorf("%q is not a time of day", s)
	}
	return time.Duration(h)*time.Hour + time.Duration(m)*time.Minute, nil
}

// String formats s as ParseSpan reads it, with seconds when it has them.
func (s Span) String() string { return clock(s.Start) + "-" + clock(s.End) }

func clock(d time.Duration) string {
	if d < 0 || d > 24*time.Hour {
		return d.String()
	}
	h, m, sec := d/time.Hour, d%time.Hour/time.Minute, d%time.Minute
	if sec != 0 {
		return fmt.Sprintf("%02d:%02d:%02g", h, m, sec.Seconds())
	}
	return fmt.Sprintf("%02d:%02d", h, m)
}

func (s Span) check() error {
	switch {
	case s.Start < 0 || s.End > 24*time.Hour:
		return errors.New("outside 00:00-24:00")
	case s.Start >= s.End:
		return errors.New("start not before end")
	}
	return nil
}

// checkSpans returns spans sorted by start, and their problems as suffixes
// of a field name ("[1] 12:00-11:00: start not before end").
func checkSpans(spans []Span) ([]Span, []string) {
	var errs []string
	for i, sp := range spans {
		if err := sp.check(); err != nil {
			errs = append(errs, fmt.Sprintf("[%d] %s: %v", i, sp, err))
		}
	}
	if errs != nil {
		return nil, errs
	}
	sorted := slices.Clone(spans)
	slices.SortFunc(sorted, func(a, b Span) int { return cmp.Compare(a.Start, b.Start) })
	for i := 1; i < len(sorted); i++ {
		if sorted[i].Start < sorted[i-1].End {
			j := slices.Index(spans, sorted[i])
			errs = append(errs, fmt.Sprintf("[%d] %s: overlaps %s", j, sorted[i], sorted[i-1]))
		}
	}
	return sorted, errs
}
