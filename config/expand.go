package config

import (
	"fmt"
	"strings"
	"unicode/utf8"
)

// expand replaces every ${NAME} in s by the value env gives for NAME, and $${ by a literal ${.
// Any other $ is literal, so "$Deskgate" stays as written. NAME is a letter or _ followed by
// letters, digits and _. Expansion is a single pass: a value from env is never expanded again.
// The returned messages describe unset variables and malformed references; they never contain
// a value from env.
func expand(s string, env func(string) (string, bool)) (string, []string) {
	if !strings.Contains(s, "${") {
		return s, nil
	}
	var b strings.Builder
	var errs []string
	for {
		i := strings.IndexByte(s, '$')
		if i < 0 {
			b.WriteString(s)
			break
		}
		b.WriteString(s[:i])
		s = s[i:]
		switch {
		case strings.HasPrefix(s, "$${"):
			b.WriteString("${")
			s = s[3:]
		case strings.HasPrefix(s, "${"):
			end := strings.IndexByte(s, '}')
			if end < 0 {
				errs = append(errs, "unterminated ${ (write $${ for a literal ${)")
				b.WriteString(s)
				s = ""
				break
			}
			name := s[2:end]
			s = s[end+1:]
			if !validVarName(name) {
				errs = append(errs, fmt.Sprintf("${%s} is not a valid variable reference: use ${NAME} with letters, digits and _ (write $${ for a literal ${)", truncate(name, 40)))
				continue
			}
			val, ok := env(name)
			if !ok {
				errs = append(errs, name+" is not set")
				continue
			}
			b.WriteString(val)
		default:
			b.WriteByte('$')
			s = s[1:]
		}
	}
	return b.String(), errs
}

func validVarName(name string) bool {
	if name == "" {
		return false
	}
	for i, c := range []byte(name) {
		letter := c == '_' || c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z'
		if !letter && (i == 0 || c < '0' || c > '9') {
			return false
		}
	}
	return true
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n] + "…"
}
