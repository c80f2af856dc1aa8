package mailout

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"net/mail"
	"regexp"
	"strings"
	"time"
	"unicode/utf8"

	gomail "github.com/wneessen/go-mail"

	"github.com/deskgate/deskgate/ticketing"
)

// DefaultLoopHeader names the header every message carries so that deskgate
// knows its own mail when it comes back; mailin looks for the same name.
const DefaultLoopHeader = "X-Deskgate-Loop"

// ErrInvalid marks a notification that cannot be sent as it stands (a
// malformed address or Message-ID, no recipients). Sending it again would
// fail the same way, so the Sender fails it for good.
var ErrInvalid = errors.New("invalid notification")

// ComposeOptions tune Compose. The zero value is ready to use.
type ComposeOptions struct {
	// LoopHeader names the loop-detection header; default
	// DefaultLoopHeader. Its presence, whatever its value, marks mail as
	// ours when it comes back.
	LoopHeader string
	// LoopValue is the loop header's value; default the domain of the
	// notification's From address (the desk's domain), lower-cased.
	LoopValue string
	// Date is the Date header. Zero means the time the notification was
	// queued (Notification.CreatedAt), so that every attempt sends the
	// same bytes; if that is zero too, the time of the call.
	Date time.Time
	// Boundary fixes the MIME boundary of multipart messages. Empty means
	// one derived from the Message-ID, so that a retry sends the same
	// bytes; a fixed one must not occur in the bodies. go-mail uses one
	// boundary for every level, which is invalid when parts nest, so mail
	// with attachments (mixed around alternative) gets one per level,
	// derived from the Message-ID after go-mail wrote random ones.
	Boundary string
}

// Compose returns n as a complete RFC 5322 message with CRLF line endings,
// built with go-mail: From, Reply-To, To, Cc, Subject, Date, Message-ID,
// In-Reply-To, References (one space-separated value), Thread-Index and
// Thread-Topic when set, Auto-Submitted when n is automatic,
// X-Auto-Response-Suppress: All and the loop header always,
// Content-Language, and MIME-Version. The body is text/plain, or
// multipart/alternative with text/plain then text/html when n.HTML is set,
// both UTF-8 in quoted-printable.
//
// With n.Compact set (a server refused the email for its size) the body is
// the smaller version instead: the text cut to n.Compact bytes with a line
// "[… N KB more in the ticket]", no HTML, and the attachments listed by
// name and size.
//
// Every header value taken from n is neutralised before go-mail sees it:
// runs of CR, LF and TAB become one space, other control characters (C0,
// DEL and C1) are dropped, invalid UTF-8 is replaced. Non-ASCII text is
// encoded per RFC 2047. Addresses must be valid bare addresses (as
// net/mail parses them) and n.MessageID a valid id; otherwise the error
// wraps ErrInvalid. An In-Reply-To or References id that is not a valid
// id is left out.
//
// No line exceeds RFC 5322's 998 octets: the Subject and Thread-Topic are
// cut to MaxSubject characters (keeping a ticket tag at the end), display
// names to MaxName, and go-mail folds the rest (it encodes non-ASCII text
// as RFC 2047 words of at most 75 octets and folds address lists and
// References between items); a Thread-Index too long for one line is left
// out. Compose checks the result and fails with ErrInvalid otherwise.
func Compose(n ticketing.Notification, opts ComposeOptions) ([]byte, error) {
	raw, _, err := compose(n, opts)
	return raw, err
}

