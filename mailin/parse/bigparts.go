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

// enmime also misreads a boundary that occurs inside a part's text (its
// boundary reader looks for a delimiter at every byte of a part's first
// 4 KB, and anywhere in a line): the text is cut short there and the rest
// of the line, or of the part, is lost (docs/upstream/enmime-boundary.md).
// So when a message holds a boundary string that does not start a line,
// the bodies of the parts that contain one are cut out the same way, raw,
// and put back before transfer decoding.

// bigPart is a body cut out of the message.
type bigPart struct {
	path        []int  // the part's position: ordinals among its parent's parts, from the root
	contentType string // lower-cased media type, to check the match
	rawType     string // the part's Content-Type and Content-Disposition
	rawDispo    string // header values, to check the match
	content     []byte // decoded, or still transfer-encoded when raw
	raw         bool   // cut for a boundary in it: put back before decoding
}

// slimMessage returns msg with the bodies of large base64 binary parts of a
// top-level multipart removed, and those parts decoded; with stray, also
// the bodies of parts at any depth that contain the boundary of a
// multipart enclosing them, kept raw. ok is false when there is nothing to
// cut.
func slimMessage(msg []byte, stray bool) (slim []byte, parts []bigPart, ok bool) {
	big := len(msg) >= bigPartMin
	if !big && !stray {
		return nil, nil, false
	}
	header, body := splitHeader(msg)
	mtype, params, _, err := mediatype.Parse(header.Get("Content-Type"))
	if err != nil || !strings.HasPrefix(strings.ToLower(mtype), "multipart/") || params["boundary"] == "" {
		return nil, nil, false
	}
	s := slimmer{msg: msg, big: big, stray: stray}
	s.multipart(len(msg)-len(body), body, params["boundary"], nil, nil)
	if len(s.parts) == 0 {
		return nil, nil, false
	}
	// The slim message is the bytes between the cuts, copied once into a
	// buffer of their size (not the message's: the cuts are most of it).
	size := len(msg)
	for _, c := range s.cuts {
		size -= c[1] - c[0]
	}
	slim = make([]byte, 0, size)
	at := 0
	for _, c := range s.cuts {
		slim = append(slim, msg[at:c[0]]...)
		at = c[1]
	}
	return append(slim, msg[at:]...), s.parts, true
}

// slimmer finds the bodies to cut out of msg.
type slimmer struct {
	msg        []byte
	big, stray bool     // what to cut
	cuts       [][2]int // the bodies cut out, msg[start:end], in order
	parts      []bigPart
}

// maxSlimDepth bounds the nesting slimmer follows (checkStructure has
// bounded the message's depth already).
const maxSlimDepth = 64

// multipart cuts parts of the multipart whose body starts at offset at of
// msg; outer holds the delimiters of the multiparts enclosing it.
func (s *slimmer) multipart(at int, body []byte, boundary string, path []int, outer [][]byte) {
	own := []byte("--" + boundary)
	delims := delimiters(body, own)
	if len(delims) < 2 || len(path) >= maxSlimDepth {
		return
	}
	bounds := append(outer[:len(outer):len(outer)], own)
	for i := 0; i+1 < len(delims); i++ {
		start, end := delims[i].next, delims[i+1].at // the part, between delimiter lines
		if delims[i].closing || start > end {
			break
		}
		part := body[start:end]
		ph, pbody := splitHeader(part)
		pt, pparams, _, err := mediatype.Parse(ph.Get("Content-Type"))
		pt = strings.ToLower(pt)
		here := append(path[:len(path):len(path)], i)
		bodyAt := at + end - len(pbody) // where the part's body starts in msg
		if strings.HasPrefix(pt, "multipart/") {
			if s.stray && err == nil && pparams["boundary"] != "" {
				s.multipart(bodyAt, pbody, pparams["boundary"], here, bounds)
			}
			continue
		}
		cut := bigPart{path: here, contentType: pt, rawType: ph.Get("Content-Type"), rawDispo: ph.Get("Content-Disposition")}
		switch {
		case s.big && len(path) == 0 && len(pbody) >= bigPartMin && err == nil && pt != "" &&
			strings.EqualFold(strings.TrimSpace(ph.Get("Content-Transfer-Encoding")), "base64") &&
			!strings.HasPrefix(pt, "text/") && !strings.HasPrefix(pt, "message/"):
			cut.content = decodeBase64(pbody)
		case s.stray && holdsAny(pbody, bounds):
			cut.content, cut.raw = pbody, true
		default:
			continue
		}
		s.cuts = append(s.cuts, [2]int{bodyAt, bodyAt + len(pbody)})
		s.parts = append(s.parts, cut)
	}
}

// holdsAny reports whether b contains one of subs.
func holdsAny(b []byte, subs [][]byte) bool {
	for _, sub := range subs {
		if bytes.Contains(b, sub) {
			return true
		}
	}
	return false
}

// strayBoundary reports whether the delimiter of one of root's multiparts
// occurs in msg other than at the start of a line, where enmime would
// misread it.
func strayBoundary(msg []byte, root *enmime.Part) bool {
	stray := false
	_ = root.DepthMatchFirst(func(p *enmime.Part) bool {
		if p.Boundary == "" {
			return false
		}
		d := []byte("--" + p.Boundary)
		for pos := 0; ; {
			i := bytes.Index(msg[pos:], d)
			if i < 0 {
				return false
			}
			if at := pos + i; at > 0 && msg[at-1] != '\n' {
				stray = true
				return true
			}
			pos += i + len(d)
		}
	})
	return stray
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

// restoreBigParts puts the bodies back into the parts of root, the raw
// ones or the decoded ones. It reports false, changing nothing, if the
// parts do not line up.
func restoreBigParts(root *enmime.Part, parts []bigPart, raw bool) bool {
	var targets []*enmime.Part
	for _, p := range parts {
		if p.raw != raw {
			continue
		}
		c := partAt(root, p.path)
		if c == nil || !strings.EqualFold(c.ContentType, p.contentType) || len(c.Content) != 0 ||
			c.Header.Get("Content-Type") != p.rawType || c.Header.Get("Content-Disposition") != p.rawDispo {
			return false
		}
		targets = append(targets, c)
	}
	i := 0
	for _, p := range parts {
		if p.raw == raw {
			targets[i].Content = p.content
			i++
		}
	}
	return true
}

// partAt follows path from root, or returns nil.
func partAt(root *enmime.Part, path []int) *enmime.Part {
	p := root
	for _, n := range path {
		p = p.FirstChild
		for ; n > 0 && p != nil; n-- {
			p = p.NextSibling
		}
		if p == nil {
			return nil
		}
	}
	return p
}
