package rules

import (
	"slices"
	"strings"

	"github.com/expr-lang/expr/vm"
)

// state is the per-Evaluate scratch space: the env the programs see, the
// VM that runs them and caches for the guards. States are pooled.
type state struct {
	env                        // the facts (with the working ticket) and header()
	boxed    any               // &env: expr reads the fields through the pointer
	vm       vm.VM             // reused: it keeps its stack between runs
	cur      *Attachment       // the element of an attachment predicate
	headers  map[string]string // Facts.Headers with lower-case names, once needed
	hdrDone  bool
	lower    [numMessageFacts]string // strings.ToLower of message facts, once needed
	ascii    [numMessageFacts]bool   // whether the fact is all ASCII
	done     [numMessageFacts]bool
	fold     [numMessageFacts]string // foldASCII of message facts, once needed
	foldDone [numMessageFacts]bool
	// pairs of message facts (as is, lower-cased, folded), once needed
	pairs     [numMessageFacts][3]pairs
	pairsDone [numMessageFacts][3]bool
}

func newState() any {
	s := &state{}
	s.Header = s.header
	s.boxed = &s.env
	return s
}

// reset clears everything that refers to the caller's data, so that s can
// go back to its pool.
func (s *state) reset() {
	s.Facts = Facts{}
	s.cur, s.headers, s.hdrDone = nil, nil, false
	s.lower, s.done = [numMessageFacts]string{}, [numMessageFacts]bool{}
	s.fold, s.foldDone = [numMessageFacts]string{}, [numMessageFacts]bool{}
	s.pairsDone = [numMessageFacts][3]bool{}
}

// header implements header(): the first value of the named header, "" if
// absent, ignoring the case of name.
func (s *state) header(name string) string {
	if !s.hdrDone {
		s.headers, s.hdrDone = lowerKeys(s.Headers), true
	}
	return s.headers[strings.ToLower(name)]
}

// lowerHeader is header for a name already in lower case.
func (s *state) lowerHeader(name string) string {
	if !s.hdrDone {
		s.headers, s.hdrDone = lowerKeys(s.Headers), true
	}
	return s.headers[name]
}

// folded returns foldASCII of message fact i.
func (s *state) folded(i int) string {
	if !s.foldDone[i] {
		if lower, ascii := s.lowered(i); ascii {
			s.fold[i] = lower
		} else {
			s.fold[i] = foldASCII(stringFacts[i].get(s))
		}
		s.foldDone[i] = true
	}
	return s.fold[i]
}

// lowered returns strings.ToLower of message fact i and whether it is all ASCII.
func (s *state) lowered(i int) (string, bool) {
	if !s.done[i] {
		v := stringFacts[i].get(s)
		s.lower[i], s.ascii[i], s.done[i] = strings.ToLower(v), isASCII(v), true
	}
	return s.lower[i], s.ascii[i]
}

// stringFacts are the string facts guards can read, by path. The first
// numMessageFacts describe the message and do not change during Evaluate,
// so their lower-case forms can be cached; ticket fields can change.
var stringFacts = [...]struct {
	path string
	get  func(*state) string
}{
	{"event", func(s *state) string { return s.Event }},
	{"mailbox", func(s *state) string { return s.Mailbox }},
	{"queue", func(s *state) string { return s.Queue }},
	{"from.address", func(s *state) string { return s.From.Address }},
	{"from.domain", func(s *state) string { return s.From.Domain }},
	{"from.name", func(s *state) string { return s.From.Name }},
	{"subject", func(s *state) string { return s.Subject }},
	{"text", func(s *state) string { return s.Text }},
	{"full_text", func(s *state) string { return s.FullText }},
	{"language", func(s *state) string { return s.Language }},
	{"class", func(s *state) string { return s.Class }},
	{"weekday", func(s *state) string { return s.Weekday }},
	{"ticket.status", func(s *state) string { return s.Ticket.Status }},
	{"ticket.category", func(s *state) string { return s.Ticket.Category }},
	{"ticket.impact", func(s *state) string { return s.Ticket.Impact }},
	{"ticket.urgency", func(s *state) string { return s.Ticket.Urgency }},
	{"ticket.priority", func(s *state) string { return s.Ticket.Priority }},
	{"ticket.team", func(s *state) string { return s.Ticket.Team }},
	{"ticket.assignee", func(s *state) string { return s.Ticket.Assignee }},
	{"ticket.language", func(s *state) string { return s.Ticket.Language }},
	{"previous.status", func(s *state) string { return s.Previous.Status }},
	{"previous.category", func(s *state) string { return s.Previous.Category }},
	{"previous.impact", func(s *state) string { return s.Previous.Impact }},
	{"previous.urgency", func(s *state) string { return s.Previous.Urgency }},
	{"previous.priority", func(s *state) string { return s.Previous.Priority }},
	{"previous.team", func(s *state) string { return s.Previous.Team }},
	{"previous.assignee", func(s *state) string { return s.Previous.Assignee }},
	{"previous.language", func(s *state) string { return s.Previous.Language }},
}

const numMessageFacts = 12 // stringFacts before "ticket.status"

var intFacts = map[string]func(*state) int64{
	"hour":            func(s *state) int64 { return int64(s.Hour) },
	"ticket.number":   func(s *state) int64 { return s.Ticket.Number },
	"previous.number": func(s *state) int64 { return s.Previous.Number },
}

var boolFacts = map[string]func(*state) bool{
	"known_requester": func(s *state) bool { return s.KnownRequester },
	"business_hours":  func(s *state) bool { return s.BusinessHours },
}

var listFacts = map[string]func(*state) []string{
	"to":            func(s *state) []string { return s.To },
	"cc":            func(s *state) []string { return s.Cc },
	"ticket.tags":   func(s *state) []string { return s.Ticket.Tags },
	"previous.tags": func(s *state) []string { return s.Previous.Tags },
}

// lowerKeys returns h if all its names are in lower case, else a copy with
// lower-case names. When two names differ only in case, the lower-case one
// wins, then the first in sort order.
func lowerKeys(h map[string]string) map[string]string {
	lower := true
	for k := range h {
		if !isLower(k) {
			lower = false
			break
		}
	}
	if lower {
		return h
	}
	out := make(map[string]string, len(h))
	var mixed []string
	for k, v := range h {
		if strings.ToLower(k) == k {
			out[k] = v
		} else {
			mixed = append(mixed, k)
		}
	}
	slices.Sort(mixed)
	for _, k := range mixed {
		if _, ok := out[strings.ToLower(k)]; !ok {
			out[strings.ToLower(k)] = h[k]
		}
	}
	return out
}

// isLower reports whether s has no upper-case letter.
func isLower(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c >= 0x80 || 'A' <= c && c <= 'Z' {
			return strings.ToLower(s) == s
		}
	}
	return true
}
