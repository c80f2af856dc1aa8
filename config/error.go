package config

import (
	"fmt"
	"strings"
)

// Problem is one thing wrong with a configuration file, located at the line and column of the
// offending value (or of the enclosing section when a required key is missing).
type Problem struct {
	Line, Column int    // 1-based; 0 when the problem has no position, such as an empty file
	Path         string // the key in the file, e.g. mailboxes[1].tls; "" for the whole file
	Msg          string // what is wrong, e.g. "must be one of implicit, starttls, plain"
}

// String renders p without a file name, e.g. "12:5: mailboxes[1].tls: must be one of ...".
func (p Problem) String() string {
	var b strings.Builder
	if p.Line > 0 {
		fmt.Fprintf(&b, "%d:", p.Line)
		if p.Column > 0 {
			fmt.Fprintf(&b, "%d:", p.Column)
		}
		b.WriteByte(' ')
	}
	if p.Path != "" {
		b.WriteString(p.Path)
		b.WriteString(": ")
	}
	b.WriteString(p.Msg)
	return b.String()
}

// Error is the error returned by Load and Parse for an invalid configuration. It lists every
// problem found, ordered by position in the file.
type Error struct {
	File     string    // the file name given to Parse or the path given to Load
	Problems []Problem // at least one
}

// Error renders one problem per line, as "deskgate.yaml:12:5: mailboxes[1].tls: must be one of
// implicit, starttls, plain".
func (e *Error) Error() string {
	var b strings.Builder
	for i, p := range e.Problems {
		if i > 0 {
			b.WriteByte('\n')
		}
		if e.File != "" {
			b.WriteString(e.File)
			if p.Line > 0 {
				b.WriteByte(':')
			} else {
				b.WriteString(": ")
			}
		}
		b.WriteString(p.String())
	}
	return b.String()
}
