package parse

import (
	"bytes"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/jhillyerd/enmime/v2"

	"github.com/deskgate/deskgate/ticketing"
)

// maxDeliveries caps the reports taken from one bounce, so hostile input
// stays cheap; real reports name a handful of recipients.
const maxDeliveries = 100

// maxDiagnostic caps Delivery.Diagnostic, in bytes.
const maxDiagnostic = 500

// deliveries returns the per-recipient reports of a bounce: those of its
// delivery-status parts (RFC 3464, RFC 6533) when they name any, else
// those read from its text (see textDeliveries).
func deliveries(m *message, in *ticketing.Inbound) []ticketing.Delivery {
	warning := isWarning(in)
	var out []ticketing.Delivery
	if m.root != nil {
		_ = m.root.DepthMatchAll(func(p *enmime.Part) bool {
			if isDeliveryStatusType(p.ContentType) && len(out) < maxDeliveries {
				out = append(out, deliveryStatus(p.Content, warning)...)
			}
			return false
		})
	}
	if len(out) == 0 {
		out = textDeliveries(m, in, warning)
	}
	out = slices.Compact(out)
	if len(out) > maxDeliveries {
		out = out[:maxDeliveries]
	}
	if len(out) == 0 {
		return nil
	}
	return out
}

// isDeliveryStatusType matches message/delivery-status,
// message/global-delivery-status and the message/xdelivery-status some
// gateways write.
func isDeliveryStatusType(ct string) bool {
	ct = strings.ToLower(ct)
	return strings.HasPrefix(ct, "message/") && strings.HasSuffix(ct, "delivery-status")
}

// dsnField is one header field of a delivery-status body; first is set
// for the first field after a blank line.
type dsnField struct {
	name, value string
	first       bool
}

// dsnRecord collects the fields of one per-recipient block.
type dsnRecord struct {
	final, original, action, status, diagnostic string
	seen                                        map[string]bool
}

// deliveryStatus parses the body of a delivery-status part: a per-message
// block, then one block per recipient, separated by blank lines. It
// tolerates folded lines, CRLF or LF, missing blank lines (a repeated
// field starts a new recipient), comments after values and 8-bit or UTF-8
// text (RFC 6533). A block naming no recipient adds the fields the
// recipient before it lacks, or is the per-message block and ignored.
// Recipient is the Original-Recipient, the address the mail was sent to,
// when there is one, else the Final-Recipient (which may be an alias's
// target). warning, set for delay reports, decides the action of a
// recipient that has neither Action nor Status.
func deliveryStatus(b []byte, warning bool) []ticketing.Delivery {
	var records []*dsnRecord
	var cur *dsnRecord
	for _, block := range dsnBlocks(dsnFields(b)) {
		if !slices.ContainsFunc(block, isRecipientField) {
			for _, f := range block {
				if cur != nil && !cur.seen[f.name] {
					cur.set(f)
				}
			}
			continue
		}
		started := false
		for _, f := range block {
			if !started || cur.seen[f.name] ||
				f.name == "original-recipient" && cur.final != "" && (cur.action != "" || cur.status != "") {
				if len(records) == maxDeliveries {
					break
				}
				cur = &dsnRecord{seen: map[string]bool{}}
				records = append(records, cur)
				started = true
			}
			cur.set(f)
		}
	}
	var out []ticketing.Delivery
	for _, r := range records {
		if r.final == "" && r.original == "" && r.action == "" && r.status == "" {
			continue
		}
		d := ticketing.Delivery{Recipient: r.original, Diagnostic: diagnosticText(r.diagnostic)}
		if d.Recipient == "" {
			d.Recipient = r.final
		}
		d.Status = enhancedStatus(r.status)
		if d.Status == "" {
			d.Status = statusFromReply(d.Diagnostic)
		}
		d.Action = dsnAction(r.action, d.Status, warning)
		if d.Action == "delayed" && strings.HasPrefix(d.Status, "5.") {
			d.Status = "" // contradictory; a delay is never permanent
		}
		out = append(out, d)
	}
	return out
}

// set records one field.
func (r *dsnRecord) set(f dsnField) {
	r.seen[f.name] = true
	switch f.name {
	case "final-recipient":
		r.final = dsnAddress(f.value, false)
	case "original-recipient":
		r.original = dsnAddress(f.value, true)
	case "action":
		r.action = f.value
	case "status":
		r.status = f.value
	case "diagnostic-code":
		r.diagnostic = f.value
	}
}

func isRecipientField(f dsnField) bool {
	return f.name == "final-recipient" || f.name == "original-recipient"
}

