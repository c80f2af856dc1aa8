package rules

import (
	"strings"

	"github.com/expr-lang/expr/ast"
)

// A guard is a necessary condition of a rule's When, checked in Go before
// the expr program runs, so that a rule that cannot match costs nanoseconds
// instead of a VM run. It is built from the leading conjuncts of the compiled
// condition's top-level && chain that have an exact, error-free Go
// equivalent (string, number and bool facts compared with constants,
// contains/startsWith/endsWith/matches/in, header(), lower(), len() and
// any/all/none/one over attachments). When the guard is false, expr would have
// stopped at the same conjunct with false and no error, so skipping the
// program changes nothing; when it is true the program runs. expr stays the
// only judge of a match; TestGuardAgreesWithExpr checks the equivalence.
type guard func(*state) bool

// buildGuard returns the guard of a compiled condition, or nil if its first
// conjunct has no Go equivalent. complete reports whether the guard covers
// the whole condition (and so equals it).
func buildGuard(root ast.Node) (g guard, complete bool) {
	if hasLet(root) {
		return nil, false // a let may shadow a fact name
	}
	cs := conjuncts(root, nil)
	var gs []guard
	for _, c := range cs {
		g := (&translator{}).exact(c)
		if g == nil {
			break // later conjuncts run only after this one, in the VM
		}
		gs = append(gs, g)
	}
	complete = len(gs) == len(cs)
	if len(gs) == 0 {
		return nil, false
	}
	g = gs[0]
	for _, next := range gs[1:] {
		prev := g
		g = func(s *state) bool { return prev(s) && next(s) }
	}
	return g, complete
}

// conjuncts flattens a && chain in evaluation order.
func conjuncts(n ast.Node, out []ast.Node) []ast.Node {
	if b, ok := n.(*ast.BinaryNode); ok && (b.Operator == "&&" || b.Operator == "and") {
		return conjuncts(b.Right, conjuncts(b.Left, out))
	}
	return append(out, n)
}

func hasLet(n ast.Node) bool {
	v := &letFinder{}
	ast.Walk(&n, v)
	return v.found
}

type letFinder struct{ found bool }

func (v *letFinder) Visit(node *ast.Node) {
	if _, ok := (*node).(*ast.VariableDeclaratorNode); ok {
		v.found = true
	}
}

// translator turns condition nodes into Go functions. inElem is true inside
// an attachment predicate, where .name, .type and .size read state.cur.
type translator struct{ inElem bool }

// exact returns a Go function that computes n exactly as expr does and
// cannot fail, or nil.
func (t *translator) exact(n ast.Node) guard {
	switch n := n.(type) {
	case *ast.BoolNode:
		v := n.Value
		return func(*state) bool { return v }
	case *ast.IdentifierNode, *ast.MemberNode:
		if get, ok := boolFacts[path(n)]; ok && !t.inElem {
			return get
		}
	case *ast.UnaryNode:
		if n.Operator == "!" || n.Operator == "not" {
			if g := t.exact(n.Node); g != nil {
				return func(s *state) bool { return !g(s) }
			}
		}
	case *ast.BinaryNode:
		return t.binary(n)
	case *ast.BuiltinNode:
		return t.predicate(n)
	}
	return nil
}

// predicate handles any/all/none/one over attachments.
func (t *translator) predicate(n *ast.BuiltinNode) guard {
	if t.inElem || n.Threshold != nil || n.Map != nil || len(n.Arguments) != 2 || path(n.Arguments[0]) != "attachments" {
		return nil
	}
	p, ok := n.Arguments[1].(*ast.PredicateNode)
	if !ok {
		return nil
	}
	body := (&translator{inElem: true}).exact(p.Node)
	if body == nil {
		return nil
	}
	count := func(s *state, stopAt int) int {
		c := 0
		for i := range s.Attachments {
			s.cur = &s.Attachments[i]
			if body(s) {
				if c++; c == stopAt {
					break
				}
			}
		}
		s.cur = nil
		return c
	}
	switch n.Name {
	case "any":
		return func(s *state) bool { return count(s, 1) == 1 }
	case "none":
		return func(s *state) bool { return count(s, 1) == 0 }
	case "one":
		return func(s *state) bool { return count(s, 2) == 1 }
	case "all":
		return func(s *state) bool {
			all := true
			for i := range s.Attachments {
				s.cur = &s.Attachments[i]
				if !body(s) {
					all = false
					break
				}
			}
			s.cur = nil
			return all
		}
	}
	return nil
}

