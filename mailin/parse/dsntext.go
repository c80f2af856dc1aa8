package parse

import (
	"regexp"
	"slices"
	"strings"

	"github.com/deskgate/deskgate/ticketing"
)

// Bounces without a delivery-status part (qmail, Exim without DSN, old
// Exchange, Gmail's old text reports, Domino) name the failed recipients
// in prose. textDeliveries reads them conservatively: only addresses in
// the shapes those mailers write, only above the returned copy of the
// message, never the bounce's own addressees or a mail system's address.

// maxReportLines bounds how much of a bounce's text is read.
const maxReportLines = 300

// maxBlockLines bounds how far below its address a recipient's reason is
// looked for.
const maxBlockLines = 25

var (
	// "<addr>" alone, "<addr>:" (qmail, Sendmail) or "<addr>: host ...
	// said: 550 ..." (Postfix) at the start of a line.
	angleLine = regexp.MustCompile(`^<([^<>\s]+@[^<>\s]+)>(?::|$|\s)`)
	// "addr", "<addr>", "'addr'" or "addr:" alone on a line (Gmail, Exim,
	// Domino, Exchange lists), counted only below an introducing line.
	bareLine = regexp.MustCompile(`^['"<]?([^\s'"<>(),;:]+@[^\s'"<>(),;:]+?)['">]?:?$`)
	// "Name<mailto:addr>" or "addr<mailto:addr>" (Exchange text lists).
	mailtoLine = regexp.MustCompile(`^.{0,120}?<mailto:([^<>\s]+@[^<>\s]+)>$`)
	// "'addr' on 1/6/2025 10:00 AM" or "addr on Thu, 29 Apr 2007 ..."
	// (Exchange 5.5 to 2003).
	quotedOnLine = regexp.MustCompile(`^'?([^\s'<>]+@[^\s'<>]+?)'? on (?:[A-Za-z]{3},?\s+)?\d`)
	// "Recipient: addr", "target mail address: addr" at the start of a line.
	recipientLabel = regexp.MustCompile(`(?i)^(?:(?:target|failed|invalid|unknown|original|final|e-?mail|mail)[ -])*(?:recipients?|address|adresse|empfänger|mottagare)\s*:\s*(?:rfc822;\s*)?['"<]?([^\s'"<>(),;]+@[^\s'"<>(),;]+)`)
	// "wasn't delivered to addr", "Failed to deliver to 'addr'", "The
	// following message to <addr> was undeliverable".
	deliveredTo = regexp.MustCompile(`(?i)\b(?:delivered|deliver|delivery|message|mail)\s+to:?\s+['"<]?([^\s'"<>(),;]+@[^\s'"<>(),;]+)`)
	// "550 5.1.1 <addr>... User unknown", "<<< 550-5.1.1 <addr>: ...".
	replyWithAddress = regexp.MustCompile(`(?:^|[\s(:>])[45][0-5]\d[ -](?:[245]\.\d{1,3}\.\d{1,3}\s+)?<([^<>\s]+@[^<>\s]+)>`)
	// "RCPT TO:<addr>" in a session transcript or Exim's "SMTP error from
	// remote mail server after RCPT TO:<addr>:".
	rcptTo = regexp.MustCompile(`(?i)\brcpt to:\s*<([^<>\s]+@[^<>\s]+)>`)
)

// introWords mark a line that introduces a list of recipients ("The
// following address(es) failed:", "Delivery has failed to these
// recipients or groups:", "was not delivered to:").
var introWords = []string{"recipient", "address", "delivered to", "deliver to", "delivery to",
	"mottagare", "modtager", "mottaker", "empfänger", "destinataire", "ontvanger", "destinatario"}

// contactWords mark a line that points the reader to someone for help,
// whose addresses are contacts, not failed recipients.
var contactWords = []string{"please", "contact", "assistance", "questions", "help", "administrator"}

// isContactLine reports whether a line points the reader to a contact.
func isContactLine(line string) bool {
	lower := strings.ToLower(line)
	return slices.ContainsFunc(contactWords, func(w string) bool { return strings.Contains(lower, w) })
}

// isIntro reports whether a line introduces a list of recipients.
func isIntro(line string) bool {
	lower := strings.ToLower(line)
	return slices.ContainsFunc(introWords, func(w string) bool { return strings.Contains(lower, w) })
}

