package quote

import (
	"regexp"
	"strings"
	"unicode/utf8"
)

// attributionPatterns match a whole attribution line ("On <date>, <name>
// wrote:") as written by common clients in several languages.
var attributionPatterns = []*regexp.Regexp{
	regexp.MustCompile(`^On\s.+\swrote\s*:$`),                                   // English
	regexp.MustCompile(`^(?:Den\s.+|\d.*)\sskrev\s.*:$`),                        // Swedish, Danish, Norwegian
	regexp.MustCompile(`^Am\s.+\sschrieb\s.*:$`),                                // German
	regexp.MustCompile(`^.+\sschrieb am\s.+:$`),                                 // German (Thunderbird)
	regexp.MustCompile(`^Le\s.+\sa\s+écrit\s*:$`),                               // French
	regexp.MustCompile(`^El\s.+\sescribió\s*:$`),                                // Spanish
	regexp.MustCompile(`^Op\s.+\s(?:schreef\s.*|het volgende geschreven)\s*:$`), // Dutch
	regexp.MustCompile(`^Il\s.+\sha scritto\s*:$`),                              // Italian
	regexp.MustCompile(`^Em\s.+\sescreveu\s*:$`),                                // Portuguese
	regexp.MustCompile(`^(?:在.+|.+[于於].+|\d.+)(?:写道|寫道)\s*[:：]$`),               // Chinese
}

// maxAttribution is the longest attribution, in runes, that is recognised.
const maxAttribution = 300

// noBreakSpace replaces the no-break spaces French puts before colons.
var noBreakSpace = strings.NewReplacer("\u00a0", " ", "\u202f", " ")

// isAttribution reports whether s, one line or two joined lines, is an
// attribution. It must carry a date or an address (a digit or "@").
func isAttribution(s string) bool {
	if !endsWithColon(s) { // every pattern does: most lines stop here, cheaply
		return false
	}
	s = strings.TrimSpace(noBreakSpace.Replace(s))
	if utf8.RuneCountInString(s) > maxAttribution || !strings.ContainsAny(s, "0123456789@") {
		return false
	}
	for _, re := range attributionPatterns {
		if re.MatchString(s) {
			return true
		}
	}
	return false
}

// attribution returns how many lines (1 or 2) starting at lines[i] form an
// attribution, or 0. Clients wrap long attributions over two lines; a
// second line that is an attribution by itself is not joined, so text
// above an attribution is never taken for its first half.
func attribution(lines []string, i int) int {
	if isAttribution(lines[i]) {
		return 1
	}
	if i+1 < len(lines) {
		next := lines[i+1]
		if endsWithColon(next) && !isBlank(next) && !isQuoted(next) && !isAttribution(next) &&
			isAttribution(lines[i]+" "+next) {
			return 2
		}
	}
	return 0
}

// leadInVerb finds the verb of a short attribution ("John wrote:").
var leadInVerb = regexp.MustCompile(`(?i)\b(?:wrote|writes|schrieb|skrev|schreef|geschreven|scritto|escreveu)\b|escribió|a écrit|写道|寫道`)

// isLeadIn reports whether line, found right above a ">" quote, introduces
// it: it ends with a colon and has an attribution verb ("Jane wrote:",
// "John Doe <john@example.com> writes:"), or an address with a date or
// a mutt or Horde prefix ("* Jane <jane@example.org> [2024-01-05]:",
// "Quoting Jane <jane@example.org>:").
func isLeadIn(line string) bool {
	s := strings.TrimSpace(line)
	if !strings.HasSuffix(s, ":") && !strings.HasSuffix(s, "：") {
		return false
	}
	if utf8.RuneCountInString(s) > maxAttribution {
		return false
	}
	if leadInVerb.MatchString(s) {
		return true
	}
	lower := strings.ToLower(s)
	return strings.Contains(s, "@") && (strings.ContainsAny(s, "0123456789") ||
		strings.HasPrefix(s, "*") || strings.HasPrefix(lower, "quoting ") || strings.HasPrefix(lower, "zitat von "))
}

// endsWithColon reports whether a line ends, before trailing white space,
// with an ASCII or full-width colon.
func endsWithColon(s string) bool {
	s = strings.TrimRight(s, " \t\r\u00a0\u202f")
	return strings.HasSuffix(s, ":") || strings.HasSuffix(s, "：")
}
