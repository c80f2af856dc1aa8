package quote

import (
	"strings"

	"golang.org/x/net/html"
	"golang.org/x/net/html/atom"
)

// HTML returns the new content of an HTML body as plain text: it cuts the
// tree at the first of deskgate's markers, removes the quote structures of
// common mail clients, renders the rest as text and applies the rules of
// Text. It never returns an empty or whitespace-only result for a body
// with text: if stripping would leave nothing, it returns the whole body
// as text. A body without any text (only images, say) yields "".
func HTML(body string, opts Options) string {
	doc, err := html.Parse(strings.NewReader(body))
	if err != nil {
		return Text(body, opts)
	}
	full := render(doc)
	cutTreeAtMarker(doc, opts.Markers)
	removeQuotes(doc)
	if out := strip(splitLines(render(doc)), opts.Markers); out != "" {
		return out
	}
	return tidy(splitLines(full))
}

// cutTreeAtMarker removes everything after the first text node containing
// any of markers, in document order. The text node itself stays, so the
// text rule then cuts at the line holding the marker.
func cutTreeAtMarker(doc *html.Node, markers []string) {
	ms := collapsedMarkers(markers)
	if len(ms) == 0 {
		return
	}
	if n := find(doc, func(n *html.Node) bool {
		return n.Type == html.TextNode && containsMarker(collapseSpace(n.Data), ms)
	}); n != nil {
		removeFollowing(n)
	}
}

// removeQuotes removes the quote structures of mail clients from the tree.
// Outlook's reply header (and the original message after it) is cut with
// everything that follows; other quotes are removed where they are, which
// keeps text written between them in interleaved replies.
func removeQuotes(doc *html.Node) {
	if n := find(doc, isReplyHeader); n != nil {
		removeFollowing(n)
		n.Parent.RemoveChild(n)
	}
	var quotes []*html.Node
	var walk func(*html.Node)
	walk = func(n *html.Node) {
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			if isQuoteElement(c) {
				quotes = append(quotes, c)
				continue
			}
			walk(c)
		}
	}
	walk(doc)
	for _, q := range quotes {
		q.Parent.RemoveChild(q)
	}
}

// quoteClasses are the class names clients give to quoted history,
// attributions and signatures.
var quoteClasses = map[string]bool{
	"gmail_quote":            true, // Gmail
	"gmail_quote_container":  true,
	"gmail_attr":             true,
	"gmail_signature":        true,
	"gmail_signature_prefix": true,
	"moz-cite-prefix":        true, // Thunderbird
	"moz-signature":          true,
}

// isQuoteElement reports whether n is a quote structure removed in place:
// a quote or signature by class (Gmail, Thunderbird, Yahoo) or a
// blockquote of type "cite" (Apple Mail, Thunderbird).
func isQuoteElement(n *html.Node) bool {
	if n.Type != html.ElementNode {
		return false
	}
	if n.DataAtom == atom.Blockquote && strings.EqualFold(strings.TrimSpace(attr(n, "type")), "cite") {
		return true
	}
	for _, c := range strings.Fields(attr(n, "class")) {
		if quoteClasses[c] || strings.HasSuffix(c, "yahoo_quoted") {
			return true
		}
	}
	return false
}

// isReplyHeader reports whether n starts the quoted history in an Outlook
// message: the divRplyFwdMsg or appendonsend marker of Outlook on the web
// and newer Outlook, or a <div>/<p> with a top border holding the From:
// and Sent: lines of Outlook desktop at its start.
func isReplyHeader(n *html.Node) bool {
	if n.Type != html.ElementNode {
		return false
	}
	id := attr(n, "id")
	if strings.HasSuffix(id, "divRplyFwdMsg") || strings.HasSuffix(id, "appendonsend") {
		return true
	}
	if n.DataAtom != atom.Div && n.DataAtom != atom.P {
		return false
	}
	if !strings.Contains(strings.ToLower(attr(n, "style")), "border-top") {
		return false
	}
	return startsWithHeader(splitLines(render(n)))
}

// startsWithHeader reports whether the first line with text is a From:
// line and a Sent:/Date: line follows within the header window.
func startsWithHeader(lines []string) bool {
	for i, l := range lines {
		if isBlank(l) {
			continue
		}
		if headerLabel(l) != fromHeader {
			return false
		}
		for j := i + 1; j < len(lines) && j <= i+headerWindow; j++ {
			if headerLabel(lines[j]) == dateHeader {
				return true
			}
		}
		return false
	}
	return false
}

// find returns the first node in document order for which match is true.
func find(n *html.Node, match func(*html.Node) bool) *html.Node {
	if match(n) {
		return n
	}
	for c := n.FirstChild; c != nil; c = c.NextSibling {
		if f := find(c, match); f != nil {
			return f
		}
	}
	return nil
}

// removeFollowing removes every node after n in document order (its
// following siblings and those of its ancestors), keeping n itself.
func removeFollowing(n *html.Node) {
	for x := n; x.Parent != nil; x = x.Parent {
		for s := x.NextSibling; s != nil; {
			next := s.NextSibling
			x.Parent.RemoveChild(s)
			s = next
		}
	}
}