// textDeliveries reads the failed recipients of a bounce from its text and
// from X-Failed-Recipients (Exim). Each gets Action failed (delayed for a
// delay warning), the enhanced status code found below its address (else
// "5.0.0" or "4.0.0" from a basic reply code, else "") and the reply as
// Diagnostic.
func textDeliveries(m *message, in *ticketing.Inbound, warning bool) []ticketing.Delivery {
	lines := reportLines(in.Text)
	own := ownAddresses(in)
	type hit struct {
		addr string
		line int
	}
	var hits []hit
	add := func(raw string, line int) {
		a := cleanAddress(raw)
		if a == "" || own[a] || isSystemAddress(a) || len(hits) == maxDeliveries {
			return
		}
		for _, h := range hits {
			if h.addr == a {
				return
			}
		}
		hits = append(hits, hit{a, line})
	}
	intro, prev := false, ""
	for i, l := range lines {
		t := strings.TrimSpace(l)
		if t == "" {
			continue
		}
		t = trimBullet(t)
		if sm := angleLine.FindStringSubmatch(t); sm != nil {
			add(sm[1], i)
		} else if sm := quotedOnLine.FindStringSubmatch(t); sm != nil {
			add(sm[1], i)
		} else if intro && !isContactLine(prev) {
			if sm := mailtoLine.FindStringSubmatch(t); sm != nil {
				add(sm[1], i)
			} else if sm := bareLine.FindStringSubmatch(t); sm != nil {
				add(sm[1], i)
			}
		}
		res := []*regexp.Regexp{replyWithAddress, rcptTo}
		if !isContactLine(t) {
			res = append(res, deliveredTo, recipientLabel)
		}
		for _, re := range res {
			for _, sm := range re.FindAllStringSubmatch(t, 4) {
				add(sm[1], i)
			}
		}
		intro = intro || isIntro(t)
		prev = t
	}
	for _, a := range parseAddressList(rawHeader(m.header, "X-Failed-Recipients"), m.hint) {
		add(a.Address, -1)
	}

	var out []ticketing.Delivery
	for k, h := range hits {
		var block []string
		switch {
		case h.line >= 0:
			end := len(lines)
			for _, next := range hits[k+1:] {
				if next.line > h.line {
					end = next.line
					break
				}
			}
			block = lines[h.line:min(end, h.line+maxBlockLines)]
		case len(hits) == 1:
			block = lines
		}
		status, diag := reason(block, lines, h.line >= 0, len(hits) == 1)
		if diag == "" && h.line >= 0 && k == 0 {
			diag = aboveReason(lines, h.line)
		}
		d := ticketing.Delivery{Recipient: h.addr, Action: "failed", Status: status, Diagnostic: capText(diag, maxDiagnostic)}
		if warning {
			d.Action = "delayed"
			if !strings.HasPrefix(d.Status, "4.") {
				d.Status = ""
			}
		}
		out = append(out, d)
	}
	return out
}

// reportLines returns the lines of a bounce's text down to the returned
// copy of the original message.
func reportLines(text string) []string {
	var out []string
	for line := range strings.SplitSeq(text, "\n") {
		line = strings.TrimRight(line, " \t\r")
		if isCopyMarker(line) || len(out) == maxReportLines {
			break
		}
		out = append(out, line)
	}
	return out
}

// copyMarkers, in a dashed line, start the returned copy of the message.
var copyMarkers = []string{"copy of", "original message", "returned message", "message headers",
	"message follows", "undelivered message", "headers of", "returned mail"}

// isCopyMarker reports whether line starts the returned copy of the
// message: a dashed separator naming it, or a header field only a
// message's own header carries.
func isCopyMarker(line string) bool {
	t := strings.ToLower(strings.TrimSpace(line))
	if strings.HasPrefix(t, "--") || strings.HasPrefix(t, "==") {
		return slices.ContainsFunc(copyMarkers, func(m string) bool { return strings.Contains(t, m) })
	}
	lower := strings.ToLower(line)
	return slices.ContainsFunc([]string{"received:", "return-path:", "message-id:", "dkim-signature:"},
		func(h string) bool { return strings.HasPrefix(lower, h) })
}

// ownAddresses are the bounce's own addressees and sender (lower case):
// never the recipient that failed.
func ownAddresses(in *ticketing.Inbound) map[string]bool {
	own := map[string]bool{}
	for _, list := range [][]ticketing.Address{{in.From}, in.To, in.Cc, in.ReplyTo} {
		for _, a := range list {
			if a.Address != "" {
				own[strings.ToLower(a.Address)] = true
			}
		}
	}
	for _, a := range in.EnvelopeTo {
		own[strings.ToLower(a)] = true
	}
	return own
}

// isSystemAddress reports whether addr belongs to a mail system (its
// postmaster or MAILER-DAEMON), named in bounces as a contact.
func isSystemAddress(addr string) bool {
	switch localPart(addr) {
	case "postmaster", "mailer-daemon", "mailer_daemon":
		return true
	}
	return false
}

