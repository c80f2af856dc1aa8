package dashboard

import (
	"net/url"
	"slices"
	"strings"
	"testing"

	"golang.org/x/net/html"
)

// FuzzSafeHTML: whatever mail HTML says, what the ticket page puts in its
// frame has no script, event handler, style, frame, form, meta or base,
// no javascript: or other URL that runs, and no address that loads
// anything (only links to follow, data: images, and images whose src was
// emptied, which fetch nothing).
func FuzzSafeHTML(f *testing.F) {
	f.Add(`<p onclick="x()">hi<script>alert(1)</script><img src="https://evil.example/p.gif"></p>`)
	f.Add(`<a href="javascript:alert(1)">x</a><a href=" JaVaScRiPt:alert(1)">y</a><a href="https://example.com">z</a>`)
	f.Add(`<style>body{background:url(//evil.example/x)}</style><div style="background:url(x)">d</div>`)
	f.Add(`<svg><image href="//evil.example/x"/><script>1</script></svg><math><mi xlink:href="javascript:1">m</mi></math>`)
	f.Add(`<img src="data:image/png;base64,iVBORw0KGgo="><img src="data:text/html,<script>1</script>">`)
	f.Add(`<iframe src=//e.example></iframe><object data=x></object><embed src=x><form action=x><input formaction=x></form>`)
	f.Add(`<meta http-equiv=refresh content="0;url=//e.example"><base href=//e.example/><link rel=stylesheet href=x>`)
	f.Add(`<table background="//e.example/t.png"><td background=x>t</td></table><video poster=x src=y></video>`)
	f.Fuzz(func(t *testing.T, in string) {
		out := policy.Sanitize(in)
		doc, err := html.Parse(strings.NewReader(out))
		if err != nil {
			t.Fatalf("Sanitize(%q) = %q, which does not parse: %v", in, out, err)
		}
		var walk func(n *html.Node)
		walk = func(n *html.Node) {
			if n.Type == html.ElementNode {
				switch n.Data {
				case "script", "style", "iframe", "frame", "object", "embed", "form", "input", "button", "meta", "base", "link", "svg", "math", "video", "audio", "source":
					t.Fatalf("Sanitize(%q) = %q keeps <%s>", in, out, n.Data)
				}
				for _, a := range n.Attr {
					key, val := strings.ToLower(a.Key), strings.ToLower(strings.TrimSpace(a.Val))
					switch {
					case strings.HasPrefix(key, "on"), key == "style", key == "background", key == "srcset", key == "poster",
						key == "formaction", key == "action", key == "xlink:href":
						t.Fatalf("Sanitize(%q) = %q keeps %s=%q", in, out, a.Key, a.Val)
					case key == "src" && val != "" && !strings.HasPrefix(val, "data:image/"): // an empty src fetches nothing
						t.Fatalf("Sanitize(%q) = %q loads %q", in, out, a.Val)
					case key == "href" && !slices.Contains([]string{"", "http", "https", "mailto"}, scheme(val)):
						t.Fatalf("Sanitize(%q) = %q links %q", in, out, a.Val)
					}
				}
			}
			for c := n.FirstChild; c != nil; c = c.NextSibling {
				walk(c)
			}
		}
		walk(doc)
	})
}

// scheme is a URL's scheme as a browser reads it; "?" when it does not parse.
func scheme(v string) string {
	u, err := url.Parse(v)
	if err != nil {
		return "?"
	}
	return strings.ToLower(u.Scheme)
}
