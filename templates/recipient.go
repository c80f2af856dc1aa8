package templates

import (
	"slices"
	"text/template/parse"
)

// ReadsRecipient reports whether the templates of event in lang may read
// Data.Recipient; false means what they render is the same for every
// recipient, so that mail to several agents with otherwise equal data
// need be rendered once. It is true for an unknown event or language and
// whenever Load could not tell.
func (s *Set) ReadsRecipient(event, lang string) bool {
	free, ok := s.recipientFree[key(lang, event)]
	return !ok || !free
}

// recipientFreeSets tells, by key(lang, event), whether neither of the
// set's templates can read Data.Recipient: the subject, the text body, and
// the HTML from the layout down.
func recipientFreeSets(s *Set) map[string]bool {
	free := map[string]bool{}
	for k, t := range s.text {
		text := func(name string) *parse.Tree {
			if u := t.Lookup(name); u != nil {
				return u.Tree
			}
			return nil
		}
		h := s.html[k]
		html := func(name string) *parse.Tree {
			if u := h.Lookup(name); u != nil {
				return u.Tree
			}
			return nil
		}
		free[k] = recipientFree(t.Tree, text) && recipientFree(text("subject"), text) && recipientFree(h.Tree, html)
	}
	return free
}

// recipientFree reports whether running the template root, which may call
// the templates lookup finds, cannot read Data.Recipient. The analysis is
// conservative: no field, chain or variable may name Recipient anywhere,
// and Data itself (dot at the start, or a bare $) may only be entered with
// with or range or passed on with {{template "name" .}}, never printed,
// passed to a function or bound to a variable.
func recipientFree(root *parse.Tree, lookup func(name string) *parse.Tree) bool {
	s := recipientScan{lookup: lookup, seen: map[string]bool{}}
	return root != nil && s.list(root.Root, true)
}

// recipientScan walks templates; data tells whether dot is Data.
type recipientScan struct {
	lookup func(name string) *parse.Tree
	seen   map[string]bool // templates walked, by name and data
}

func (s *recipientScan) list(l *parse.ListNode, data bool) bool {
	if l == nil {
		return true
	}
	for _, n := range l.Nodes {
		if !s.node(n, data) {
			return false
		}
	}
	return true
}

func (s *recipientScan) node(n parse.Node, data bool) bool {
	switch n := n.(type) {
	case *parse.TextNode, *parse.CommentNode, *parse.BreakNode, *parse.ContinueNode:
		return true
	case *parse.ActionNode:
		return s.pipe(n.Pipe, data)
	case *parse.IfNode:
		return s.pipe(n.Pipe, data) && s.list(n.List, data) && s.list(n.ElseList, data)
	case *parse.WithNode:
		return s.enter(&n.BranchNode, data)
	case *parse.RangeNode:
		return s.enter(&n.BranchNode, data)
	case *parse.TemplateNode:
		inner := data && isDot(n.Pipe)
		if n.Pipe != nil && !inner && !s.pipe(n.Pipe, data) {
			return false
		}
		k := n.Name
		if inner {
			k += "\x00data"
		}
		if s.seen[k] {
			return true // walked, or being walked further up
		}
		s.seen[k] = true
		t := s.lookup(n.Name)
		return t != nil && s.list(t.Root, inner)
	}
	return false
}

// enter checks a with or range, whose body runs with dot set to its
// pipeline's value.
func (s *recipientScan) enter(b *parse.BranchNode, data bool) bool {
	inner := data && isDot(b.Pipe)
	return (inner || s.pipe(b.Pipe, data)) && s.list(b.List, inner) && s.list(b.ElseList, data)
}

func (s *recipientScan) pipe(p *parse.PipeNode, data bool) bool {
	if p == nil {
		return true
	}
	for _, c := range p.Cmds {
		for _, a := range c.Args {
			if !s.arg(a, data) {
				return false
			}
		}
	}
	return true
}

func (s *recipientScan) arg(n parse.Node, data bool) bool {
	switch n := n.(type) {
	case *parse.FieldNode:
		return !slices.Contains(n.Ident, "Recipient")
	case *parse.ChainNode:
		return !slices.Contains(n.Field, "Recipient") && s.arg(n.Node, data)
	case *parse.VariableNode:
		return len(n.Ident) > 1 && !slices.Contains(n.Ident, "Recipient") || len(n.Ident) == 1 && n.Ident[0] != "$"
	case *parse.DotNode:
		return !data
	case *parse.PipeNode:
		return s.pipe(n, data)
	case *parse.IdentifierNode, *parse.StringNode, *parse.NumberNode, *parse.BoolNode, *parse.NilNode:
		return true
	}
	return false
}

// isDot reports whether p is a bare dot: no variables, one command, one
// argument.
func isDot(p *parse.PipeNode) bool {
	return p != nil && len(p.Decl) == 0 && len(p.Cmds) == 1 && len(p.Cmds[0].Args) == 1 &&
		p.Cmds[0].Args[0].Type() == parse.NodeDot
}