// dsnBlocks groups the per-recipient fields (recipients, Action, Status,
// Diagnostic-Code) by the blank lines between them; other fields are
// dropped.
func dsnBlocks(fields []dsnField) [][]dsnField {
	var blocks [][]dsnField
	var block []dsnField
	for _, f := range fields {
		if f.first && len(block) > 0 {
			blocks = append(blocks, block)
			block = nil
		}
		switch f.name {
		case "final-recipient", "original-recipient", "action", "status", "diagnostic-code":
			block = append(block, f)
		}
	}
	if len(block) > 0 {
		blocks = append(blocks, block)
	}
	return blocks
}

// dsnFields splits a delivery-status body into fields, unfolding
// continuation lines; lines that are neither are skipped.
func dsnFields(b []byte) []dsnField {
	text := dsnText(b)
	var fields []dsnField
	first := true
	for line := range strings.SplitSeq(text, "\n") {
		line = strings.TrimRight(line, " \t\r")
		switch {
		case line == "":
			first = true
		case line[0] == ' ' || line[0] == '\t':
			if len(fields) > 0 && !first {
				fields[len(fields)-1].value += " " + strings.TrimSpace(line)
			}
		default:
			name, value, ok := strings.Cut(line, ":")
			if !ok || !isFieldName(name) {
				continue
			}
			fields = append(fields, dsnField{strings.ToLower(name), strings.TrimSpace(value), first})
			first = false
		}
	}
	for i := range fields {
		fields[i].value = collapseSpace(fields[i].value)
	}
	return fields
}

// dsnText turns a delivery-status body into UTF-8 text with LF line
// endings. ISO-2022-JP escape sequences (Domino puts Japanese diagnostics
// in them) are decoded; other 8-bit bytes are read as UTF-8 or, failing
// that, detected.
func dsnText(b []byte) string {
	var s string
	if bytes.Contains(b, []byte("\x1b$")) {
		if d, ok := decodeCharset("iso-2022-jp", b); ok {
			s = cleanText(d)
		}
	}
	if s == "" {
		s = bytesToUTF8(b, "")
	}
	s = strings.ReplaceAll(s, "\r\n", "\n")
	return strings.ReplaceAll(s, "\r", "\n")
}

// isFieldName reports whether s is a header field name.
func isFieldName(s string) bool {
	if s == "" || len(s) > 76 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; c <= ' ' || c >= 0x7F {
			return false
		}
	}
	return true
}

// dsnAddress reads the address of a recipient field, "rfc822; addr" or
// "utf-8; addr" (RFC 6533), lower-cased, or "" when there is none.
// Original-Recipient repeats the ORCPT parameter, which is xtext (RFC
// 3461), so its "+HH" escapes are decoded.
func dsnAddress(v string, orcpt bool) string {
	typ, addr, ok := strings.Cut(v, ";")
	if !ok {
		typ, addr = "rfc822", v
	}
	typ = strings.ToLower(strings.TrimSpace(typ))
	addr = strings.TrimSpace(addr)
	// Some gateways repeat the type: "rfc822; rfc822;user@example.com".
	for {
		t, rest, ok := strings.Cut(addr, ";")
		if !ok || !isAddressType(t) {
			break
		}
		addr = strings.TrimSpace(rest)
	}
	switch {
	case typ == "utf-8":
		addr = unescapeUTF8Address(addr)
	case orcpt:
		addr = decodeXtext(addr)
	}
	return cleanAddress(addr)
}

// isAddressType reports whether s is an address type such as rfc822.
func isAddressType(s string) bool {
	s = strings.ToLower(strings.TrimSpace(s))
	return s == "rfc822" || s == "utf-8" || s == "x400" || strings.HasPrefix(s, "x-")
}

// cleanAddress reduces an address as reports write it ("<a@b>", "a@b
// (comment)", "Name <a@b>", "'a@b'") to a lower-case addr-spec, or "" when
// it holds none.
func cleanAddress(s string) string {
	if i := strings.LastIndexByte(s, '<'); i >= 0 {
		if j := strings.IndexByte(s[i:], '>'); j > 0 {
			s = s[i+1 : i+j]
		}
	}
	s = strings.TrimSpace(s)
	if f := strings.Fields(s); len(f) > 0 {
		s = f[0]
	}
	s = strings.Trim(s, "<>'\"`,;:.()[]")
	at := strings.LastIndexByte(s, '@')
	if at <= 0 || at == len(s)-1 || len(s) > 254 {
		return ""
	}
	for _, r := range s {
		if r < '!' || r == 0x7F || r == '<' || r == '>' || r == '(' || r == ')' || r == ',' || r == ';' || r == '\uFFFD' {
			return ""
		}
	}
	return strings.ToLower(s)
}

// decodeXtext decodes the "+HH" escapes of RFC 3461 xtext. Only escapes
// xtext requires (controls, space, "+", "=" and 8-bit bytes, in upper-case
// hex) are decoded, so a plain plus-address is left alone.
func decodeXtext(s string) string {
	if !strings.Contains(s, "+") {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '+' && i+2 < len(s) && isUpperHex(s[i+1]) && isUpperHex(s[i+2]) {
			c := unhex(s[i+1])<<4 | unhex(s[i+2])
			if c < '!' || c > '~' || c == '+' || c == '=' {
				b.WriteByte(c)
				i += 2
				continue
			}
		}
		b.WriteByte(s[i])
	}
	return cleanText(b.String())
}

