package parse

import (
	"bytes"
	"strings"

	"github.com/jhillyerd/enmime/v2"
	"github.com/jhillyerd/enmime/v2/mediatype"
)

// enmime finds multipart boundaries one byte at a time, which made large
// attachments most of the cost of ingesting mail (about 55 MB/s). So before
// enmime reads a message, the bodies of large base64-encoded binary parts of
// a top-level multipart are cut out, found by the RFC 2046 delimiter lines;
// enmime parses the slim message, and the decoded bodies are put back into
// the matching parts. Whenever the two views of the structure disagree, the
// whole message is parsed by enmime as before.

// bigPartMin is the encoded size from which a part's body is cut out; a
// variable so that tests can force the fast path on every part.
var bigPartMin = 32 << 10

// bigPart is a body cut out of the message.
type bigPart struct {
	ordinal     int    // position among the top-level parts, from 0
	contentType string // lower-cased media type, to check the match
	rawType     string // the part's Content-Type and Content-Disposition
	rawDispo    string // header values, to check the match
	content     []byte // decoded
}

// slimMessage returns msg with the bodies of large base64 binary parts of a
// top-level multipart removed, and those parts decoded. ok is false when
// there is nothing to cut.
func slimMessage(msg []byte) (slim []byte, parts []bigPart, ok bool) {
	if len(msg) < bigPartMin {
		return nil, nil, false
	}
	header, body := splitHeader(msg)
	mtype, params, _, err := mediatype.Parse(header.Get("Content-Type"))
	if err != nil || !strings.HasPrefix(strings.ToLower(mtype), "multipart/") || params["boundary"] == "" {
		return nil, nil, false
	}
	bodyStart := len(msg) - len(body)
	delims := delimiters(body, []byte("--"+params["boundary"]))
	if len(delims) < 2 {
		return nil, nil, false
	}
	var out bytes.Buffer
	out.Grow(len(msg))
	copied := 0 // msg[:copied] is in out
	for i := 0; i+1 < len(delims); i++ {
		start, end := delims[i].next, delims[i+1].at // the part, between delimiter lines
		if delims[i].closing || start > end {
			break
		}
		part := body[start:end]
		ph, pbody := splitHeader(part)
		if len(pbody) < bigPartMin || !strings.EqualFold(strings.TrimSpace(ph.Get("Content-Transfer-Encoding")), "base64") {
			continue
		}
		pt, _, _, err := mediatype.Parse(ph.Get("Content-Type"))
		pt = strings.ToLower(pt)
		if err != nil || pt == "" || strings.HasPrefix(pt, "text/") || strings.HasPrefix(pt, "multipart/") || strings.HasPrefix(pt, "message/") {
			continue
		}
		cut := bodyStart + end - len(pbody) // where the part's body starts in msg
		out.Write(msg[copied:cut])
		copied = bodyStart + end
		parts = append(parts, bigPart{ordinal: i, contentType: pt, rawType: ph.Get("Content-Type"),
			rawDispo: ph.Get("Content-Disposition"), content: decodeBase64(pbody)})
	}
	if len(parts) == 0 {
		return nil, nil, false
	}
	out.Write(msg[copied:])
	return out.Bytes(), parts, true
}

// delimiter is a boundary delimiter line in a multipart body.
type delimiter struct {
	at      int  // offset of the line break before "--boundary" (or 0 at the start)
	next    int  // offset just after the delimiter line
	closing bool // "--boundary--"
}

// delimiters finds the delimiter lines of boundary (which includes the
// leading "--") in body, as RFC 2046 defines them: at the start of a line,
// followed by optional "--", optional whitespace and the end of the line.
func delimiters(body, boundary []byte) []delimiter {
	var out []delimiter
	for pos := 0; pos < len(body); {
		i := bytes.Index(body[pos:], boundary)
		if i < 0 {
			break
		}
		at := pos + i
		pos = at + len(boundary)
		lineStart := at
		if at > 0 {
			if body[at-1] != '\n' {
				continue
			}
			lineStart = at - 1
			if lineStart > 0 && body[lineStart-1] == '\r' {
				lineStart--
			}
		}
		rest := body[pos:]
		closing := bytes.HasPrefix(rest, []byte("--"))
		if closing {
			rest = rest[2:]
		}
		eol := bytes.IndexByte(rest, '\n')
		if eol < 0 {
			eol = len(rest)
		}
		if len(bytes.TrimRight(rest[:eol], " \t\r")) != 0 {
			continue // a longer string that merely starts with the boundary
		}
		next := len(body) - len(rest) + eol
		if next < len(body) {
			next++ // past the line feed
		}
		out = append(out, delimiter{at: lineStart, next: next, closing: closing})
		pos = next
	}
	return out
}

// restoreBigParts puts the decoded bodies back into the top-level parts of
// root. It reports false, changing nothing, if the parts do not line up.
func restoreBigParts(root *enmime.Part, parts []bigPart) bool {
	var children []*enmime.Part
	for c := root.FirstChild; c != nil; c = c.NextSibling {
		children = append(children, c)
	}
	for _, p := range parts {
		if p.ordinal >= len(children) {
			return false
		}
		c := children[p.ordinal]
		if !strings.EqualFold(c.ContentType, p.contentType) || len(c.Content) != 0 ||
			c.Header.Get("Content-Type") != p.rawType || c.Header.Get("Content-Disposition") != p.rawDispo {
			return false
		}
	}
	for _, p := range parts {
		children[p.ordinal].Content = p.content
	}
	return true
}
