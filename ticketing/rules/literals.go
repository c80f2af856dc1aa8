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
	branches := prefilter(pattern)
	if branches == nil {
		return func(s *state) bool { return re.MatchString(get(s)) }
	}
	fact, lowered := t.messageFact(operand)
	if lowered {
		fact = -1 // the operand is lower(fact), not the fact: use the uncached checks
	}
	hs := make([][][]uint32, len(branches))
	for b, lits := range branches {
		for _, l := range lits {
			hs[b] = append(hs[b], needlePairs(l.s))
		}
	}
	return func(s *state) bool {
		v := get(s)
		for b, lits := range branches {
			if mayMatch(s, fact, v, lits, hs[b]) {
				return re.MatchString(v)
			}
		}
		return false
	}
}

// mayMatch reports whether v (message fact number fact, or -1) contains
// every literal of lits, whose needle pairs are hs.
func mayMatch(s *state, fact int, v string, lits []literal, hs [][]uint32) bool {
	for i, l := range lits {
		switch {
		case !l.fold && fact >= 0:
			if !s.contains(fact, asIs, v, l.s, hs[i]) {
				return false
			}
		case !l.fold:
			if !strings.Contains(v, l.s) {
				return false
			}
		case fact >= 0:
			if !s.contains(fact, folded, s.folded(fact), l.s, hs[i]) {
				return false
			}
		default:
			if !strings.Contains(foldASCII(v), l.s) {
				return false
			}
		}
	}
	return true
}

// literal is a string every match of a regular expression contains; fold
// means ASCII case is ignored and s is in lower case.
type literal struct {
	s    string
	fold bool
}

// prefilter returns, for each branch of pattern's top-level alternation
// (the whole pattern when it has none), the literals every match of that
// branch contains; a match is possible only where some branch's literals
// all occur. nil when some branch requires no literal.
func prefilter(pattern string) [][]literal {
	re, err := syntax.Parse(pattern, syntax.Perl) // as regexp.Compile parses
	if err != nil {
		return nil
	}
	for re.Op == syntax.OpCapture {
		re = re.Sub[0]
	}
	subs := []*syntax.Regexp{re}
	if re.Op == syntax.OpAlternate {
		subs = re.Sub
	}
	var branches [][]literal
	for _, sub := range subs {
		lits := required(sub, nil)
		if len(lits) == 0 {
			return nil
		}
		branches = append(branches, lits)
	}
	return branches
}

// requiredLiterals returns literals that every match of pattern contains:
// those of its top-level concatenation, through groups and mandatory
// repetitions. Case-folded literals are kept only when they are ASCII, and
// are looked for in foldASCII of the input.
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

// foldASCII lower-cases the ASCII letters of s and turns the two other
// runes that fold to ASCII letters (U+212A KELVIN SIGN to k, U+017F LONG S
// to s), so that an ASCII literal matched with (?i) can only match where
// foldASCII(s) contains its lower case. Other bytes are kept: no other
// rune folds to an ASCII letter (TestFoldASCIICoversEveryFold).
func foldASCII(s string) string {
	if isASCII(s) {
		return strings.ToLower(s)
	}
	var b strings.Builder
	b.Grow(len(s))
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if 'A' <= c && c <= 'Z' {
				c += 'a' - 'A'
			}
			b.WriteByte(c)
			i++
			continue
		}
		r, n := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == '\u212a':
			b.WriteByte('k')
		case r == '\u017f':
			b.WriteByte('s')
		default:
			b.WriteString(s[i : i+n])
		}
		i += n
	}
	return b.String()
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			return false
		}
	}
	return true
}