func (t *translator) binary(n *ast.BinaryNode) guard {
	switch n.Operator {
	case "&&", "and", "||", "or":
		l, r := t.exact(n.Left), t.exact(n.Right)
		if l == nil || r == nil {
			return nil
		}
		if n.Operator == "&&" || n.Operator == "and" {
			return func(s *state) bool { return l(s) && r(s) }
		}
		return func(s *state) bool { return l(s) || r(s) }
	case "in":
		return t.in(n)
	case "==", "!=", "<", "<=", ">", ">=":
		if g := t.compareNumbers(n); g != nil {
			return g
		}
	}
	left, right := n.Left, n.Right
	str, ok := right.(*ast.StringNode)
	if !ok && (n.Operator == "==" || n.Operator == "!=") {
		left, right = right, left
		str, ok = right.(*ast.StringNode)
	}
	if !ok {
		return nil
	}
	get := t.stringOperand(left)
	if get == nil {
		return nil
	}
	v := str.Value
	switch n.Operator {
	case "==":
		return func(s *state) bool { return get(s) == v }
	case "!=":
		return func(s *state) bool { return get(s) != v }
	case "contains":
		if i, lowered := t.messageFact(left); i >= 0 && len(v) >= 2 {
			hs := needlePairs(v)
			k := formOf(lowered)
			return func(s *state) bool { return s.contains(i, k, get(s), v, hs) }
		}
		return func(s *state) bool { return strings.Contains(get(s), v) }
	case "startsWith":
		return func(s *state) bool { return strings.HasPrefix(get(s), v) }
	case "endsWith":
		return func(s *state) bool { return strings.HasSuffix(get(s), v) }
	case "matches":
		return t.matches(left, get, v)
	}
	return nil
}

func (t *translator) in(n *ast.BinaryNode) guard {
	if c, ok := n.Right.(*ast.ConstantNode); ok {
		if set, ok := c.Value.(map[string]struct{}); ok {
			if get := t.stringOperand(n.Left); get != nil {
				return func(s *state) bool { _, ok := set[get(s)]; return ok }
			}
		}
		return nil
	}
	str, ok := n.Left.(*ast.StringNode)
	get, isList := listFacts[path(n.Right)]
	if !ok || !isList || t.inElem {
		return nil
	}
	v := str.Value
	return func(s *state) bool {
		for _, x := range get(s) {
			if x == v {
				return true
			}
		}
		return false
	}
}

// compareNumbers handles an integer fact, len() of a list or .size compared
// with a number literal, as expr compares numbers.
func (t *translator) compareNumbers(n *ast.BinaryNode) guard {
	get := t.intOperand(n.Left)
	if get == nil {
		return nil
	}
	var cmp func(int64) bool
	switch lit := n.Right.(type) {
	case *ast.IntegerNode:
		v := int64(lit.Value)
		cmp = intComparison(n.Operator, v)
	case *ast.FloatNode:
		v := lit.Value
		cmp = floatComparison(n.Operator, v)
	}
	if cmp == nil {
		return nil
	}
	return func(s *state) bool { return cmp(get(s)) }
}

func intComparison(op string, v int64) func(int64) bool {
	switch op {
	case "==":
		return func(x int64) bool { return x == v }
	case "!=":
		return func(x int64) bool { return x != v }
	case "<":
		return func(x int64) bool { return x < v }
	case "<=":
		return func(x int64) bool { return x <= v }
	case ">":
		return func(x int64) bool { return x > v }
	case ">=":
		return func(x int64) bool { return x >= v }
	}
	return nil
}

func floatComparison(op string, v float64) func(int64) bool {
	switch op {
	case "==":
		return func(x int64) bool { return float64(x) == v }
	case "!=":
		return func(x int64) bool { return float64(x) != v }
	case "<":
		return func(x int64) bool { return float64(x) < v }
	case "<=":
		return func(x int64) bool { return float64(x) <= v }
	case ">":
		return func(x int64) bool { return float64(x) > v }
	case ">=":
		return func(x int64) bool { return float64(x) >= v }
	}
	return nil
}

