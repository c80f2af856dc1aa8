package parse

import (
	"regexp"
	"strings"

	"github.com/inbucket/html2text"
	"github.com/microcosm-cc/bluemonday"
)

// htmlPolicy is bluemonday's user-generated-content policy plus cid: image
// sources (inline parts) and the few presentational attributes mail
// clients use for layout. It is built once and only read afterwards.
var htmlPolicy = newHTMLPolicy()

func newHTMLPolicy() *bluemonday.Policy {
	p := bluemonday.UGCPolicy()
	p.AllowURLSchemes("mailto", "http", "https", "cid")
	p.AllowAttrs("align", "valign", "width", "height", "bgcolor", "border", "cellpadding", "cellspacing").
		OnElements("table", "tr", "td", "th", "tbody", "thead", "img", "p", "div")
	p.AllowAttrs("color", "face", "size").OnElements("font")
	p.AllowElements("font", "center")
	p.AddTargetBlankToFullyQualifiedLinks(true)
	return p
}

// sanitizeHTML returns html with scripts, event handlers, forms and
// dangerous URLs removed.
func sanitizeHTML(html string) string {
	if strings.TrimSpace(html) == "" {
		return ""
	}
	return cleanText(htmlPolicy.Sanitize(html))
}

var (
	emphasisTag = regexp.MustCompile(`(?i)</?(?:b|strong)(?:\s[^>]*)?>`)
	headingTag  = regexp.MustCompile(`(?i)<(/?)h[1-6](?:\s[^>]*)?>`)
)

// htmlToText renders an HTML body as plain text for HTML-only mail.
func htmlToText(html string) string {
	if strings.TrimSpace(html) == "" {
		return ""
	}
	// html2text marks bold and headings with asterisks; mail text should
	// read as the sender wrote it, so render them as plain runs and paragraphs.
	html = emphasisTag.ReplaceAllString(html, "")
	html = headingTag.ReplaceAllString(html, "<${1}p>")
	text, err := html2text.FromString(html, html2text.Options{OmitLinks: true})
	if err != nil {
		return cleanText(htmlPolicy.Sanitize(html))
	}
	return cleanText(text)
}
