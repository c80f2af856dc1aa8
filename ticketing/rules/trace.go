package rules

import (
	"encoding/json"
	"slices"
)

// Trace records how each rule considered by Evaluate was decided: every rule
// whose On was the event, in order, up to and including the rule that ended
// evaluation. It stores only the rules that matched or failed; Step and
// Steps rebuild the rest, so that evaluating 200 rules does not allocate 200
// Steps. The zero Trace is empty.
type Trace struct {
	rules []*rule // the set's rules for the event; the first n were considered
	n     int
	marks []mark // the rules that matched or failed, in order
}

// mark is the outcome of a rule that matched or failed.
type mark struct {
	at      int
	matched bool
	stop    bool
	err     string
}

// Step records how one rule was evaluated.
type Step struct {
	Rule    string `json:"rule"`
	Matched bool   `json:"matched"`
	// Stop is true for the rule that ended evaluation (by stop or ignore).
	Stop bool `json:"stop,omitempty"`
	// Err is the runtime error of the condition, e.g. "line 1, column 12:
	// index out of range: 0 (array length is 0)"; such a rule does not match.
	Err string `json:"error,omitempty"`
	// Actions are the matched rule's actions as key=value, in the order they
	// were applied, e.g. "category=Billing", "add_tags=vip,urgent"; nil when
	// the rule did not match.
	Actions []string `json:"actions,omitempty"`
}

func (t *Trace) mark(m mark) {
	if t.marks == nil {
		t.marks = make([]mark, 0, 8) // rules rarely match more
	}
	t.marks = append(t.marks, m)
}

// Len returns the number of rules considered.
func (t Trace) Len() int { return t.n }

// Step returns the record of the i-th rule considered, 0 <= i < Len().
func (t Trace) Step(i int) Step {
	if i < 0 || i >= t.n {
		panic("rules: Trace.Step index out of range")
	}
	s := Step{Rule: t.rules[i].Name}
	if j, ok := slices.BinarySearchFunc(t.marks, i, func(m mark, i int) int { return m.at - i }); ok {
		m := t.marks[j]
		s.Matched, s.Stop, s.Err = m.matched, m.stop, m.err
		if m.matched {
			s.Actions = slices.Clone(t.rules[i].actions)
		}
	}
	return s
}

// Steps returns every Step, in order.
func (t Trace) Steps() []Step {
	out := make([]Step, t.n)
	for i := range out {
		out[i] = t.Step(i)
	}
	return out
}

// Fired returns the Steps of the rules that matched, in order: what the event
// log records.
func (t Trace) Fired() []Step {
	var out []Step
	for _, m := range t.marks {
		if m.matched {
			out = append(out, t.Step(m.at))
		}
	}
	return out
}

// MarshalJSON encodes t as the array of its Steps.
func (t Trace) MarshalJSON() ([]byte, error) {
	return json.Marshal(t.Steps())
}
