// Package parse turns raw RFC 5322 bytes into a ticketing.Inbound and
// classifies the sender (human, auto-reply, bounce, mailing list or our own
// loop). It also reads the languages the sender declared
// (Content-Language, Accept-Language) and, for bounces, the per-recipient
// reports (RFC 3464 delivery-status parts, else the text of the bounce);
// DetectLanguage guesses the language of a text.
//
// Parsing is lenient and never panics: MIME structure is read with enmime,
// message-id lists with go-message, and the known charset traps are
// repaired (Windows-1252 text labelled ISO-8859-1, raw 8-bit header bytes,
// GB2312 labels meaning GB18030); header bytes are never read as UTF-16 or
// UTF-32, whatever byte-order mark they start with. Every returned string is valid UTF-8
// without NUL bytes. Message fails only when the input is not an email at
// all; the caller then quarantines the raw bytes with the error text.
//
// Limits: S/MIME and PGP parts are kept as attachments, not decrypted or
// verified; TNEF (winmail.dat) is kept as an attachment, not decoded;
// text/plain attachments are converted to UTF-8 by enmime. A bounce that
// names its failed recipients only by display name, or only in the copy of
// the returned message, yields no Deliveries.
package parse

import (
	"bytes"
	"errors"
	"fmt"
	"net/textproto"
	"strings"

	"github.com/jhillyerd/enmime/v2"
	"github.com/jhillyerd/enmime/v2/mediatype"

	"github.com/deskgate/deskgate/ticketing"
)

// DefaultLoopHeader is the header deskgate puts on every mail it sends.
const DefaultLoopHeader = "X-Deskgate-Loop"

// Options configure parsing; the zero value is usable.
type Options struct {
	// DeskAddresses are our own addresses (lower-case); mail From one of
	// them carrying our loop header is ClassLoop.
	DeskAddresses []string
	// LoopHeader defaults to DefaultLoopHeader; its presence (any value) on
	// inbound mail means ClassLoop.
	LoopHeader string
	// Limits bound the work spent on one message.
	Limits Limits
}

// ErrNotEmail is wrapped by the error Message returns for input that is not
// an email at all.
var ErrNotEmail = errors.New("not an email")

// Message parses raw and classifies it. It returns an error only when raw is
// not an email at all (ErrNotEmail) or is over one of opts.Limits
// (ErrLimit), so the caller quarantines it, keeping the raw bytes; the
// error text is the quarantine reason shown to a human.
func Message(raw []byte, opts Options) (ticketing.Inbound, error) {
	body, err := headerStart(raw)
	if err != nil {
		return ticketing.Inbound{}, err
	}
	lim := opts.Limits.WithDefaults()
	b := newBudget(lim.Timeout)
	if err := checkStructure(body, lim, b); err != nil {
		return ticketing.Inbound{}, err
	}
	in, m, err := safeBuild(body, b)
	if err != nil {
		return ticketing.Inbound{}, err
	}
	classify(&in, m, opts)
	if err := b.spent(); err != nil {
		return ticketing.Inbound{}, err
	}
	return in, nil
}

// safeBuild parses the MIME tree; should a library panic on hostile input,
// it falls back to the header block with the rest kept as text. It fails
// only when the budget is spent.
func safeBuild(body []byte, b budget) (in ticketing.Inbound, m *message, err error) {
	defer func() {
		if r := recover(); r != nil {
			in, m = build(fallbackPart(body), true)
		}
	}()
	root, ok := readParts(body, b)
	if err := b.spent(); err != nil {
		return in, m, err
	}
	in, m = build(root, !ok)
	return in, m, nil
}

