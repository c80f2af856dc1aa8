package parse

import (
	"encoding/base64"
	"regexp"
	"strings"
	"unicode"
	"unicode/utf8"
)

// encodedWord matches an RFC 2047 encoded word, leniently: the encoded text
// may contain spaces (broken mailers fold inside a word) and the charset may
// carry an RFC 2231 language suffix.
var encodedWord = regexp.MustCompile(`=\?([^?\s]{1,64})\?([bBqQ])\?([^?]*?)\?=`)

// decodeHeader decodes a raw header value into clean UTF-8: raw 8-bit bytes
// are converted using hint (the message's declared charset) or detection,
// RFC 2047 encoded words are decoded (adjacent words of one charset are
// joined before decoding so characters split across words survive), and
// runs of whitespace are collapsed.
func decodeHeader(raw, hint string) string {
	s := headerStringToUTF8(raw, hint)
	if strings.Contains(s, "=?") {
		s = decodeEncodedWords(s)
	}
	return collapseSpace(cleanText(s))
}

// decodeEncodedWords replaces every encoded word in s by its text.
func decodeEncodedWords(s string) string {
	locs := encodedWord.FindAllStringSubmatchIndex(s, -1)
	if locs == nil {
		return s
	}
	var out strings.Builder
	var pending []byte
	pendingCharset := ""
	flush := func() {
		if pending != nil {
			out.WriteString(wordText(pendingCharset, pending))
			pending, pendingCharset = nil, ""
		}
	}
	last := 0
	for _, m := range locs {
		between := s[last:m[0]]
		if strings.TrimSpace(between) != "" || last == 0 {
			flush()
			out.WriteString(between)
		}
		charset := normalizeCharset(s[m[2]:m[3]])
		data := decodeWordBytes(s[m[4]:m[5]], s[m[6]:m[7]])
		if pending != nil && charset != pendingCharset {
			flush()
		}
		pendingCharset = charset
		pending = append(pending, data...)
		if pending == nil {
			pending = []byte{} // an empty word still ends the pending run
		}
		last = m[1]
	}
	flush()
	out.WriteString(s[last:])
	return out.String()
}

// wordText converts the bytes of joined encoded words to UTF-8.
func wordText(charset string, b []byte) string {
	if s, ok := decodeCharset(charset, b); ok && !isUTF8Label(charset) {
		return s
	}
	return headerToUTF8(b, charset)
}

// decodeWordBytes undoes the B or Q encoding of one encoded word.
func decodeWordBytes(enc, text string) []byte {
	if enc == "b" || enc == "B" {
		return lenientBase64(text)
	}
	var b []byte
	for i := 0; i < len(text); i++ {
		c := text[i]
		switch {
		case c == '_':
			b = append(b, ' ')
		case c == '=' && i+2 < len(text) && isHex(text[i+1]) && isHex(text[i+2]):
			b = append(b, unhex(text[i+1])<<4|unhex(text[i+2]))
			i += 2
		default:
			b = append(b, c)
		}
	}
	return b
}

// lenientBase64 decodes as much of s as is valid base64, ignoring spaces,
// missing padding and stray characters.
func lenientBase64(s string) []byte {
	clean := make([]byte, 0, len(s))
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '+' || c == '/' {
			clean = append(clean, c)
		} else if c == '=' {
			break
		}
	}
	if len(clean)%4 == 1 {
		clean = clean[:len(clean)-1]
	}
	out, err := base64.RawStdEncoding.DecodeString(string(clean))
	if err != nil {
		return nil
	}
	return out
}

func isHex(c byte) bool {
	return c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F'
}

func unhex(c byte) byte {
	switch {
	case c >= 'a':
		return c - 'a' + 10
	case c >= 'A':
		return c - 'A' + 10
	}
	return c - '0'
}

// collapseSpace turns every run of white space and control characters into
// one space and trims. Header-derived fields thus carry no terminal escape
// sequences or other controls to whoever prints them.
func collapseSpace(s string) string {
	if collapsed(s) {
		return s // most header values: nothing to do, nothing to allocate
	}
	return strings.Join(strings.FieldsFunc(s, isSpaceOrControl), " ")
}

func isSpaceOrControl(r rune) bool { return unicode.IsSpace(r) || unicode.IsControl(r) }

// collapsed reports whether collapseSpace would return s as it is: no
// white space or control character but single spaces between words.
func collapsed(s string) bool {
	for i := 0; i < len(s); {
		c := s[i]
		switch {
		case c == ' ':
			if i == 0 || i == len(s)-1 || s[i+1] == ' ' {
				return false
			}
			i++
		case c < 0x20 || c == 0x7f:
			return false
		case c < utf8.RuneSelf:
			i++
		default:
			r, n := utf8.DecodeRuneInString(s[i:])
			if isSpaceOrControl(r) {
				return false
			}
			i += n
		}
	}
	return true
}
