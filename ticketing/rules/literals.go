package rules

import (
	"regexp"
	"regexp/syntax"
	"strings"
	"unicode/utf8"

	"github.com/expr-lang/expr/ast"
)

// matches returns the guard for operand matches pattern. Before running the
// regular expression it checks the literals every match must contain (see
// requiredLiterals), which rules most subjects out at the cost of a substring
// search.
func (t *translator) matches(operand ast.Node, get func(*state) string, pattern string) guard {
	re, err := regexp.Compile(pattern)
	if err != nil {
		return nil // the checker has rejected it already
	}
	lits := requiredLiterals(pattern)
	if len(lits) == 0 {
		return func(s *state) bool { return re.MatchString(get(s)) }
	}
	fact, lowered := t.messageFact(operand)
	if lowered {
		fact = -1 // the operand is lower(fact), not the fact: use the uncached checks
	}
	hs := make([][]uint32, len(lits))
	for i, l := range lits {
		hs[i] = needlePairs(l.s)
	}
	return func(s *state) bool {
		v := get(s)
		for i, l := range lits {
			switch {
			case !l.fold && fact >= 0:
				if !s.contains(fact, false, v, l.s, hs[i]) {
					return false
				}
			case !l.fold:
				if !strings.Contains(v, l.s) {
					return false
				}
			case fact >= 0:
				if lower, ascii := s.lowered(fact); ascii && !s.contains(fact, true, lower, l.s, hs[i]) {
					return false
				}
			default:
				if lacksFoldASCII(v, l.s) {
					return false
				}
			}
		}
		return re.MatchString(v)
	}
}

// literal is a string every match of a regular expression contains; fold
// means ASCII case is ignored and s is in lower case.
type literal struct {
	s    string
	fold bool
}

// requiredLiterals returns literals that every match of pattern contains:
// those of its top-level concatenation, through groups and mandatory
// repetitions. Case-folded literals are kept only when they are ASCII, and
// are then only used on ASCII input, where folding is ASCII case.
func requiredLiterals(pattern string) []literal {
	re, err := syntax.Parse(pattern, syntax.Perl) // as regexp.Compile parses
	if err != nil {
		return nil
	}
	return required(re, nil)
}

func required(re *syntax.Regexp, out []literal) []literal {
	switch re.Op {
	case syntax.OpLiteral:
		s := string(re.Rune)
		if strings.ContainsRune(s, utf8.RuneError) {
			return out // matches any invalid byte, which Contains would not find
		}
		if re.Flags&syntax.FoldCase == 0 {
			return append(out, literal{s: s})
		}
		if isASCII(s) {
			return append(out, literal{s: strings.ToLower(s), fold: true})
		}
	case syntax.OpCapture, syntax.OpPlus:
		return required(re.Sub[0], out)
	case syntax.OpRepeat:
		if re.Min >= 1 {
			return required(re.Sub[0], out)
		}
	case syntax.OpConcat:
		for _, sub := range re.Sub {
			out = required(sub, out)
		}
	}
	return out
}

// lacksFoldASCII reports whether s, if all ASCII, contains no ASCII-case
// variant of lit (lower-case). For non-ASCII s it returns false: Unicode
// folding could match (K, the Kelvin sign, matches k).
func lacksFoldASCII(s, lit string) bool {
	if !isASCII(s) {
		return false
	}
	for i := 0; i+len(lit) <= len(s); i++ {
		if strings.EqualFold(s[i:i+len(lit)], lit) {
			return false
		}
	}
	return true
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			return false
		}
	}
	return true
}