// headerStart skips leading blank lines and an mbox "From " line and
// checks that a header block follows.
func headerStart(raw []byte) ([]byte, error) {
	b := raw
	for len(b) > 0 {
		line, rest, _ := bytes.Cut(b, []byte("\n"))
		if len(bytes.TrimSpace(line)) != 0 {
			break
		}
		b = rest
	}
	if len(b) == 0 {
		return nil, fmt.Errorf("parse: %w: the message is empty", ErrNotEmail)
	}
	if bytes.HasPrefix(b, []byte("From ")) {
		if _, rest, ok := bytes.Cut(b, []byte("\n")); ok {
			b = rest
		}
	}
	line, _, _ := bytes.Cut(b, []byte("\n"))
	if !isHeaderField(line) {
		if !isText(b) {
			return nil, fmt.Errorf("parse: no header fields: %w: the message does not start with a header block and is not text", ErrNotEmail)
		}
		// Text without any header: an empty header block, the rest its body.
		return append([]byte("\r\n"), b...), nil
	}
	return terminateHeader(b), nil
}

// isText reports whether the first 4 KB of b read as text: no NUL bytes
// and at most one byte in 20 a control character other than white space.
func isText(b []byte) bool {
	b = b[:min(len(b), 4096)]
	controls := 0
	for _, c := range b {
		switch {
		case c == 0:
			return false
		case c < ' ' && c != '\t' && c != '\n' && c != '\r' && c != '\f', c == 0x7f:
			controls++
		}
	}
	return controls*20 <= len(b)
}

// terminateHeader puts the empty line a header block lacks before its
// body: at the first line that is neither a header field nor a
// continuation, when no header field follows it before an empty line (a
// stray line inside the header, such as a value folded without white
// space, is left to enmime's tolerant reader). b is returned unchanged when
// the header ends properly.
func terminateHeader(b []byte) []byte {
	for pos := 0; pos < len(b); {
		line, _, found := bytes.Cut(b[pos:], []byte("\n"))
		next := min(pos+len(line)+1, len(b))
		switch {
		case len(bytes.TrimRight(line, "\r")) == 0:
			return b // the empty line that ends the header
		case line[0] == ' ' || line[0] == '\t' || isHeaderField(line):
		default:
			if field := nextHeaderField(b[next:]); field >= 0 {
				next += field // stray lines inside the header
				break
			}
			eol := []byte("\n")
			if bytes.HasSuffix(line, []byte("\r")) {
				eol = []byte("\r\n")
			}
			out := make([]byte, 0, len(b)+len(eol))
			return append(append(append(out, b[:pos]...), eol...), b[pos:]...)
		}
		if !found {
			return b
		}
		pos = next
	}
	return b
}

// nextHeaderField returns the offset in b of the first header field line
// before an empty line, or -1.
func nextHeaderField(b []byte) int {
	for pos := 0; pos < len(b); {
		line, _, _ := bytes.Cut(b[pos:], []byte("\n"))
		if len(bytes.TrimRight(line, "\r")) == 0 {
			return -1
		}
		if isHeaderField(line) {
			return pos
		}
		pos += len(line) + 1
	}
	return -1
}

// isHeaderField reports whether line looks like "Name: value".
func isHeaderField(line []byte) bool {
	i := bytes.IndexByte(line, ':')
	if i <= 0 {
		return false
	}
	name := bytes.TrimRight(line[:i], " \t")
	if len(name) == 0 {
		return false
	}
	for _, c := range name {
		if c <= ' ' || c >= 0x7F {
			return false
		}
	}
	return true
}

// parser reads MIME leniently and normalises charset labels so enmime
// decodes bodies with the superset charset mailers actually mean.
var parser = enmime.NewParser(append(parserOptions, enmime.RawContent(true))...)

// parserOptions are shared by parser and decoder (transfer.go).
var parserOptions = []enmime.Option{
	enmime.SkipMalformedParts(true),
	enmime.MultipartWOBoundaryAsSinglePart(true),
	enmime.DisableCharacterDetection(true),
	enmime.DisableTextConversion(true),
	enmime.SetReadPartErrorPolicy(enmime.AllowCorruptTextPartErrorPolicy),
	enmime.SetCustomParseMediaType(parseMediaType),
}

