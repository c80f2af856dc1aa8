package parse

import (
	"net/textproto"
	"regexp"
	"slices"
	"strings"
	"unicode"

	"github.com/emersion/go-msgauth/authres"

	"github.com/deskgate/deskgate/ticketing"
)

const (
	// maxAuthFields is how many Authentication-Results fields are kept,
	// counted from the top.
	maxAuthFields = 16
	// maxAuthResults is how many results of one field are read.
	maxAuthResults = 64
	// maxDKIMPass is how many dkim=pass domains of one field are kept.
	maxDKIMPass = 16
)

// authResults reads the top-level Authentication-Results fields (RFC 8601)
// in header order, topmost first. A field whose authserv-id is followed by
// anything but version 1 is skipped; a result that cannot be read is
// skipped without losing the rest of its field.
//
// authres.Parse is given each field with its comments removed, its quoted
// strings reduced to plain tokens and the blanks around "=" closed up:
// authres splits on ";" and on blanks without regard to comments or quoted
// strings, so text the receiving server quotes from the sender (an envelope
// address in an SPF comment) could otherwise pose as a result.
func authResults(h textproto.MIMEHeader) []ticketing.AuthResult {
	var out []ticketing.AuthResult
	for _, v := range h.Values("Authentication-Results") {
		if len(out) == maxAuthFields {
			break
		}
		if r, ok := authResult(v); ok {
			out = append(out, r)
		}
	}
	return out
}

// authResult reads one Authentication-Results field value.
func authResult(v string) (ticketing.AuthResult, bool) {
	segs := strings.Split(plainAuthValue(v), ";")
	id, infos := strings.TrimSpace(segs[0]), segs[1:]
	if strings.Contains(id, "=") {
		// No authserv-id (Microsoft 365): the value starts with a result.
		// authres.Parse would take that result for the id and fail on
		// its properties as an "unsupported version".
		id, infos = "", segs
	}
	var r ticketing.AuthResult
	if id != "" {
		servID, _, err := authres.Parse(id)
		if err != nil {
			return r, false
		}
		r.ServID = authText(servID)
	}
	n := 0
	for _, info := range infos {
		info = strings.TrimSpace(info)
		if info == "" {
			continue
		}
		if n++; n > maxAuthResults {
			break
		}
		// Each result on its own, so that one authres cannot read (for
		// instance a bad arc header.oldest-pass) loses only itself.
		_, results, err := authres.Parse("; " + withoutMethodVersion(info))
		if err != nil {
			continue
		}
		for _, res := range results {
			addAuthResult(&r, res)
		}
	}
	if id == "" && n == 0 {
		return r, false // neither an authserv-id nor a result
	}
	return r, true
}

// addAuthResult records a DMARC or DKIM result in r. Of several dmarc
// results in one field the first counts, unless it is a pass contradicted
// by a later one: then the contradiction counts.
func addAuthResult(r *ticketing.AuthResult, res authres.Result) {
	switch res := res.(type) {
	case *authres.DMARCResult:
		value := authText(string(res.Value))
		if r.DMARC == "" || r.DMARC == authres.ResultPass && value != authres.ResultPass {
			r.DMARC, r.DMARCFrom = value, authText(res.From)
		}
	case *authres.DKIMResult:
		if authText(string(res.Value)) != authres.ResultPass || len(r.DKIMPass) == maxDKIMPass {
			return
		}
		d := res.Domain
		if d == "" {
			// Gmail names the signer by header.i=@domain only.
			if i := strings.LastIndexByte(res.Identifier, '@'); i >= 0 {
				d = res.Identifier[i+1:]
			}
		}
		if d = authText(d); d != "" && !slices.Contains(r.DKIMPass, d) {
			r.DKIMPass = append(r.DKIMPass, d)
		}
	}
}

// aroundEquals matches blanks around "=" and "/", which RFC 8601 allows
// (CFWS) and authres does not.
var aroundEquals = regexp.MustCompile(`\s*([=/])\s*`)

// plainAuthValue rewrites an Authentication-Results value so that ";"
// separates results and blanks separate properties: comments are dropped,
// quoted strings become tokens (";", "=", "/", "\", parentheses and blanks
// inside them turn into "_"), and blanks around "=" and "/" are removed. A
// quoted string inside a comment is opaque too, so that a ")" quoted from
// the sender does not end the comment early. An unterminated comment or
// quoted string drops the rest of the value.
func plainAuthValue(v string) string {
	v = strings.Map(func(r rune) rune {
		if unicode.IsControl(r) {
			return ' '
		}
		return r
	}, strings.ToValidUTF8(v, "\uFFFD"))
	var b strings.Builder
	b.Grow(len(v))
	var q []byte // the quoted string being read, outside comments
	depth, quoted := 0, false
	for i := 0; i < len(v); i++ {
		c := v[i]
		switch {
		case c == '\\' && (quoted || depth > 0):
			i++ // quoted-pair
			if quoted && i < len(v) && depth == 0 {
				q = append(q, quotedByte(v[i]))
			}
		case quoted:
			if c == '"' {
				quoted = false
				b.Write(q)
			} else if depth == 0 {
				q = append(q, quotedByte(c))
			}
		case c == '"':
			quoted, q = true, q[:0]
		case c == '(':
			if depth == 0 {
				b.WriteByte(' ')
			}
			depth++
		case depth > 0:
			if c == ')' {
				depth--
			}
		default:
			b.WriteByte(c)
		}
	}
	return aroundEquals.ReplaceAllString(b.String(), "$1")
}

// quotedByte is c as it may stand inside a token.
func quotedByte(c byte) byte {
	switch c {
	case ';', '=', '/', '\\', '(', ')', '"', ' ', '\t':
		return '_'
	}
	return c
}

// withoutMethodVersion drops a method version ("dkim/1=pass" is
// "dkim=pass"), which authres would keep in the method name.
func withoutMethodVersion(info string) string {
	k, v, ok := strings.Cut(info, "=")
	if !ok {
		return info
	}
	if m, _, ok := strings.Cut(k, "/"); ok {
		return m + "=" + v
	}
	return info
}

// authText lower-cases a name or result read from the field.
func authText(s string) string {
	return strings.ToLower(strings.TrimSpace(s))
}
