package rules

import (
	"errors"
	"fmt"
	"strings"
	"sync"

	"github.com/expr-lang/expr"
	"github.com/expr-lang/expr/ast"
	"github.com/expr-lang/expr/file"
	"github.com/expr-lang/expr/vm"
)

// Set is a compiled rule set, safe for concurrent use by any number of
// goroutines.
type Set struct {
	all                       []*rule   // in order
	created, message, updated event     // all, split by trigger
	states                    sync.Pool // of *state, scratch space for Evaluate
}

// event holds the rules of one trigger, with what Evaluate reads for every
// rule kept together in a small array.
type event struct {
	rules []*rule
	hot   []hot
}

type hot struct {
	guard   guard
	program *vm.Program // nil for the condition "true"
}

func (e *event) add(r *rule) {
	e.rules = append(e.rules, r)
	e.hot = append(e.hot, hot{r.guard, r.program})
}

// rule is a validated rule with its compiled condition.
type rule struct {
	Rule                // Then holds canonical spellings
	program *vm.Program // nil for the condition "true"
	guard   guard       // nil: always run program
	exact   bool        // guard equals the condition (tests check this)
	actions []string    // Then rendered for Step.Actions
}

// env is what conditions run against: the facts and the header function.
type env struct {
	Facts  `expr:"-"`
	Header func(string) string `expr:"header"`
}

// factNames are the names a condition can use that read the facts.
var factNames = map[string]bool{
	"event": true, "mailbox": true, "queue": true, "from": true, "to": true, "cc": true,
	"subject": true, "text": true, "full_text": true, "attachments": true, "language": true,
	"class": true, "known_requester": true, "hour": true, "weekday": true,
	"business_hours": true, "ticket": true, "previous": true, "header": true, "$env": true,
}

// exprOptions configures expr for conditions: the env above, a result known
// at load to be bool, header names lower-cased at load, and no builtins that
// read the clock or the local time zone.
func exprOptions() []expr.Option {
	return []expr.Option{
		expr.Env(env{}),
		expr.AsBool(),
		expr.WarnOnAny(), // reject conditions of unknown type at load, not at run time
		expr.DisableBuiltin("now"),
		expr.DisableBuiltin("date"),
		expr.DisableBuiltin("timezone"),
		expr.Patch(lowerHeaderNames{}),
		expr.Optimize(true),
	}
}

