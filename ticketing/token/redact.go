package token

import "strings"

// redactKeep is how many characters of a token Redact keeps: 40 bits, the
// version, key id and (for tickets below 2^21) ticket of a token, which tell
// tokens apart in a log. No token is shorter than 24 characters, whose last
// 16 are the MAC, so the kept part never holds a bit of it.
const redactKeep = 8

// Redact returns s with every token it may carry cut to its first eight
// characters and "…", for logs: a token is a bearer credential (whoever
// holds it replies into its ticket as its recipient), so no log line may
// print one in full. It looks at every address-shaped word of s ("local@domain",
// as in a Message-ID, a plus-address or an SMTP reply that quotes one): the
// part of the local part after a leading "dg." or after the first "+" is
// shortened, whatever its characters, so forged and tampered tokens are
// shortened too. Other text is kept as it is.
func Redact(s string) string {
	if !strings.Contains(s, "@") {
		return s
	}
	var b strings.Builder
	done := 0 // s[:done] is written
	for i := 0; i < len(s); i++ {
		if s[i] != '@' {
			continue
		}
		start := i
		for start > done && !strings.ContainsRune(" \t\r\n<>,;:\"'()[]{}=", rune(s[start-1])) {
			start--
		}
		local := s[start:i]
		tok := -1
		switch {
		case hasPrefixFold(local, messageIDPrefix):
			tok = start + len(messageIDPrefix)
		case strings.IndexByte(local, '+') >= 0:
			tok = start + strings.IndexByte(local, '+') + 1
		}
		if tok < 0 || i-tok <= redactKeep {
			continue
		}
		b.WriteString(s[done : tok+redactKeep])
		b.WriteString("…")
		done = i
	}
	if done == 0 {
		return s
	}
	b.WriteString(s[done:])
	return b.String()
}

// RedactAll is Redact of each of ss.
func RedactAll(ss []string) []string {
	out := make([]string, len(ss))
	for i, s := range ss {
		out[i] = Redact(s)
	}
	return out
}