func (t *translator) intOperand(n ast.Node) func(*state) int64 {
	if t.inElem {
		if elemField(n) == "size" {
			return func(s *state) int64 { return s.cur.Size }
		}
		return nil
	}
	if get, ok := intFacts[path(n)]; ok {
		return get
	}
	b, ok := n.(*ast.BuiltinNode)
	if !ok || b.Name != "len" || len(b.Arguments) != 1 {
		return nil
	}
	p := path(b.Arguments[0])
	if p == "attachments" {
		return func(s *state) int64 { return int64(len(s.Attachments)) }
	}
	if get, ok := listFacts[p]; ok {
		return func(s *state) int64 { return int64(len(get(s))) }
	}
	return nil
}

// stringOperand returns a getter for a string fact, lower() of one,
// header("name"), or inside an attachment predicate .name or .type; nil for
// anything else.
func (t *translator) stringOperand(n ast.Node) func(*state) string {
	if t.inElem {
		switch b := n.(type) {
		case *ast.BuiltinNode:
			if b.Name == "lower" && len(b.Arguments) == 1 {
				if get := t.stringOperand(b.Arguments[0]); get != nil {
					return func(s *state) string { return strings.ToLower(get(s)) }
				}
			}
		default:
			switch elemField(n) {
			case "name":
				return func(s *state) string { return s.cur.Name }
			case "type":
				return func(s *state) string { return s.cur.Type }
			}
		}
		return nil
	}
	switch n := n.(type) {
	case *ast.IdentifierNode, *ast.MemberNode:
		if i := stringFact(path(n)); i >= 0 {
			return stringFacts[i].get
		}
	case *ast.BuiltinNode:
		if n.Name != "lower" || len(n.Arguments) != 1 {
			return nil
		}
		if i := stringFact(path(n.Arguments[0])); i >= 0 && i < numMessageFacts {
			return func(s *state) string { v, _ := s.lowered(i); return v }
		}
		if get := t.stringOperand(n.Arguments[0]); get != nil {
			return func(s *state) string { return strings.ToLower(get(s)) }
		}
	case *ast.CallNode:
		id, ok := n.Callee.(*ast.IdentifierNode)
		if !ok || id.Value != "header" || len(n.Arguments) != 1 {
			return nil
		}
		if name, ok := n.Arguments[0].(*ast.StringNode); ok {
			v := name.Value
			return func(s *state) string { return s.lowerHeader(v) }
		}
	}
	return nil
}

// messageFact returns the index in stringFacts of a message fact n, or of
// the fact in lower(fact) with lowered true; -1 for anything else.
func (t *translator) messageFact(n ast.Node) (i int, lowered bool) {
	if t.inElem {
		return -1, false
	}
	if b, ok := n.(*ast.BuiltinNode); ok && b.Name == "lower" && len(b.Arguments) == 1 {
		n, lowered = b.Arguments[0], true
	}
	if i = stringFact(path(n)); i >= 0 && i < numMessageFacts {
		return i, lowered
	}
	return -1, false
}

func stringFact(p string) int {
	if p == "" {
		return -1
	}
	for i, f := range stringFacts {
		if f.path == p {
			return i
		}
	}
	return -1
}

// path returns "name" or "name.field" for a plain fact reference, else "".
func path(n ast.Node) string {
	switch n := n.(type) {
	case *ast.IdentifierNode:
		return n.Value
	case *ast.MemberNode:
		id, ok := n.Node.(*ast.IdentifierNode)
		prop, isStr := n.Property.(*ast.StringNode)
		if ok && isStr && !n.Method {
			return id.Value + "." + prop.Value
		}
	}
	return ""
}

// elemField returns "name", "type" or "size" for .name, .type or .size of
// the current predicate element (# or the implicit element), else "".
func elemField(n ast.Node) string {
	m, ok := n.(*ast.MemberNode)
	if !ok || m.Method {
		return ""
	}
	if p, ok := m.Node.(*ast.PointerNode); !ok || p.Name != "" {
		return ""
	}
	prop, ok := m.Property.(*ast.StringNode)
	if !ok {
		return ""
	}
	return prop.Value
}
