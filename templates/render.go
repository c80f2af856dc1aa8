package templates

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"strings"
	"sync"
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
	// The three parts are executed one after the other into one pooled
	// buffer, and each is copied out once, cleaned, so that no output
	// grows by doubling.
	buf := renderBuffers.Get().(*bytes.Buffer)
	defer func() {
		if buf.Cap() <= maxPooledBuffer {
			renderBuffers.Put(buf)
		}
	}()
	var r Rendered
	buf.Reset()
	err := s.text[k].ExecuteTemplate(buf, "subject", d)
	if err == nil {
		r.Subject = oneLine(buf.String())
		buf.Reset()
		err = s.text[k].Execute(buf, d)
	}
	if err == nil {
		r.Text = cleanedBody(Marker(lang)+"\n\n", buf.Bytes())
		buf.Reset()
		err = s.html[k].Execute(buf, d)
	}
	if err != nil {
		return Rendered{}, fmt.Errorf("templates: render %s in %s: %w", event, lang, err)
	}
	r.HTML = cleanedBody("", buf.Bytes())
	r.Language = lang
	return r, nil
}

// RenderSubject renders only the subject of event in lang with d, as
// Render does: ticketing stores it when it queues the mail and renders the
// bodies when the mail is first claimed for sending.
func (s *Set) RenderSubject(event, lang string, d Data) (string, error) {
	if !knownEvent(event) {
		return "", fmt.Errorf("templates: unknown event %q", event)
	}
	if !supported(lang) {
		return "", fmt.Errorf("templates: unsupported language %q: want one of %s", lang, strings.Join(Languages(), ", "))
	}
	d.Language = lang
	var b strings.Builder
	if err := s.text[key(lang, event)].ExecuteTemplate(&b, "subject", d); err != nil {
		return "", fmt.Errorf("templates: render %s in %s: %w", event, lang, err)
	}
	return oneLine(b.String()), nil
}

// renderBuffers hold the output of templates being rendered.
var renderBuffers = sync.Pool{New: func() any { return new(bytes.Buffer) }}

// maxPooledBuffer is the largest buffer kept for another render: a body
// quoting a long text (up to the text budget, 12 bytes of HTML a byte)
// is let go rather than held.
const maxPooledBuffer = 256 << 10

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
// one, no leading blank lines and one final line break.
// FuzzCleanBody holds it to the four-pass definition.
func cleanBody(s string) string {
	return cleanedBody("", []byte(s))
}

// cleanedBody returns prefix followed by body cleaned as cleanBody does.
// It reads body once (a body quotes the requester's text, up to 64 KB,
// and every notification is cleaned: 6% of deskgate's CPU in
// BenchmarkIngest when it took four passes), and copies a line that needs
// no change, the usual case, as it stands.
func cleanedBody(prefix string, body []byte) string {
	var b strings.Builder
	b.Grow(len(prefix) + len(body) + 1)
	b.WriteString(prefix)
	start := b.Len()
	blank := false // a blank line is pending
	var line []byte
	put := func(l []byte) {
		if isBlank(l) {
			blank = b.Len() > start
			return
		}
		if blank {
			b.WriteByte('\n')
		}
		blank = false
		b.Write(l)
		b.WriteByte('\n')
	}
	for i := 0; i < len(body); {
		end, clean := lineEnd(body, i)
		if clean {
			put(body[i:end])
		} else {
			line = cleanLine(line[:0], body[i:end])
			put(line)
		}
		i = end
		if i < len(body) {
			i++ // the CR or LF
			if body[i-1] == '\r' && i < len(body) && body[i] == '\n' {
				i++
			}
		}
	}
	return b.String()
}

// lineEnd returns where the line starting at body[i] ends, at the next CR
// or LF or the end, and whether the line is clean: printable ASCII, tab
// and valid UTF-8 of no control character, to be copied as it stands.
func lineEnd(body []byte, i int) (end int, clean bool) {
	clean = true
	for i < len(body) {
		for i+8 <= len(body) && printable8(binary.LittleEndian.Uint64(body[i:])) {
			i += 8
		}
		if i == len(body) {
			break
		}
		c := body[i]
		switch {
		case c >= 0x20 && c < 0x7f || c == '\t':
			i++
		case c == '\n' || c == '\r':
			return i, clean
		case c < utf8.RuneSelf:
			clean = false
			i++
		default:
			r, n := utf8.DecodeRune(body[i:])
			if r == utf8.RuneError && n == 1 || unicode.IsControl(r) {
				clean = false
			}
			i += n
		}
	}
	return i, clean
}

// printable8 reports whether the eight bytes of x are all printable ASCII
// (0x20 to 0x7e): none is below 0x20 (subtracting 0x20 from each borrows
// into its top bit) and none above 0x7e (adding 1 reaches the top bit).
// Both tests are exact for the word as a whole: a borrow or carry can
// only come from a byte that fails.
func printable8(x uint64) bool {
	const ones, tops = 0x0101010101010101, 0x8080808080808080
	return (x-0x20*ones)&^x&tops == 0 && (x+ones|x)&tops == 0
}

// cleanLine appends to dst the line l (without its line break) with
// control characters other than tab dropped and each run of invalid UTF-8
// replaced by U+FFFD.
func cleanLine(dst, l []byte) []byte {
	invalid := false // the last byte read was invalid UTF-8
	for i := 0; i < len(l); {
		c := l[i]
		if c < utf8.RuneSelf {
			invalid = false
			i++
			if c == '\t' || c >= 0x20 && c != 0x7f {
				dst = append(dst, c)
			}
			continue
		}
		r, n := utf8.DecodeRune(l[i:])
		if r == utf8.RuneError && n == 1 {
			if !invalid {
				dst = append(dst, "\uFFFD"...)
			}
			invalid = true
			i++
			continue
		}
		invalid = false
		if !unicode.IsControl(r) {
			dst = append(dst, l[i:i+n]...)
		}
		i += n
	}
	return dst
}

// isBlank reports whether l is empty or white space only.
func isBlank(l []byte) bool {
	for i := 0; i < len(l); i++ {
		if c := l[i]; c != ' ' && c != '\t' {
			if c < utf8.RuneSelf {
				return false
			}
			return len(bytes.TrimSpace(l[i:])) == 0
		}
	}
	return true
}