// compose is Compose, also returning the envelope.
func compose(n ticketing.Notification, opts ComposeOptions) ([]byte, *envelope, error) {
	env, err := envelopeOf(n)
	if err != nil {
		return nil, nil, err
	}
	if n.Compact > 0 {
		n = smallerVersion(n)
	}
	if opts.LoopHeader == "" {
		opts.LoopHeader = DefaultLoopHeader
	}
	if !validFieldName(opts.LoopHeader) {
		return nil, nil, fmt.Errorf("mailout: loop header name %q is not a valid header field name", opts.LoopHeader)
	}
	loop := clean(opts.LoopValue)
	if loop == "" {
		_, domain, _ := strings.Cut(env.from.Address, "@")
		loop = strings.ToLower(domain)
	}
	date := opts.Date
	if date.IsZero() {
		date = n.CreatedAt
	}
	if date.IsZero() {
		date = time.Now()
	}

	mopts := []gomail.MsgOption{
		gomail.WithNoDefaultUserAgent(),
		gomail.WithCharset(gomail.CharsetUTF8),
		gomail.WithEncoding(gomail.EncodingQP),
	}
	if opts.Boundary == "" && len(n.Attachments) == 0 {
		// Derived from the Message-ID, so every attempt sends the same
		// bytes; a hash never occurs in a body by chance.
		sum := sha256.Sum256([]byte("deskgate boundary\x00" + n.MessageID))
		opts.Boundary = "dg" + hex.EncodeToString(sum[:20])
	}
	if opts.Boundary != "" {
		mopts = append(mopts, gomail.WithBoundary(opts.Boundary))
	}
	m := gomail.NewMsg(mopts...)
	m.FromMailAddress(env.from)
	if env.replyTo != nil {
		m.ReplyToMailAddress(env.replyTo)
	}
	if len(env.to) > 0 {
		m.ToMailAddress(env.to...)
	}
	if len(env.cc) > 0 {
		m.CcMailAddress(env.cc...)
	}
	if s := cutSubject(clean(n.Subject)); s != "" {
		m.Subject(s)
	}
	m.SetDateWithValue(date)
	m.SetMessageIDWithValue(env.messageID)
	if id := msgID(n.InReplyTo); id != "" {
		m.SetGenHeader(gomail.HeaderInReplyTo, "<"+id+">")
	}
	if refs := references(n.References); refs != "" {
		// One value: go-mail joins several values of a header with commas.
		m.SetGenHeader(gomail.HeaderReferences, refs)
	}
	if ti := clean(n.ThreadIndex); ti != "" && isBase64(ti) && len(ti) <= maxThreadIndex {
		m.SetGenHeader("Thread-Index", ti)
	}
	if tt := cutSubject(clean(n.ThreadTopic)); tt != "" {
		m.SetGenHeader("Thread-Topic", tt)
	}
	if as := clean(n.AutoSubmitted); as != "" {
		m.SetGenHeader("Auto-Submitted", as)
	}
	m.SetGenHeader(gomail.HeaderXAutoResponseSuppress, "All")
	m.SetGenHeader(gomail.Header(opts.LoopHeader), loop)
	if lang := clean(n.Language); lang != "" && isLanguageTag(lang) {
		m.SetGenHeader(gomail.HeaderContentLang, lang)
	}

	m.SetBodyString(gomail.TypeTextPlain, n.Text)
	if n.HTML != "" {
		m.AddAlternativeString(gomail.TypeTextHTML, n.HTML)
	}
	// A relayed reply carries the agent's files; inline images stay inline.
	for i, a := range n.Attachments {
		name := cutFilename(clean(a.Filename))
		if name == "" {
			name = fmt.Sprintf("attachment-%d", i+1)
		}
		fo := []gomail.FileOption{}
		if ct := clean(a.ContentType); ct != "" {
			fo = append(fo, gomail.WithFileContentType(gomail.ContentType(ct)))
		}
		if cid := msgID(a.ContentID); a.Inline && cid != "" && len(cid) <= MaxContentID {
			fo = append(fo, gomail.WithFileContentID(cid))
			// The ReadSeeker forms read a.Data where it is; the Reader
			// ones copy it first.
			m.EmbedReadSeeker(name, bytes.NewReader(a.Data), fo...)
		} else {
			m.AttachReadSeeker(name, bytes.NewReader(a.Data), fo...)
		}
	}
	var buf bytes.Buffer
	buf.Grow(composedSize(n))
	if _, err := m.WriteTo(&buf); err != nil {
		return nil, nil, fmt.Errorf("mailout: composing notification %d: %w", n.ID, err)
	}
	if !bytes.HasSuffix(buf.Bytes(), []byte("\r\n")) {
		buf.WriteString("\r\n")
	}
	raw := buf.Bytes()
	if opts.Boundary == "" && len(n.Attachments) > 0 {
		raw = stableBoundaries(raw, n.MessageID)
	}
	if err := checkLines(raw); err != nil {
		return nil, nil, fmt.Errorf("mailout: composing notification %d: %w", n.ID, err)
	}
	return raw, env, nil
}