// reason finds why delivery to one recipient failed, in its block of
// lines (which starts at its address when it has a line): the server's
// reply when the block has one (codeReason), else the prose under the
// address (proseReason). For a report on a single recipient the whole
// text is searched too, since some mailers put the reason above the
// address or in a "Reason:" line.
func reason(block, all []string, hasLine, single bool) (status, diag string) {
	if status, diag, ok := codeReason(block); ok {
		return status, diag
	}
	if diag := proseReason(block, hasLine); diag != "" {
		return "", diag
	}
	if !single {
		return "", ""
	}
	if status, diag, ok := codeReason(all); ok {
		return status, diag
	}
	for _, l := range all {
		if sm := reasonLabel.FindStringSubmatch(strings.TrimSpace(l)); sm != nil {
			return "", collapseSpace(sm[1])
		}
	}
	return "", ""
}

// codeReason returns the first line with a reply code or an enhanced
// status code, from the reply code on, joined with its continuation lines
// (indented, or repeating the reply code as multi-line replies do). status
// is the enhanced code found (class 4 or 5), else the class of the reply
// code ("5.0.0"), else "".
func codeReason(block []string) (status, diag string, ok bool) {
	for i, l := range block {
		rc, rcAt := findReplyCode(l)
		ec, _ := findEnhancedCode(l)
		if rc == "" && ec == "" {
			continue
		}
		t := l
		if rcAt >= 0 {
			t = l[rcAt:]
			if len(t) > 3 && t[3] == '-' {
				t = t[:3] + " " + t[4:]
			}
		}
		parts := []string{trimBullet(t)}
		for _, c := range block[i+1:] {
			ct := strings.TrimSpace(c)
			switch {
			case ct == "":
			case rc != "" && len(ct) > 4 && ct[:3] == rc && (ct[3] == '-' || ct[3] == ' '):
				ct = strings.TrimSpace(ct[4:])
				if ec != "" && strings.HasPrefix(ct, ec+" ") {
					ct = strings.TrimSpace(ct[len(ec):])
				}
			case c[0] == ' ' || c[0] == '\t':
			default:
				ct = ""
			}
			if ct == "" {
				break
			}
			parts = append(parts, ct)
		}
		diag = trimUnmatchedParen(collapseSpace(strings.Join(parts, " ")))
		if code, _ := findEnhancedCode(diag); code != "" {
			return code, diag, true
		}
		for _, b := range block {
			if code, _ := findEnhancedCode(b); code != "" {
				return code, diag, true
			}
		}
		if rc != "" {
			return rc[:1] + ".0.0", diag, true
		}
		return "", diag, true
	}
	return "", "", false
}

// responseIntro matches a line that introduces the server's answer or the
// reason: "The response was:", "Remote host said:", "because:", "The
// problem appears to be :".
var responseIntro = regexp.MustCompile(`(?i)(because|reason|response|returned was|said|problem|error|details)[^:]{0,20}:$`)

// reasonLabel matches a "Reason: ..." or "reject reason: ..." line.
var reasonLabel = regexp.MustCompile(`(?i)^(?:[a-z-]+ )?reason\s*:\s*(\S.*)$`)

// proseReason returns the reason a mailer wrote in words: the first line
// below a response intro ("because:"), else a line of the address's own
// paragraph (below it, else right above it). Contact lines, lists of
// addresses and separators do not count.
func proseReason(block []string, hasLine bool) string {
	from := 0
	if hasLine {
		from = 1
	}
	blank := !hasLine
	for i := from; i < len(block); i++ {
		t := strings.TrimSpace(block[i])
		switch {
		case t == "":
			blank = true
		case isRule(t):
			return ""
		case responseIntro.MatchString(t):
			for _, n := range block[i+1:] {
				if n := trimBullet(n); n != "" && !isRule(n) {
					return collapseSpace(n)
				}
			}
			return ""
		case strings.HasSuffix(t, ":"):
		case !blank && isProse(t):
			return collapseSpace(trimBullet(t))
		}
	}
	return ""
}

// aboveReason returns the line right above the first recipient's address
// line at index i of lines when it is prose of the same paragraph and no
// introduction (Lotus Notes writes the reason first).
func aboveReason(lines []string, i int) string {
	if i <= 0 {
		return ""
	}
	t := strings.TrimSpace(lines[i-1])
	if t == "" || strings.HasSuffix(t, ":") || isRule(t) || !isProse(t) || isIntro(t) {
		return ""
	}
	return collapseSpace(trimBullet(t))
}