func parseMediaType(ctype string) (string, map[string]string, []string, error) {
	ctype = withSubtype(ctype)
	mtype, params, invalid, err := mediatype.ParseWithOptions(ctype, mediatype.ParseOptions{StripMediaTypeInvalidCharacters: true})
	if cs, ok := params["charset"]; ok {
		params["charset"] = normalizedCharsetParam(cs)
	}
	return mtype, params, invalid, err
}

// withSubtype completes a Content-Type of "text" without a subtype, which
// some mailers write, to "text/plain" (RFC 2045's default).
func withSubtype(ctype string) string {
	t, rest, _ := strings.Cut(ctype, ";")
	if !strings.EqualFold(strings.TrimSpace(t), "text") {
		return ctype
	}
	if rest != "" {
		return "text/plain;" + rest
	}
	return "text/plain"
}

// readParts parses the MIME tree; when enmime gives up, or finds a
// multipart with no parts (its boundary never occurs), it falls back to the
// header alone with the rest of the bytes as a text body (ok is false).
// enmime's reads fail once the budget is spent.
func readParts(b []byte, bud budget) (*enmime.Part, bool) {
	root := readSlim(b, bud, false)
	if root == nil {
		r, err := parser.ReadParts(&budgetReader{bytes.NewReader(b), bud})
		if err != nil || r == nil || strings.HasPrefix(r.ContentType, "multipart/") && r.FirstChild == nil {
			return fallbackPart(b), false
		}
		decodeTransfer(r)
		root = r
	}
	if strayBoundary(b, root) {
		if r := readSlim(b, bud, true); r != nil {
			root = r
		}
	}
	return root, true
}

// readSlim parses b with the bodies slimMessage cuts out put back, or
// returns nil.
func readSlim(b []byte, bud budget, stray bool) *enmime.Part {
	slim, parts, ok := slimMessage(b, stray)
	if !ok {
		return nil
	}
	root, err := parser.ReadParts(&budgetReader{bytes.NewReader(slim), bud})
	if err != nil || root == nil || !restoreBigParts(root, parts, true) {
		return nil
	}
	decodeTransfer(root)
	if !restoreBigParts(root, parts, false) {
		return nil
	}
	return root
}

// fallbackPart is a single text part holding everything after the header.
func fallbackPart(b []byte) *enmime.Part {
	header, rest := splitHeader(b)
	return &enmime.Part{PartID: "0", ContentType: "text/plain", Header: header, Content: rest}
}

// splitHeader reads the header block with enmime's tolerant reader and
// returns it with the remaining bytes. The header ends after the first
// blank line, however its line breaks are written; each separator is
// looked for only before the end found so far, so that a body (a file of
// megabytes) is not scanned for the ones it never holds.
func splitHeader(b []byte) (textproto.MIMEHeader, []byte) {
	end := len(b)
	for _, sep := range []string{"\r\n\r\n", "\n\n", "\n\r\n"} {
		if i := bytes.Index(b[:end], []byte(sep)); i >= 0 {
			end = i + len(sep)
		}
	}
	var errs collector
	h, err := enmime.ReadHeader(bufioReader(b[:end]), &errs)
	if err != nil || h == nil {
		h = textproto.MIMEHeader{}
	}
	return h, b[end:]
}

// collector discards header warnings.
type collector struct{}

func (collector) AddError(string, string, ...any)   {}
func (collector) AddWarning(string, string, ...any) {}

// rawHeader returns the raw (unfolded, undecoded) value of a header.
func rawHeader(h textproto.MIMEHeader, name string) string {
	return strings.Join(h.Values(name), " ")
}

// charsetHint is the declared charset of the message's first text part, used
// to decode raw 8-bit header bytes.
func charsetHint(root *enmime.Part) string {
	if cs := root.Charset; cs != "" && !isUTF8Label(cs) {
		return cs
	}
	if p := root.DepthMatchFirst(func(p *enmime.Part) bool {
		return strings.HasPrefix(p.ContentType, "text/") && p.Charset != ""
	}); p != nil {
		if p.OrigCharset != "" {
			return p.OrigCharset
		}
		return p.Charset
	}
	return ""
}
