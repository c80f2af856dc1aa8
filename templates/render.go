package templates

import (
	"bytes"
	"errors"
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Rendered is one rendered email.
type Rendered struct {
	// Subject is one line: runs of white space (line breaks included)
	// become one space, control and bidirectional formatting characters
	// are dropped, and the ends are trimmed.
	Subject string
	// Text is the text/plain body: the marker line, a blank line, then the
	// body. Lines end in "\n", runs of blank lines become one, control
	// characters other than tab are dropped.
	Text string
	// HTML is the text/html body, a complete document with the marker on
	// top, cleaned like Text.
	HTML string
	// Language is the language rendered, one of Languages.
	Language string
}

// Render renders event in lang, one of Languages, with d (d.Language is set
// to lang). It returns an error, and nothing else, for an unknown event or
// language or when a template fails.
func (s *Set) Render(event, lang string, d Data) (Rendered, error) {
	if !knownEvent(event) {
		return Rendered{}, fmt.Errorf("templates: unknown event %q", event)
	}
	if !supported(lang) {
		return Rendered{}, fmt.Errorf("templates: unsupported language %q: want one of %s", lang, strings.Join(Languages(), ", "))
	}
	d.Language = lang
	k := key(lang, event)
	var subject, text, html strings.Builder
	err := s.text[k].ExecuteTemplate(&subject, "subject", d)
	if err == nil {
		err = s.text[k].Execute(&text, d)
	}
	if err == nil {
		err = s.html[k].Execute(&html, d)
	}
	if err != nil {
		return Rendered{}, fmt.Errorf("templates: render %s in %s: %w", event, lang, err)
	}
	return Rendered{
		Subject:  oneLine(subject.String()),
		Text:     Marker(lang) + "\n\n" + cleanBody(text.String()),
		HTML:     cleanBody(html.String()),
		Language: lang,
	}, nil
}

// Check renders every event in every language with Sample data and
// returns all failures joined, each naming the event and language. Besides
// template errors it reports an empty subject or body and HTML without the
// marker (layout.html must show {{marker}}).
func (s *Set) Check() error {
	var errs []error
	for _, event := range Events() {
		for _, lang := range Languages() {
			r, err := s.Render(event, lang, Sample(event))
			if err != nil {
				errs = append(errs, err)
				continue
			}
			fail := func(msg string) { errs = append(errs, fmt.Errorf("templates: check %s in %s: %s", event, lang, msg)) }
			if r.Subject == "" {
				fail("empty subject")
			}
			if strings.TrimSpace(strings.TrimPrefix(r.Text, Marker(lang))) == "" {
				fail("empty text body")
			}
			if !strings.Contains(r.HTML, Marker(lang)) {
				fail("HTML without the marker: layout.html must show {{marker}}")
			}
		}
	}
	return errors.Join(errs...)
}

// oneLine returns s as a one-line header value.
func oneLine(s string) string {
	var b strings.Builder
	space := false
	for _, r := range strings.ToValidUTF8(s, "\uFFFD") {
		switch {
		case unicode.IsSpace(r):
			space = true
		case unicode.IsControl(r), isBidiControl(r):
		default:
			if space && b.Len() > 0 {
				b.WriteByte(' ')
			}
			space = false
			b.WriteRune(r)
		}
	}
	return b.String()
}

// isBidiControl reports whether r is an explicit bidirectional embedding,
// override or isolate, which can make a subject display in another order.
func isBidiControl(r rune) bool {
	return r >= '\u202a' && r <= '\u202e' || r >= '\u2066' && r <= '\u2069'
}

// cleanBody returns a rendered body with "\n" line endings, control
// characters other than tab dropped, each run of invalid UTF-8 replaced by
// U+FFFD, white-space-only lines emptied, runs of blank lines collapsed to
// one, no leading blank lines and one final line break. It reads s once
// (a body quotes the requester's text, up to 64 KB, and every notification
// is cleaned: 6% of deskgate's CPU in BenchmarkIngest when it took four
// passes); FuzzCleanBody holds it to the four-pass definition.
func cleanBody(s string) string {
	var b strings.Builder
	b.Grow(len(s) + 1)
	line := make([]byte, 0, 256) // the current line, cleaned
	blank := false               // a blank line is pending
	invalid := false             // the last byte read was invalid UTF-8
	flush := func() {
		if len(bytes.TrimSpace(line)) == 0 {
			blank = b.Len() > 0
		} else {
			if blank {
				b.WriteByte('\n')
			}
			blank = false
			b.Write(line)
			b.WriteByte('\n')
		}
		line = line[:0]
	}
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			invalid = false
			i++
			switch {
			case c == '\r' && i < len(s) && s[i] == '\n':
			case c == '\n' || c == '\r':
				flush()
			case c == '\t' || c >= 0x20 && c != 0x7f:
				line = append(line, c)
			}
			continue
		}
		r, n := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && n == 1 {
			if !invalid {
				line = append(line, "\uFFFD"...)
			}
			invalid = true
			i++
			continue
		}
		invalid = false
		if !unicode.IsControl(r) {
			line = append(line, s[i:i+n]...)
		}
		i += n
	}
	if len(line) > 0 {
		flush()
	}
	return b.String()
}