// isProse reports whether a line can be a reason: not an address, a
// bracketed note or an instruction to the reader.
func isProse(t string) bool {
	l := strings.ToLower(t)
	return !strings.Contains(t, "@") && !strings.HasPrefix(t, "[") && !strings.HasPrefix(l, "please") &&
		!strings.HasPrefix(l, "for further") && !strings.HasPrefix(l, "if you")
}

// trimBullet removes white space and a leading "-- ", "- ", "* " or "• ".
func trimBullet(s string) string {
	s = strings.TrimSpace(s)
	for _, b := range []string{"-- ", "- ", "* ", "• "} {
		if strings.HasPrefix(s, b) {
			return strings.TrimSpace(s[len(b):])
		}
	}
	return s
}

// isRule reports whether s is a line of separator characters.
func isRule(s string) bool {
	return strings.Trim(s, "-=_*#~ ") == ""
}

// trimUnmatchedParen drops a closing parenthesis or angle bracket left
// over from a "(reason: 550 ...)" or "<mx #5.1.1 smtp;550 ...>" wrapper.
func trimUnmatchedParen(s string) string {
	switch {
	case strings.HasSuffix(s, ")") && strings.Count(s, ")") > strings.Count(s, "("),
		strings.HasSuffix(s, ">") && strings.Count(s, ">") > strings.Count(s, "<"):
		return strings.TrimSpace(s[:len(s)-1])
	}
	return s
}

// findEnhancedCode returns the first enhanced status code of class 4 or 5
// in s that stands alone (not part of an address, version or longer
// number) and its offset, or "" and -1.
func findEnhancedCode(s string) (string, int) {
	for i := 0; i+4 < len(s); i++ {
		if (s[i] != '4' && s[i] != '5') || s[i+1] != '.' {
			continue
		}
		if i > 0 && (isAlnum(s[i-1]) || s[i-1] == '.' || s[i-1] == '@') {
			continue
		}
		j := i + 2
		for j < len(s) && (s[j] >= '0' && s[j] <= '9' || s[j] == '.') {
			j++
		}
		tok := strings.TrimSuffix(s[i:j], ".")
		if j < len(s) && isAlnum(s[j]) {
			continue
		}
		if code, ok := enhancedCode(tok); ok {
			return code, i
		}
	}
	return "", -1
}

// findReplyCode returns the first basic SMTP reply code of class 4 or 5 in
// s where a reply stands: at the start, or after a space, ":", ";" (as in
// "smtp;550"), "(", "<" or ">", and followed by a space, "-" or the end. It returns "" and -1
// when there is none.
func findReplyCode(s string) (string, int) {
	for i := 0; i+3 <= len(s); i++ {
		if !isReplyCode(s[i : i+3]) {
			continue
		}
		if i > 0 && !strings.ContainsRune(" \t:;(<>'\"", rune(s[i-1])) {
			continue
		}
		if i+3 < len(s) && s[i+3] != ' ' && s[i+3] != '-' && s[i+3] != '\t' {
			continue
		}
		return s[i : i+3], i
	}
	return "", -1
}

// statusFromReply returns the enhanced status code in a server reply, else
// the class of its reply code ("5.0.0"), else "".
func statusFromReply(s string) string {
	if code, _ := findEnhancedCode(s); code != "" {
		return code
	}
	if rc, _ := findReplyCode(s); rc != "" {
		return rc[:1] + ".0.0"
	}
	return ""
}

func isAlnum(c byte) bool {
	return c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z'
}

// warningSubjects open the Subject of a delay warning.
var warningSubjects = compileAll(`^warning:`, `^delayed mail`, `^delivery (status notification )?\(delay\)`,
	`^(mail )?delivery delayed`, `^message delayed`, `^delivery delay`)

// warningPhrases are written by mail systems in delay warnings only.
var warningPhrases = []string{"this is a warning only", "has not yet been delivered", "have not yet been delivered",
	"not been delivered yet", "will continue to try", "still being retried", "will be retried", "will retry",
	"delivery has been delayed", "has been delayed", "delivery is delayed", "you do not need to resend",
	"no action is required on your part", "attempts will continue", "will be delivered", "with delay"}

// isWarning reports whether a bounce is a delay warning, not a failure.
func isWarning(in *ticketing.Inbound) bool {
	s := strings.TrimSpace(in.Subject)
	for _, re := range warningSubjects {
		if re.MatchString(s) {
			return true
		}
	}
	head := strings.ToLower(collapseSpace(unquotedHead(in.Text, 2000)))
	return containsAny(head, warningPhrases...)
}
