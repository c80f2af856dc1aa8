package rules

import (
	"fmt"
	"strings"
)

// LoadError is one problem with one rule, found by Compile. Compile returns
// all of them joined with errors.Join; use errors.As or the Unwrap() []error
// method to walk them.
type LoadError struct {
	Rule  int    // index of the rule in the set, from 0
	Name  string // the rule's name as written, "" if it has none
	Field string // "name", "on", "when", "then" or "then.<action>", e.g. "then.add_tags[1]"
	// Line and Column locate a condition error inside When, both from 1;
	// Column counts characters (runes), a tab counting as one. Both are 0
	// when the problem has no position.
	Line, Column int
	Msg          string // what is wrong, e.g. "unknown name frm"
}

// Error renders e on one line as
//
//	rules[<index>] "<name>": <field>: line <l>, column <c>: <msg>
//
// leaving out the name when it is empty and the position when it is unknown:
//
//	rules[2] "VIP": when: line 1, column 14: unknown name frm
//	rules[0]: name: missing
func (e *LoadError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "rules[%d]", e.Rule)
	if e.Name != "" {
		fmt.Fprintf(&b, " %q", e.Name)
	}
	b.WriteString(": ")
	b.WriteString(e.Field)
	b.WriteString(": ")
	if e.Line > 0 {
		fmt.Fprintf(&b, "line %d, column %d: ", e.Line, e.Column)
	}
	b.WriteString(e.Msg)
	return b.String()
}

// position converts a rune offset in src to a 1-based line and column.
func position(src string, offset int) (line, column int) {
	line, column = 1, 1
	n := 0
	for _, r := range src {
		if n == offset {
			break
		}
		if r == '\n' {
			line++
			column = 1
		} else {
			column++
		}
		n++
	}
	return line, column
}