// composedSize is about the size of n composed, a little more rather than
// less, so that the message is written into one buffer without growing it:
// quoted-printable writes an escaped byte ("=" and every byte of non-ASCII
// text) as three and breaks lines of 76, base64 writes 4 bytes for 3 in
// lines of 76, and the header and MIME structure take a KB or two.
func composedSize(n ticketing.Notification) int {
	size := 2048 + qpSize(n.Text) + qpSize(n.HTML)
	for _, a := range n.Attachments {
		size += 1024 + (len(a.Data)+2)/3*4*78/76
	}
	return size
}

// qpSize is an upper bound of s's length in quoted-printable with CRLF
// line breaks.
func qpSize(s string) int {
	size := len(s)
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c == '=' || c >= 0x80:
			size += 2
		case c == '\n':
			size++
		}
	}
	return size + size/73*3
}

// multipartDecl starts the Content-Type of a multipart as go-mail writes
// it; boundaryParam reads the boundary that follows, as go-mail folds it.
// Text in a body cannot look like this: quoted-printable writes "=" as
// "=3D", and base64 has no blanks or colons.
const multipartDecl = "Content-Type: multipart/"

var boundaryParam = regexp.MustCompile("^[a-z]+;\r\n boundary=([0-9A-Za-z'()+_,./:?-]{1,70})\r\n")

// stableBoundaries replaces, in place, the random boundaries go-mail gives
// nested multiparts (mail with files) with ones of the same length derived
// from the Message-ID, one per level, so that every attempt sends the same
// bytes. A random boundary occurs nowhere but in its own delimiters, and a
// hash never occurs in a body by chance.
func stableBoundaries(raw []byte, messageID string) []byte {
	var olds [][]byte
	for i := 0; ; {
		j := bytes.Index(raw[i:], []byte(multipartDecl))
		if j < 0 {
			break
		}
		i += j + len(multipartDecl)
		if m := boundaryParam.FindSubmatch(raw[i:min(len(raw), i+100)]); m != nil {
			olds = append(olds, bytes.Clone(m[1]))
		}
	}
	for k, old := range olds {
		a := sha256.Sum256([]byte(fmt.Sprintf("deskgate boundary\x00%s\x00%d", messageID, k)))
		b := sha256.Sum256(a[:])
		stable := []byte(hex.EncodeToString(a[:]) + hex.EncodeToString(b[:]))[:len(old)]
		for i := 0; ; {
			j := bytes.Index(raw[i:], old)
			if j < 0 {
				break
			}
			i += j
			i += copy(raw[i:], stable)
		}
	}
	return raw
}

// envelope is a notification's validated addresses and Message-ID.
type envelope struct {
	messageID string // without angle brackets
	from      *mail.Address
	replyTo   *mail.Address // nil for none
	to, cc    []*mail.Address
	rcpts     []string // the SMTP recipients: To and Cc, each once
}