func isUpperHex(c byte) bool {
	return c >= '0' && c <= '9' || c >= 'A' && c <= 'F'
}

// unescapeUTF8Address decodes the "\x{HHHH}" escapes of an RFC 6533
// utf-8-addr-xtext; raw UTF-8 (utf-8-addr-unitext) passes through.
func unescapeUTF8Address(s string) string {
	if !strings.Contains(s, `\x{`) {
		return s
	}
	var b strings.Builder
	for {
		i := strings.Index(s, `\x{`)
		if i < 0 {
			b.WriteString(s)
			return b.String()
		}
		j := strings.IndexByte(s[i:], '}')
		if j < 0 {
			b.WriteString(s)
			return b.String()
		}
		b.WriteString(s[:i])
		hex := s[i+3 : i+j]
		var r rune
		ok := len(hex) >= 2 && len(hex) <= 6
		for k := 0; ok && k < len(hex); k++ {
			if !isHex(hex[k]) {
				ok = false
				break
			}
			r = r<<4 | rune(unhex(hex[k]))
		}
		if ok && r <= 0x10FFFF {
			b.WriteRune(r)
		} else {
			b.WriteString(s[i : i+j+1])
		}
		s = s[i+j+1:]
	}
}

// diagnosticText is a Diagnostic-Code value without its type ("smtp;",
// "X-Postfix;"), capped at maxDiagnostic bytes.
func diagnosticText(v string) string {
	if typ, rest, ok := strings.Cut(v, ";"); ok && isDiagnosticType(typ) {
		v = strings.TrimSpace(rest)
	}
	return capText(v, maxDiagnostic)
}

// isDiagnosticType reports whether s is a diagnostic type: a single token
// such as smtp, X-Postfix, X-Notes or X-Unix.
func isDiagnosticType(s string) bool {
	s = strings.TrimSpace(s)
	if s == "" || len(s) > 20 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_' || c == '.') {
			return false
		}
	}
	return true
}

// capText cuts s to at most n bytes at a rune boundary.
func capText(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}

// dsnActions are the actions of RFC 3464.
var dsnActions = []string{"failed", "delayed", "delivered", "relayed", "expanded"}

// dsnAction returns the Action field's value when it is one of RFC 3464's,
// else the action its status implies: 5.x.x failed, 4.x.x delayed, 2.x.x
// delivered. With neither the report itself decides: delayed for a delay
// warning, failed otherwise.
func dsnAction(v, status string, warning bool) string {
	a := strings.ToLower(strings.Trim(firstWord(v), "()[].,;:"))
	if slices.Contains(dsnActions, a) {
		return a
	}
	switch {
	case strings.HasPrefix(status, "5."):
		return "failed"
	case strings.HasPrefix(status, "4."):
		return "delayed"
	case strings.HasPrefix(status, "2."):
		return "delivered"
	case warning:
		return "delayed"
	}
	return "failed"
}

func firstWord(s string) string {
	if f := strings.Fields(s); len(f) > 0 {
		return f[0]
	}
	return ""
}

// enhancedStatus returns the enhanced status code (RFC 3463) a Status
// field starts with, such as "5.1.1" of "5.1.1 (user unknown)"; a basic
// reply code ("550") gives its class ("5.0.0"); otherwise "".
func enhancedStatus(v string) string {
	w := strings.Trim(firstWord(v), "()[]#,;:")
	if code, ok := enhancedCode(w); ok {
		return code
	}
	if len(w) == 3 && isReplyCode(w) {
		return w[:1] + ".0.0"
	}
	return ""
}

// enhancedCode reports whether s is exactly an enhanced status code of
// class 2, 4 or 5 (RFC 3463: class "." 1-3 digits "." 1-3 digits).
func enhancedCode(s string) (string, bool) {
	if len(s) < 5 || (s[0] != '2' && s[0] != '4' && s[0] != '5') || s[1] != '.' {
		return "", false
	}
	subject, detail, ok := strings.Cut(s[2:], ".")
	if !ok || !digits(subject, 1, 3) || !digits(detail, 1, 3) {
		return "", false
	}
	return s, true
}

// isReplyCode reports whether s is a basic SMTP reply code of class 4 or 5.
func isReplyCode(s string) bool {
	return len(s) == 3 && (s[0] == '4' || s[0] == '5') && s[1] >= '0' && s[1] <= '5' && s[2] >= '0' && s[2] <= '9'
}

// digits reports whether s is min to max ASCII digits.
func digits(s string, min, max int) bool {
	if len(s) < min || len(s) > max {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}
