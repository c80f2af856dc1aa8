package parse

import (
	"html"
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

// sanitizeHTML returns html with scripts, event handlers, forms, styles
// and dangerous URLs removed, and remote images neutralised.
func sanitizeHTML(html string) string {
	if strings.TrimSpace(html) == "" {
		return ""
	}
	return cleanText(neutralizeRemoteImages(htmlPolicy.Sanitize(html)))
}

var (
	imgTag    = regexp.MustCompile(`<img\s[^>]*>`)
	imgSource = regexp.MustCompile(`\s(src|srcset)="([^"]*)"`)
)

// neutralizeRemoteImages renames the sources of images that a browser
// would fetch (tracking pixels: anything but an inline cid: part) to
// data-remote-src and data-remote-srcset, which nothing loads, keeping the
// alt text and, for a reader who wants it, the address. It works on
// bluemonday's output, where attribute names are lower case and values
// double-quoted with every '"' and '>' escaped; the policy lets no other
// attribute or CSS that loads anything through.
func neutralizeRemoteImages(s string) string {
	if !strings.Contains(s, "<img") {
		return s
	}
	return imgTag.ReplaceAllStringFunc(s, func(tag string) string {
		return imgSource.ReplaceAllStringFunc(tag, func(attr string) string {
			m := imgSource.FindStringSubmatch(attr)
			if m[1] == "src" && strings.HasPrefix(strings.ToLower(html.UnescapeString(m[2])), "cid:") {
				return attr
			}
			return " data-remote-" + m[1] + `="` + m[2] + `"`
		})
	})
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
