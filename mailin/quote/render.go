package quote

import (
	"strings"
	"unicode"

	"golang.org/x/net/html"
	"golang.org/x/net/html/atom"
)

// renderer turns an HTML tree into plain text lines. Block elements start
// new lines, paragraphs are separated by one blank line, <br> ends a line,
// blockquotes are prefixed with "> " (or indented, for blockquotes styled
// without a border, which editors use for indentation) and white space
// outside <pre> collapses. Links render as their text; images, scripts,
// styles and the head render as nothing.
type renderer struct {
	lines  []string
	cur    strings.Builder
	prefix string
	space  bool // a space is pending before the next word
	blank  bool // a blank line is pending before the next text
	pre    int  // depth of <pre> elements
}

// render returns the text of the tree rooted at n.
func render(n *html.Node) string {
	var r renderer
	r.walk(n)
	r.flush()
	return strings.Join(r.lines, "\n")
}

func (r *renderer) walk(n *html.Node) {
	switch n.Type {
	case html.TextNode:
		r.text(n.Data)
		return
	case html.DocumentNode:
		r.children(n)
		return
	case html.ElementNode:
	default:
		return
	}
	switch n.DataAtom {
	case atom.Head, atom.Script, atom.Style, atom.Title, atom.Template, atom.Img:
	case atom.Br:
		r.br()
	case atom.Blockquote:
		r.block(true)
		old := r.prefix
		if isIndent(n) {
			r.prefix += "    "
		} else {
			r.prefix += "> "
		}
		r.children(n)
		r.block(true)
		r.prefix = old
	case atom.Pre:
		r.block(true)
		r.pre++
		r.children(n)
		r.pre--
		r.block(true)
	case atom.P, atom.H1, atom.H2, atom.H3, atom.H4, atom.H5, atom.H6,
		atom.Ul, atom.Ol, atom.Dl, atom.Table, atom.Hr:
		r.block(true)
		r.children(n)
		r.block(true)
	case atom.Li:
		r.block(false)
		r.start()
		r.cur.WriteString("- ")
		r.children(n)
		r.block(false)
	case atom.Div, atom.Tr, atom.Address, atom.Article, atom.Aside, atom.Section,
		atom.Header, atom.Footer, atom.Main, atom.Nav, atom.Center, atom.Dt, atom.Dd,
		atom.Figure, atom.Figcaption, atom.Form, atom.Fieldset, atom.Caption, atom.Body:
		r.block(false)
		r.children(n)
		r.block(false)
	case atom.Td, atom.Th:
		r.space = true
		r.children(n)
		r.space = true
	default:
		r.children(n)
	}
}

func (r *renderer) children(n *html.Node) {
	for c := n.FirstChild; c != nil; c = c.NextSibling {
		r.walk(c)
	}
}

// text writes character data, collapsing white space outside <pre>.
func (r *renderer) text(s string) {
	if r.pre > 0 {
		for i, part := range strings.Split(strings.ReplaceAll(s, "\r\n", "\n"), "\n") {
			if i > 0 {
				r.br()
			}
			if part != "" {
				r.start()
				r.cur.WriteString(part)
			}
		}
		return
	}
	for _, c := range s {
		if unicode.IsSpace(c) {
			r.space = true
			continue
		}
		if r.cur.Len() == 0 {
			r.start()
		} else if r.space {
			r.cur.WriteByte(' ')
		}
		r.space = false
		r.cur.WriteRune(c)
	}
}

// start begins a line of text, first writing a pending blank line.
func (r *renderer) start() {
	if r.cur.Len() == 0 && r.blank {
		r.blankLine()
	}
	r.blank = false
}

// blankLine appends one blank line (in quotes, a bare quote prefix) unless
// the previous line is blank already.
func (r *renderer) blankLine() {
	if len(r.lines) > 0 && !isBlankOrPrefix(r.lines[len(r.lines)-1]) {
		r.lines = append(r.lines, strings.TrimRight(r.prefix, " "))
	}
}

// isBlankOrPrefix reports whether a rendered line holds no text.
func isBlankOrPrefix(line string) bool {
	return strings.Trim(line, "> ") == ""
}

// flush ends the current line if it holds text.
func (r *renderer) flush() {
	if r.cur.Len() > 0 {
		r.lines = append(r.lines, r.prefix+r.cur.String())
		r.cur.Reset()
	}
	r.space = false
}

// br ends the current line; on an empty line it writes a blank line.
func (r *renderer) br() {
	if r.cur.Len() > 0 {
		r.flush()
		return
	}
	r.blank = false
	r.blankLine()
}

// block ends the current line at a block boundary; paragraphs also ask for
// a blank line before the next text.
func (r *renderer) block(paragraph bool) {
	r.flush()
	if paragraph {
		r.blank = true
	}
}

// isIndent reports whether a blockquote is used for indentation: styled
// with "border:none" and not marked as a citation.
func isIndent(n *html.Node) bool {
	style := strings.ReplaceAll(strings.ToLower(attr(n, "style")), " ", "")
	return strings.Contains(style, "border:none") && !strings.EqualFold(attr(n, "type"), "cite")
}

// attr returns the value of n's attribute key, or "".
func attr(n *html.Node, key string) string {
	for _, a := range n.Attr {
		if a.Key == key {
			return a.Val
		}
	}
	return ""
}
