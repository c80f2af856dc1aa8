package quote

import (
	"strings"
	"unicode"
)

// Text returns the new content of a text/plain body: the body without
// deskgate's markers and what follows the first, quoted history and
// signatures.
// CRLF line endings become LF. It never returns an empty or whitespace-only
// result for a body with text: if stripping would leave nothing, it returns
// the full text without surrounding blank lines and trailing whitespace.
func Text(body string, opts Options) string {
	lines := splitLines(body)
	if out := strip(lines, opts.Markers); out != "" {
		return out
	}
	return tidy(lines)
}

// splitLines normalises line endings and splits text into lines.
func splitLines(s string) []string {
	return strings.Split(strings.ReplaceAll(s, "\r\n", "\n"), "\n")
}

// strip applies the text rules to lines and returns the new content, or ""
// when nothing is left. It does not modify lines.
func strip(lines []string, markers []string) string {
	lines = lines[:markerCut(lines, markers)]
	drop := make([]bool, len(lines))
	n := historyCut(lines, drop)
	lines, drop = lines[:n], drop[:n]
	dropQuotes(lines, drop)
	n = signatureCut(lines, drop)
	return assemble(lines[:n], drop[:n])
}

// historyCut returns the index of the first unquoted line that starts the
// quoted history: an original-message separator, an Outlook header block
// or an attribution line. Attribution lines that introduce interleaved
// quoting do not cut; they are marked in drop instead.
func historyCut(lines []string, drop []bool) int {
	for i := 0; i < len(lines); i++ {
		if isQuoted(lines[i]) || isBlank(lines[i]) {
			continue
		}
		if isOriginalMessage(lines[i]) || isHeaderBlock(lines, i) {
			return i
		}
		if n := attribution(lines, i); n > 0 {
			if !interleaved(lines, i+n) {
				return i
			}
			for k := i; k < i+n; k++ {
				drop[k] = true
			}
			i += n - 1
		}
	}
	return len(lines)
}

// interleaved reports whether the quote starting at or after lines[from]
// is followed by new, unquoted text (an interleaved or bottom-posted
// reply) rather than only by signatures or further history.
func interleaved(lines []string, from int) bool {
	k := from
	for k < len(lines) && isBlank(lines[k]) {
		k++
	}
	if k == len(lines) || !isQuoted(lines[k]) {
		return false
	}
	for ; k < len(lines); k++ {
		l := lines[k]
		switch {
		case isQuoted(l) || isBlank(l):
			continue
		case sigSeparator(l) != noSeparator || isMobileSignature(l),
			isOriginalMessage(l) || isHeaderBlock(lines, k) || attribution(lines, k) > 0:
			return false
		}
		return true
	}
	return false
}

// isQuoted reports whether line is quoted with ">".
func isQuoted(line string) bool {
	return strings.HasPrefix(strings.TrimLeft(line, " \t"), ">")
}

// isBlank reports whether line holds only white space.
func isBlank(line string) bool {
	return strings.TrimSpace(line) == ""
}

// dropQuotes marks quoted lines in drop, together with an attribution-like
// lead-in line ("John <john@example.com> writes:") right above a quote.
func dropQuotes(lines []string, drop []bool) {
	for i, l := range lines {
		if !isQuoted(l) {
			continue
		}
		drop[i] = true
		if i == 0 || isQuoted(lines[i-1]) {
			continue
		}
		p := i - 1
		if isBlank(lines[p]) && p > 0 {
			p--
		}
		if !drop[p] && !isQuoted(lines[p]) && isLeadIn(lines[p]) {
			drop[p] = true
		}
	}
}

// assemble joins the lines not marked in drop. Blank lines on both sides
// of a removed run collapse to one; trailing blank lines, mobile
// signatures and separator rules are removed.
func assemble(lines []string, drop []bool) string {
	var out []string
	gap := false
	for i, l := range lines {
		switch {
		case drop[i]:
			gap = true
		case isBlank(l) && (len(out) == 0 || gap && isBlank(out[len(out)-1])):
			// skip
		default:
			out = append(out, l)
			if !isBlank(l) {
				gap = false
			}
		}
	}
	for len(out) > 0 {
		last := out[len(out)-1]
		if !isBlank(last) && !isMobileSignature(last) && !isRule(last) {
			break
		}
		out = out[:len(out)-1]
	}
	return strings.TrimRightFunc(strings.Join(out, "\n"), unicode.IsSpace)
}

// isRule reports whether line is a horizontal rule such as the line of
// underscores Outlook writes above its header block.
func isRule(line string) bool {
	s := strings.TrimSpace(line)
	if len(s) < 3 {
		return false
	}
	for _, r := range s {
		if !strings.ContainsRune("_-=*~─━", r) {
			return false
		}
	}
	return true
}

// tidy joins lines without leading blank lines and trailing white space.
func tidy(lines []string) string {
	for len(lines) > 0 && isBlank(lines[0]) {
		lines = lines[1:]
	}
	return strings.TrimRightFunc(strings.Join(lines, "\n"), unicode.IsSpace)
}
