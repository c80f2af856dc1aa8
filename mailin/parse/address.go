package parse

import (
	"io"
	"mime"
	"net/mail"
	"regexp"
	"strings"

	"github.com/deskgate/deskgate/ticketing"
)

// wordDecoder decodes RFC 2047 words with the package's charset table.
var wordDecoder = &mime.WordDecoder{CharsetReader: func(charset string, input io.Reader) (io.Reader, error) {
	enc := lookupCharset(charset)
	if enc == nil {
		return input, nil // keep the bytes; the final pass repairs them
	}
	return enc.NewDecoder().Reader(input), nil
}}

// parseAddressList decodes an address header. It uses net/mail's parser and,
// when that rejects the list, a tolerant split so that no valid mailbox in
// a malformed list is lost.
func parseAddressList(raw, hint string) []ticketing.Address {
	if strings.TrimSpace(raw) == "" {
		return nil
	}
	s := headerStringToUTF8(raw, hint)
	p := mail.AddressParser{WordDecoder: wordDecoder}
	list, err := p.ParseList(s)
	if err != nil {
		return tolerantAddressList(s)
	}
	out := make([]ticketing.Address, 0, len(list))
	for _, a := range list {
		out = append(out, makeAddress(a.Name, a.Address))
	}
	return out
}

var (
	angleAddr = regexp.MustCompile(`<([^<>\s]*)>`)
	bareAddr  = regexp.MustCompile(`[^\s<>()",;:\[\]]+@[^\s<>()",;:\[\]]+`)
	comment   = regexp.MustCompile(`\(([^()]*)\)`)
)

// tolerantAddressList splits a list that net/mail rejects on commas and
// semicolons outside quotes and angle brackets, and salvages each piece.
func tolerantAddressList(s string) []ticketing.Address {
	var out []ticketing.Address
	for _, piece := range splitAddressList(s) {
		piece = strings.TrimSpace(piece)
		if piece == "" {
			continue
		}
		if a, err := (&mail.AddressParser{WordDecoder: wordDecoder}).Parse(piece); err == nil {
			out = append(out, makeAddress(a.Name, a.Address))
			continue
		}
		addr, name := "", ""
		if m := angleAddr.FindStringSubmatchIndex(piece); m != nil {
			addr = piece[m[2]:m[3]]
			name = piece[:m[0]] + " " + piece[m[1]:]
		} else if m := bareAddr.FindStringIndex(piece); m != nil {
			addr = piece[m[0]:m[1]]
			name = piece[:m[0]] + " " + piece[m[1]:]
		} else if fields := strings.Fields(comment.ReplaceAllString(piece, " ")); len(fields) == 1 {
			addr = fields[0] // a bare local part such as MAILER-DAEMON
			name = piece
			name = strings.Replace(name, addr, "", 1)
		} else {
			continue
		}
		if c := comment.FindStringSubmatch(name); c != nil && strings.TrimSpace(strings.Replace(name, c[0], "", 1)) == "" {
			name = c[1]
		}
		name = strings.Trim(strings.TrimSpace(name), `" `)
		out = append(out, makeAddress(name, addr))
	}
	return out
}

// splitAddressList splits on , and ; that are outside quotes, <> and ().
func splitAddressList(s string) []string {
	var parts []string
	depthAngle, depthParen, quoted, start := 0, 0, false, 0
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c == '\\' && quoted:
			i++
		case c == '"':
			quoted = !quoted
		case quoted:
		case c == '<':
			depthAngle++
		case c == '>' && depthAngle > 0:
			depthAngle--
		case c == '(':
			depthParen++
		case c == ')' && depthParen > 0:
			depthParen--
		case (c == ',' || c == ';') && depthAngle == 0 && depthParen == 0:
			parts = append(parts, s[start:i])
			start = i + 1
		}
	}
	return append(parts, s[start:])
}

// makeAddress cleans a name and address: the name is decoded again for
// broken encoded words, the address domain is lower-cased.
func makeAddress(name, addr string) ticketing.Address {
	addr = strings.Trim(collapseSpace(cleanText(addr)), "<>")
	if i := strings.LastIndexByte(addr, '@'); i >= 0 {
		addr = addr[:i+1] + strings.ToLower(addr[i+1:])
	}
	name = strings.Trim(decodeHeader(name, ""), `" `)
	if strings.EqualFold(name, addr) {
		name = ""
	}
	return ticketing.Address{Name: name, Address: addr}
}
