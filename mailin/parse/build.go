package parse

import (
	"bufio"
	"bytes"
	"net/textproto"
	"strings"
	"unicode"

	"github.com/jhillyerd/enmime/v2"
	"github.com/jhillyerd/enmime/v2/mediatype"

	"github.com/deskgate/deskgate/ticketing"
)

// message is the parsed form classification looks at.
type message struct {
	root   *enmime.Part
	header textproto.MIMEHeader
	hint   string       // declared charset used for raw 8-bit header bytes
	types  *[]mediaType // every part's media type, computed once by contentTypes
}

// get returns a decoded, whitespace-collapsed header value.
func (m *message) get(name string) string {
	return decodeHeader(rawHeader(m.header, name), m.hint)
}

// has reports whether the header is present at all.
func (m *message) has(name string) bool {
	_, ok := m.header[textproto.CanonicalMIMEHeaderKey(name)]
	return ok
}

// build turns the MIME tree into an Inbound (without classification).
func build(root *enmime.Part, fallback bool) (ticketing.Inbound, *message) {
	dropEmptyParts(root)
	fixTextParts(root)
	m := &message{root: root, header: root.Header, hint: charsetHint(root)}
	if m.header == nil {
		m.header = textproto.MIMEHeader{}
	}
	var in ticketing.Inbound
	in.MessageID = firstMsgID(rawHeader(m.header, "Message-Id"))
	in.InReplyTo = msgIDList(rawHeader(m.header, "In-Reply-To"))
	in.References = msgIDList(rawHeader(m.header, "References"))
	for _, h := range []string{"From", "Sender", "Reply-To"} {
		if list := parseAddressList(rawHeader(m.header, h), m.hint); len(list) > 0 {
			in.From = list[0]
			break
		}
	}
	in.ReplyTo = parseAddressList(rawHeader(m.header, "Reply-To"), m.hint)
	in.To = parseAddressList(rawHeader(m.header, "To"), m.hint)
	in.Cc = parseAddressList(rawHeader(m.header, "Cc"), m.hint)
	for _, h := range []string{"Delivered-To", "X-Original-To"} {
		for _, v := range m.header.Values(h) {
			for _, a := range parseAddressList(v, m.hint) {
				in.EnvelopeTo = append(in.EnvelopeTo, a.Address)
			}
		}
	}
	in.ThreadRoot = threadRoot(rawHeader(m.header, "Thread-Index"))
	in.Subject = m.get("Subject")
	in.Date = parseDate(rawHeader(m.header, "Date"))
	in.Languages = declaredLanguages(m)
	in.Headers = headerMap(m)
	in.AuthResults = authResults(m.header)

	var env *enmime.Envelope
	var err error
	if !fallback {
		markUTF8(root)
		env, err = parser.EnvelopeFromPart(root)
	}
	if err != nil || env == nil {
		// A multipart without a usable boundary: keep whatever content the
		// root part holds as the text.
		in.Text = bytesToUTF8(root.Content, m.hint)
		return in, m
	}
	in.Text = cleanText(env.Text)
	in.HTML = sanitizeHTML(cleanText(env.HTML))
	if strings.TrimSpace(in.Text) == "" && env.HTML != "" {
		in.Text = htmlToText(cleanText(env.HTML))
	}
	in.Attachments = attachments(env, m.hint)
	return in, m
}

// markUTF8 declares charset=utf-8 on a single text/html root without a
// charset: its content is already UTF-8, and enmime would otherwise decode
// it a second time using a charset found in a <meta> tag.
func markUTF8(root *enmime.Part) {
	if root.FirstChild != nil || root.ContentType != "text/html" {
		return
	}
	ct := root.Header.Get("Content-Type")
	if _, params, _, err := mediatype.Parse(ct); err == nil && params["charset"] == "" {
		root.Header.Set("Content-Type", ct+"; charset=utf-8")
	}
}

// dropEmptyParts removes the parts a repeated delimiter line leaves between
// two delimiters, with neither header nor content, so that they add no
// empty text to the body.
func dropEmptyParts(root *enmime.Part) {
	_ = root.DepthMatchAll(func(p *enmime.Part) bool {
		var prev *enmime.Part
		for c := p.FirstChild; c != nil; c = c.NextSibling {
			if c.FirstChild == nil && len(c.Header) == 0 && len(bytes.TrimSpace(c.Content)) == 0 {
				if prev == nil {
					p.FirstChild = c.NextSibling
				} else {
					prev.NextSibling = c.NextSibling
				}
				continue
			}
			prev = c
		}
		return false
	})
}

// fixTextParts converts text parts whose bytes enmime left undecoded
// (unknown or wrong charset label) to UTF-8 before the envelope is built.
func fixTextParts(root *enmime.Part) {
	_ = root.DepthMatchAll(func(p *enmime.Part) bool {
		if p.ContentType == "" && p.Parent != nil && p.FirstChild == nil &&
			p.Parent.ContentType != "multipart/digest" && p.Disposition != "attachment" {
			p.ContentType = "text/plain" // RFC 2045 default
		}
		if p.TextContent() && !strings.HasPrefix(p.ContentType, "multipart/") {
			p.Content = []byte(bytesToUTF8(p.Content, p.Charset))
		}
		return false
	})
}

// attachments collects attachments, inline parts and other non-body parts.
func attachments(env *enmime.Envelope, hint string) []ticketing.Attachment {
	seen := map[*enmime.Part]bool{}
	var out []ticketing.Attachment
	for _, group := range [][]*enmime.Part{env.Attachments, env.Inlines, env.OtherParts} {
		for _, p := range group {
			if p == nil || seen[p] {
				continue
			}
			seen[p] = true
			out = append(out, ticketing.Attachment{
				Filename:    attachmentName(p, hint),
				ContentType: cleanText(strings.ToLower(p.ContentType)),
				ContentID:   cleanText(strings.Trim(strings.TrimSpace(p.ContentID), "<>")),
				Inline:      p.Disposition == "inline" || p.Disposition == "" && p.ContentID != "",
				Data:        p.Content,
			})
		}
	}
	return out
}

// attachmentName is the decoded filename of a part.
func attachmentName(p *enmime.Part, hint string) string {
	name := p.FileName
	if name == "" || strings.Contains(strings.ToLower(p.Header.Get("Content-Disposition")+p.Header.Get("Content-Type")), "name*") {
		if n := rfc2231Filename(p.Header); n != "" {
			name = n
		}
	}
	return filename(name, hint)
}

// filename decodes a filename enmime left with raw 8-bit bytes or broken
// encoded words and removes control characters.
func filename(name, hint string) string {
	s := headerStringToUTF8(name, hint)
	if strings.Contains(s, "=?") {
		s = decodeEncodedWords(s)
	}
	s = strings.Map(func(r rune) rune {
		if unicode.IsControl(r) {
			return ' '
		}
		return r
	}, cleanText(s))
	return collapseSpace(s)
}

func bufioReader(b []byte) *bufio.Reader {
	return bufio.NewReader(bytes.NewReader(b))
}

// headerMap is every top-level header field by lower-cased name, the first
// value of each, decoded, for rules. Values are cut at maxHeaderValue
// bytes so that a hostile header cannot bloat every rule evaluation.
func headerMap(m *message) map[string]string {
	const maxHeaderValue = 4096
	out := make(map[string]string, len(m.header))
	for k := range m.header {
		v := m.get(k)
		if len(v) > maxHeaderValue {
			v = strings.ToValidUTF8(v[:maxHeaderValue], "")
		}
		out[strings.ToLower(k)] = v
	}
	return out
}
