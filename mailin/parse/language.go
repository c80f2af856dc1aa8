package parse

import (
	"cmp"
	"slices"
	"strconv"
	"strings"

	"github.com/jhillyerd/enmime/v2"
	"golang.org/x/text/language"
)

// maxLanguages caps Inbound.Languages; a sender declares one or two.
const maxLanguages = 8

// declaredLanguages returns the languages the sender declared: the
// Content-Language of the message (RFC 3282), else that of its first text
// part, followed by its Accept-Language in order of preference. Tags are
// validated and canonicalised with golang.org/x/text/language; invalid
// ones are dropped, duplicates removed. The result is nil when no header
// holds a valid tag.
func declaredLanguages(m *message) []string {
	tags := contentLanguage(m.header.Values("Content-Language"))
	if len(tags) == 0 && m.root != nil {
		if p := firstTextPart(m.root); p != nil && p != m.root {
			tags = contentLanguage(p.Header.Values("Content-Language"))
		}
	}
	tags = append(tags, acceptLanguage(m.header.Values("Accept-Language"))...)
	var out []string
	for _, t := range tags {
		if !slices.Contains(out, t) {
			out = append(out, t)
		}
		if len(out) == maxLanguages {
			break
		}
	}
	return out
}

// firstTextPart returns the first text/plain or text/html part that is not
// an attachment, in depth-first order.
func firstTextPart(root *enmime.Part) *enmime.Part {
	return root.DepthMatchFirst(func(p *enmime.Part) bool {
		return (p.ContentType == "text/plain" || p.ContentType == "text/html") && p.Disposition != "attachment"
	})
}

// contentLanguage reads Language-List values: tags separated by commas,
// with optional comments in parentheses.
func contentLanguage(values []string) []string {
	var out []string
	for _, item := range headerItems(values) {
		if t, ok := languageTag(item); ok {
			out = append(out, t)
		}
	}
	return out
}

// acceptLanguage reads Accept-Language values (RFC 9110): tags with
// optional q weights, returned in descending weight, order kept among
// equals; q=0 and malformed weights drop the tag, and so does "*".
func acceptLanguage(values []string) []string {
	type weighted struct {
		tag string
		q   float64
	}
	var list []weighted
	for _, item := range headerItems(values) {
		tag, params, _ := strings.Cut(item, ";")
		q := 1.0
		for p := range strings.SplitSeq(params, ";") {
			k, v, ok := strings.Cut(strings.TrimSpace(p), "=")
			if !ok || !strings.EqualFold(strings.TrimSpace(k), "q") {
				continue
			}
			f, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
			if err != nil || f < 0 || f > 1 {
				f = 0
			}
			q = f
		}
		if t, ok := languageTag(tag); ok && q > 0 {
			list = append(list, weighted{t, q})
		}
	}
	slices.SortStableFunc(list, func(a, b weighted) int { return cmp.Compare(b.q, a.q) })
	out := make([]string, 0, len(list))
	for _, w := range list {
		out = append(out, w.tag)
	}
	return out
}

// maxHeaderItems bounds the work on a hostile header.
const maxHeaderItems = 32

// headerItems splits header values on commas after removing comments, and
// returns at most maxHeaderItems non-empty items.
func headerItems(values []string) []string {
	var out []string
	for _, v := range values {
		for item := range strings.SplitSeq(stripComments(v), ",") {
			if item = strings.TrimSpace(item); item != "" {
				out = append(out, item)
			}
			if len(out) == maxHeaderItems {
				return out
			}
		}
	}
	return out
}

// stripComments removes (possibly nested) parenthesised comments.
func stripComments(s string) string {
	if !strings.ContainsRune(s, '(') {
		return s
	}
	var b strings.Builder
	depth := 0
	for _, r := range s {
		switch {
		case r == '(':
			depth++
		case r == ')' && depth > 0:
			depth--
		case depth == 0:
			b.WriteRune(r)
		}
	}
	return b.String()
}

// languageTag validates one BCP 47 tag and returns its canonical form.
// Anything golang.org/x/text/language rejects, including well-formed tags
// with unknown subtags, is not a language, and neither is an undetermined
// ("und") or private-use only ("x-...") tag.
func languageTag(s string) (string, bool) {
	s = strings.TrimSpace(s)
	if s == "" || len(s) > 64 {
		return "", false
	}
	tag, err := language.Parse(s)
	if err != nil {
		return "", false
	}
	t := tag.String()
	if t == "und" || strings.HasPrefix(t, "und-") || strings.HasPrefix(t, "x-") {
		return "", false
	}
	return t, true
}
