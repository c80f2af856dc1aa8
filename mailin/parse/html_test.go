package parse

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

var (
	tag         = regexp.MustCompile(`<[a-zA-Z][^>]*>`)
	loadingAttr = regexp.MustCompile(`(?i)\s(src|srcset|background|poster|style)\s*=\s*("[^"]*"|'[^']*'|[^\s>]+)`)
)

// remoteLoad returns the first tag in html with an attribute (or CSS)
// that a browser would fetch from the network, or "".
func remoteLoad(html string) string {
	for _, t := range tag.FindAllString(html, -1) {
		for _, m := range loadingAttr.FindAllStringSubmatch(t, -1) {
			if !strings.EqualFold(m[1], "src") || !strings.HasPrefix(strings.ToLower(m[2]), `"cid:`) {
				return t
			}
		}
		if strings.Contains(strings.ToLower(t), "url(") || strings.HasPrefix(strings.ToLower(t), "<style") {
			return t
		}
	}
	return ""
}

// TestRemoteImagesNeutralised: the stored HTML loads nothing from the
// network when displayed (no tracking pixels), but keeps inline cid:
// images, the alt text and, in data attributes, where the images were.
func TestRemoteImagesNeutralised(t *testing.T) {
	t.Parallel()
	raw, err := os.ReadFile(filepath.Join("testdata", "eml", "html-remote-images.eml"))
	if err != nil {
		t.Fatal(err)
	}
	in, err := Message(raw, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if bad := remoteLoad(in.HTML); bad != "" {
		t.Errorf("stored HTML has %s, which a browser would load; want only cid: sources:\n%s", bad, in.HTML)
	}
	for _, want := range []string{`src="cid:logo@shop.example"`, `alt="Shop logo"`, `alt="A parcel on its way"`,
		`data-remote-src="https://tracker.example/open.gif?u=42"`, `data-remote-src="http://Images.Example/Parcel.png"`,
		`data-remote-src="//tracker.example/protocol-relative.gif"`} {
		if !strings.Contains(in.HTML, want) {
			t.Errorf("stored HTML lacks %s:\n%s", want, in.HTML)
		}
	}
}
