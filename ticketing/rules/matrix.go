package rules

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
)

// Matrix maps a ticket's impact and urgency to its priority, ITIL style.
// Names compare case-insensitively and are returned in the spelling given to
// NewMatrix. A Matrix is immutable and safe for concurrent use.
type Matrix struct {
	impacts, urgencies []string
	priorities         []string          // from highest
	cells              map[[2]string]int // lower-case impact, urgency → index in priorities
}

// DefaultMatrix returns the service desk's default matrix (priorities from
// highest: High, Normal, Medium, Low):
//
//	impact \ urgency  Low     Normal  High    Urgent
//	Low               Low     Medium  Normal  High
//	Medium            Medium  Medium  High    High
//	High              Normal  Normal  High    High
func DefaultMatrix() *Matrix {
	m, err := NewMatrix(
		[]string{"Low", "Medium", "High"},
		[]string{"Low", "Normal", "High", "Urgent"},
		[]string{"High", "Normal", "Medium", "Low"},
		map[[2]string]string{
			{"Low", "Low"}: "Low", {"Low", "Normal"}: "Medium", {"Low", "High"}: "Normal", {"Low", "Urgent"}: "High",
			{"Medium", "Low"}: "Medium", {"Medium", "Normal"}: "Medium", {"Medium", "High"}: "High", {"Medium", "Urgent"}: "High",
			{"High", "Low"}: "Normal", {"High", "Normal"}: "Normal", {"High", "High"}: "High", {"High", "Urgent"}: "High",
		})
	if err != nil {
		panic(err) // the table above is wrong
	}
	return m
}

// NewMatrix returns the matrix with the given impacts, urgencies and
// priorities (highest first) whose cells map {impact, urgency} to a
// priority. It checks that every list is non-empty without blank or
// duplicate names (ignoring case) and that every impact × urgency cell is set
// exactly once to a known priority; the error lists every problem.
func NewMatrix(impacts, urgencies, priorities []string, cells map[[2]string]string) (*Matrix, error) {
	var errs []error
	fail := func(format string, args ...any) {
		errs = append(errs, fmt.Errorf("rules: matrix: "+format, args...))
	}
	for _, l := range []struct {
		what  string
		names []string
	}{{"impacts", impacts}, {"urgencies", urgencies}, {"priorities", priorities}} {
		if len(l.names) == 0 {
			fail("no %s", l.what)
		}
		for i, n := range l.names {
			if strings.TrimSpace(n) == "" {
				fail("%s[%d] is blank", l.what, i)
			} else if j := indexFold(l.names[:i], n); j >= 0 {
				fail("%s[%d] %q repeats %s[%d]", l.what, i, n, l.what, j)
			}
		}
	}
	m := &Matrix{
		impacts:    slices.Clone(impacts),
		urgencies:  slices.Clone(urgencies),
		priorities: slices.Clone(priorities),
		cells:      make(map[[2]string]int, len(cells)),
	}
	keys := make([][2]string, 0, len(cells))
	for k := range cells {
		keys = append(keys, k)
	}
	slices.SortFunc(keys, func(a, b [2]string) int { // report in a stable order
		return strings.Compare(a[0]+"\x00"+a[1], b[0]+"\x00"+b[1])
	})
	for _, k := range keys {
		i, u := indexFold(impacts, k[0]), indexFold(urgencies, k[1])
		p := indexFold(priorities, cells[k])
		switch {
		case i < 0:
			fail("cell {%q, %q}: unknown impact %q", k[0], k[1], k[0])
		case u < 0:
			fail("cell {%q, %q}: unknown urgency %q", k[0], k[1], k[1])
		case p < 0:
			fail("cell {%q, %q}: unknown priority %q", k[0], k[1], cells[k])
		default:
			key := [2]string{strings.ToLower(k[0]), strings.ToLower(k[1])}
			if _, dup := m.cells[key]; dup {
				fail("cell {%q, %q} is set twice", impacts[i], urgencies[u])
			}
			m.cells[key] = p
		}
	}
	for _, i := range impacts {
		for _, u := range urgencies {
			if _, ok := m.cells[[2]string{strings.ToLower(i), strings.ToLower(u)}]; !ok {
				fail("cell {%q, %q} is not set", i, u)
			}
		}
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	return m, nil
}

// Priority returns the priority for impact and urgency, and false if either
// is unknown.
func (m *Matrix) Priority(impact, urgency string) (string, bool) {
	p, ok := m.cells[[2]string{strings.ToLower(impact), strings.ToLower(urgency)}]
	if !ok {
		return "", false
	}
	return m.priorities[p], true
}

// Impacts returns the impacts in the order given to NewMatrix.
func (m *Matrix) Impacts() []string { return slices.Clone(m.impacts) }

// Urgencies returns the urgencies in the order given to NewMatrix.
func (m *Matrix) Urgencies() []string { return slices.Clone(m.urgencies) }

// Priorities returns the priorities from highest to lowest.
func (m *Matrix) Priorities() []string { return slices.Clone(m.priorities) }

// Rank returns the position of priority from the highest (0), or -1 if it is
// unknown.
func (m *Matrix) Rank(priority string) int {
	return indexFold(m.priorities, priority)
}

// Raise returns the priority one level above priority, or priority itself
// (in canonical spelling) when it is the highest. An unknown priority is
// returned unchanged.
func (m *Matrix) Raise(priority string) string {
	r := m.Rank(priority)
	switch {
	case r < 0:
		return priority
	case r == 0:
		return m.priorities[0]
	}
	return m.priorities[r-1]
}

// Targets are the SLA targets of a priority, in business time.
type Targets struct {
	Response   time.Duration // until the first public agent reply
	Resolution time.Duration // until resolved, not counting time pending
}

// DefaultTargets returns the default targets per priority of DefaultMatrix.
// Resolution targets are the service desk's (High 4 h, Normal 8 h, Medium
// 16 h, Low 40 h); first-response targets are deskgate's choice, a quarter of
// the resolution target rounded to whole hours (1 h, 2 h, 4 h, 8 h; Low is
// capped at one business day).
func DefaultTargets() map[string]Targets {
	return map[string]Targets{
		"High":   {Response: 1 * time.Hour, Resolution: 4 * time.Hour},
		"Normal": {Response: 2 * time.Hour, Resolution: 8 * time.Hour},
		"Medium": {Response: 4 * time.Hour, Resolution: 16 * time.Hour},
		"Low":    {Response: 8 * time.Hour, Resolution: 40 * time.Hour},
	}
}

// indexFold returns the index of the first name equal to s ignoring case, or -1.
func indexFold(names []string, s string) int {
	for i, n := range names {
		if strings.EqualFold(n, s) {
			return i
		}
	}
	return -1
}
