package quote

import (
	"regexp"
	"strings"
)

// separatorKind classifies a signature separator line.
type separatorKind int

const (
	noSeparator separatorKind = iota
	strictSep                 // "-- ", the RFC 3676 separator
	looseSep                  // "--", a common variant that needs a short signature
)

// sigSeparator classifies line as a signature separator.
func sigSeparator(line string) separatorKind {
	switch {
	case line == "--":
		return looseSep
	case strings.HasPrefix(line, "--") && strings.TrimRight(line, " \t") == "--":
		return strictSep
	}
	return noSeparator
}

// maxLooseSignature is the most non-blank lines a signature after a bare
// "--" separator may have.
const maxLooseSignature = 10

// signatureCut returns the index of the first kept signature separator in
// lines, or len(lines).
func signatureCut(lines []string, drop []bool) int {
	for i, l := range lines {
		if drop[i] {
			continue
		}
		switch sigSeparator(l) {
		case strictSep:
			return i
		case looseSep:
			n := 0
			for k := i + 1; k < len(lines) && n <= maxLooseSignature; k++ {
				if !drop[k] && !isBlank(lines[k]) {
					n++
				}
			}
			if n <= maxLooseSignature {
				return i
			}
		}
	}
	return len(lines)
}

// mobileSignature matches the signature lines mobile and desktop mail apps
// add by default ("Sent from my iPhone", "Von meinem iPhone gesendet").
var mobileSignature = regexp.MustCompile(`(?i)^(?:` +
	`sent from (?:my|mail for|outlook|yahoo mail|samsung)\b.{0,40}` +
	`|get outlook for (?:ios|android)\b.{0,60}` +
	`|skickat från (?:min|mail för|outlook)\b.{0,40}` +
	`|sendt fra (?:min|mail til|outlook)\b.{0,40}` +
	`|von meinem \S+(?: \S+){0,3} gesendet\.?` +
	`|gesendet von (?:meinem|mail für)\b.{0,40}` +
	`|envoyé (?:de|depuis) (?:mon|ma|l'|outlook)\S*\b.{0,40}` +
	`|enviado (?:desde|de) (?:mi|outlook)\b.{0,40}` +
	`|enviado do (?:meu|outlook)\b.{0,40}` +
	`|verzonden (?:vanaf|met) (?:mijn|outlook)\b.{0,40}` +
	`|verstuurd vanaf mijn\b.{0,40}` +
	`|inviato da\b.{0,40}` +
	`|发自.{1,20}|從我的.{1,20}傳送` +
	`)$`)

// isMobileSignature reports whether line is a default mobile signature.
func isMobileSignature(line string) bool {
	return mobileSignature.MatchString(strings.TrimSpace(line))
}