// Compile validates every rule and compiles its condition. It returns a Set
// only if the whole set is valid; otherwise the error joins one *LoadError
// per problem, in rule order.
//
// Besides condition errors from expr, Compile rejects: a missing or
// duplicate name (names compare case-insensitively); an unknown On; an empty
// When; a constant When other than the literal "true"; a When that reads
// previous in a rule not on ticket.updated; a Then without an action; an
// action value not in its Options list; Ignore combined with actions other
// than AddTags and RemoveTags; blank, duplicate or contradictory tags; and
// AddCc or Assignee values that are not bare mail addresses.
func Compile(rs []Rule, opts Options) (*Set, error) {
	var errs []error
	s := &Set{all: make([]*rule, 0, len(rs)), states: sync.Pool{New: newState}}
	names := make(map[string]int, len(rs))
	exprOpts := exprOptions()
	for i, r := range rs {
		c := &checker{index: i, name: r.Name}
		name := strings.ToLower(strings.TrimSpace(r.Name))
		switch j, dup := names[name]; {
		case name == "":
			c.fail("name", "missing")
		case dup:
			c.fail("name", fmt.Sprintf("duplicate of rules[%d] %q", j, rs[j].Name))
		case r.Name != strings.TrimSpace(r.Name):
			c.fail("name", "leading or trailing space")
		default:
			names[name] = i
		}
		switch r.On {
		case OnCreated, OnMessage, OnUpdated:
		case "":
			c.fail("on", "missing; want "+triggerList)
		default:
			c.fail("on", fmt.Sprintf("unknown trigger %q; want %s", r.On, triggerList))
		}
		cr := &rule{Rule: r}
		cr.program = c.when(r.When, r.On, exprOpts)
		if cr.program != nil {
			cr.guard, cr.exact = buildGuard(cr.program.Node())
		}
		cr.Then = c.then(r.Then, opts)
		cr.actions = cr.Then.render()
		if len(c.errs) > 0 {
			errs = append(errs, c.errs...)
			continue
		}
		s.all = append(s.all, cr)
		switch r.On {
		case OnCreated:
			s.created.add(cr)
		case OnMessage:
			s.message.add(cr)
		case OnUpdated:
			s.updated.add(cr)
		}
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	return s, nil
}

// Len returns the number of rules in s.
func (s *Set) Len() int { return len(s.all) }

// Has reports whether s has rules on the trigger on (OnCreated, OnMessage or
// OnUpdated), so that a caller can skip gathering facts for none.
func (s *Set) Has(on string) bool {
	if s == nil {
		return false
	}
	switch on {
	case OnCreated:
		return len(s.created.rules) > 0
	case OnMessage:
		return len(s.message.rules) > 0
	case OnUpdated:
		return len(s.updated.rules) > 0
	}
	return false
}

const triggerList = OnCreated + ", " + OnMessage + " or " + OnUpdated

// checker collects the problems of one rule.
type checker struct {
	index int
	name  string
	errs  []error
}

func (c *checker) fail(field, msg string) {
	c.failAt(field, 0, 0, msg)
}

func (c *checker) failAt(field string, line, column int, msg string) {
	c.errs = append(c.errs, &LoadError{Rule: c.index, Name: c.name, Field: field, Line: line, Column: column, Msg: msg})
}

// when compiles a condition; it returns nil for the literal "true" and on
// errors.
func (c *checker) when(src, on string, opts []expr.Option) *vm.Program {
	if strings.TrimSpace(src) == "" {
		c.fail("when", "missing; write true to match every event")
		return nil
	}
	p, err := compileExpr(src, opts)
	if err != nil {
		var fe *file.Error
		if errors.As(err, &fe) {
			line, column := fe.Line, fe.Column+1 // expr's column is 0-based
			if line == 0 {
				line, column = position(src, fe.From)
			}
			c.failAt("when", line, column, exprMessage(fe.Message))
		} else {
			c.fail("when", exprMessage(err.Error()))
		}
		return nil
	}
	if strings.TrimSpace(src) == "true" {
		return nil
	}
	refs := references(p.Node())
	if len(refs) == 0 {
		c.fail("when", "constant condition reads no fact; write true to match every event")
		return nil
	}
	if on == OnCreated || on == OnMessage {
		for _, r := range refs {
			if r.name == "previous" {
				line, column := position(src, r.from)
				c.failAt("when", line, column, "previous is only set on "+OnUpdated)
				return nil
			}
		}
	}
	return p
}

// compileExpr calls expr.Compile and turns a panic inside expr into an error,
// so that no condition can crash the loader.
func compileExpr(src string, opts []expr.Option) (p *vm.Program, err error) {
	defer func() {
		if r := recover(); r != nil {
			p, err = nil, fmt.Errorf("internal error in expr: %v", r)
		}
	}()
	p, err = expr.Compile(src, opts...)
	if err != nil && !isFileError(err) {
		// The compiler's recovered panics carry a stack trace: keep the first line.
		msg, _, _ := strings.Cut(err.Error(), "\n")
		err = errors.New(msg)
	}
	return p, err
}

// exprMessage puts an expr error message on one line (it can quote the
// condition) and explains the names rules cannot use.
func exprMessage(msg string) string {
	msg = strings.ReplaceAll(strings.TrimSpace(msg), "\n", `\n`)
	switch msg {
	case "unknown name now", "unknown name date", "unknown name timezone":
		msg += " (conditions have no clock: use hour, weekday and business_hours)"
	}
	return msg
}

func isFileError(err error) bool {
	var fe *file.Error
	return errors.As(err, &fe)
}

// ref is a use of a fact name in a condition.
type ref struct {
	name string
	from int // rune offset in the condition
}

// references returns the uses of fact names in a compiled condition, leaving
// out names that a let shadows.
func references(n ast.Node) []ref {
	v := &refVisitor{}
	ast.Walk(&n, v)
	var out []ref
	for _, r := range v.refs {
		if !v.lets[r.name] {
			out = append(out, r)
		}
	}
	return out
}

type refVisitor struct {
	refs []ref
	lets map[string]bool
}

func (v *refVisitor) Visit(node *ast.Node) {
	switch n := (*node).(type) {
	case *ast.IdentifierNode:
		if factNames[n.Value] {
			v.refs = append(v.refs, ref{n.Value, n.Location().From})
		}
	case *ast.VariableDeclaratorNode:
		if v.lets == nil {
			v.lets = map[string]bool{}
		}
		v.lets[n.Name] = true
	}
}

// lowerHeaderNames lower-cases constant arguments of header() at load, so
// that header("X-Priority") costs no allocation per evaluation.
type lowerHeaderNames struct{}

func (lowerHeaderNames) Visit(node *ast.Node) {
	call, ok := (*node).(*ast.CallNode)
	if !ok || len(call.Arguments) != 1 {
		return
	}
	if id, ok := call.Callee.(*ast.IdentifierNode); !ok || id.Value != "header" {
		return
	}
	if s, ok := call.Arguments[0].(*ast.StringNode); ok {
		s.Value = strings.ToLower(s.Value)
	}
}