// envelopeOf validates n's addresses and Message-ID.
func envelopeOf(n ticketing.Notification) (*envelope, error) {
	env := &envelope{messageID: msgID(n.MessageID)}
	if env.messageID == "" || !strings.Contains(env.messageID, "@") {
		return nil, fmt.Errorf("mailout: notification %d: Message-ID %q: %w", n.ID, n.MessageID, ErrInvalid)
	}
	var err error
	if env.from, err = address("From", n.From.Name, n.From.Address); err != nil {
		return nil, fmt.Errorf("mailout: notification %d: %w", n.ID, err)
	}
	if n.ReplyTo != "" {
		if env.replyTo, err = address("Reply-To", "", n.ReplyTo); err != nil {
			return nil, fmt.Errorf("mailout: notification %d: %w", n.ID, err)
		}
	}
	seen := make(map[string]bool)
	for _, list := range []struct {
		field string
		in    []ticketing.Address
		out   *[]*mail.Address
	}{{"To", n.To, &env.to}, {"Cc", n.Cc, &env.cc}} {
		for _, a := range list.in {
			addr, err := address(list.field, a.Name, a.Address)
			if err != nil {
				return nil, fmt.Errorf("mailout: notification %d: %w", n.ID, err)
			}
			*list.out = append(*list.out, addr)
			if key := strings.ToLower(addr.Address); !seen[key] {
				seen[key] = true
				env.rcpts = append(env.rcpts, addr.Address)
			}
		}
	}
	if len(env.rcpts) == 0 {
		return nil, fmt.Errorf("mailout: notification %d has no recipients: %w", n.ID, ErrInvalid)
	}
	return env, nil
}

// address validates the bare address addr and pairs it with the display
// name, both neutralised.
func address(field, name, addr string) (*mail.Address, error) {
	a := clean(addr)
	p, err := mail.ParseAddress(a)
	if err != nil || p.Name != "" || a == "" {
		if err == nil {
			err = errors.New("not a bare address")
		}
		return nil, fmt.Errorf("%s address %q: %v: %w", field, addr, err, ErrInvalid)
	}
	return &mail.Address{Name: cutName(clean(name)), Address: p.Address}, nil
}

// clean neutralises control characters in a header value: each run of CR,
// LF and TAB becomes one space, other C0 and C1 control characters and DEL
// are dropped, invalid UTF-8 becomes U+FFFD, and surrounding white space is
// trimmed.
func clean(s string) string {
	dirty := false
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c >= 0x7f {
			dirty = true
			break
		}
	}
	if !dirty {
		return strings.TrimSpace(s)
	}
	var b strings.Builder
	b.Grow(len(s))
	space := false
	for _, r := range s { // ranging yields U+FFFD for invalid UTF-8
		switch {
		case r == '\r' || r == '\n' || r == '\t':
			if !space {
				b.WriteByte(' ')
				space = true
			}
			continue
		case r < 0x20 || r == 0x7f || (r >= 0x80 && r <= 0x9f):
			continue
		}
		space = false
		b.WriteRune(r)
	}
	return strings.TrimSpace(b.String())
}

// msgID returns id neutralised and without angle brackets if it is a valid
// message id (printable ASCII without white space or angle brackets), else
// "".
func msgID(id string) string {
	id = clean(id)
	id = strings.TrimSuffix(strings.TrimPrefix(id, "<"), ">")
	if id == "" || len(id) > 900 {
		return ""
	}
	for i := 0; i < len(id); i++ {
		if c := id[i]; c <= ' ' || c >= 0x7f || c == '<' || c == '>' {
			return ""
		}
	}
	return id
}

// references returns the valid ids of refs as one References value.
func references(refs []string) string {
	var b strings.Builder
	for _, r := range refs {
		if id := msgID(r); id != "" {
			if b.Len() > 0 {
				b.WriteByte(' ')
			}
			b.WriteString("<" + id + ">")
		}
	}
	return b.String()
}

func isBase64(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '+' || c == '/' || c == '=') {
			return false
		}
	}
	return true
}

// isLanguageTag reports whether s has the shape of a BCP 47 tag.
func isLanguageTag(s string) bool {
	if len(s) > 64 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-') {
			return false
		}
	}
	return true
}

// validFieldName reports whether s is a header field name (RFC 5322: printable
// ASCII other than colon).
func validFieldName(s string) bool {
	if s == "" || !utf8.ValidString(s) {
		return false
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; c <= ' ' || c >= 0x7f || c == ':' {
			return false
		}
	}
	return true
}
