package parse

import (
	"bytes"
	"regexp"
	"strings"

	"github.com/jhillyerd/enmime/v2"
	"github.com/jhillyerd/enmime/v2/mediatype"

	"github.com/deskgate/deskgate/ticketing"
)

// contentTypes returns the media type and parameters of the root and of
// every part, read from the headers so that parts enmime could not split
// (a multipart without boundary) still count.
func contentTypes(m *message) []mediaType {
	if m.types != nil {
		return *m.types
	}
	var out []mediaType
	defer func() { m.types = &out }()
	add := func(h string) {
		if h == "" {
			return
		}
		mt, params, _, err := mediatype.Parse(h)
		if err != nil && mt == "" {
			return
		}
		out = append(out, mediaType{strings.ToLower(mt), params})
	}
	add(m.header.Get("Content-Type"))
	if m.root != nil {
		_ = m.root.DepthMatchAll(func(p *enmime.Part) bool {
			if p != m.root {
				add(p.Header.Get("Content-Type"))
			}
			return false
		})
	}
	return out
}

type mediaType struct {
	typ    string
	params map[string]string
}

// reportType matches a multipart/report of the given report-type.
func reportType(want string) func(c *context) (string, bool) {
	return func(c *context) (string, bool) {
		for _, mt := range contentTypes(c.m) {
			if mt.typ == "multipart/report" && strings.EqualFold(strings.TrimSpace(mt.params["report-type"]), want) {
				return "multipart/report " + want, true
			}
		}
		return "", false
	}
}

// reportTypeOther matches any multipart/report.
func reportTypeOther(c *context) (string, bool) {
	for _, mt := range contentTypes(c.m) {
		if mt.typ == "multipart/report" && !strings.EqualFold(strings.TrimSpace(mt.params["report-type"]), "disposition-notification") {
			rt := strings.ToLower(strings.TrimSpace(mt.params["report-type"]))
			if rt == "" {
				rt = "without report-type"
			}
			return "multipart/report " + rt, true
		}
	}
	return "", false
}

// hasPart matches a part of one of the given media types.
func hasPart(types ...string) func(c *context) (string, bool) {
	return func(c *context) (string, bool) {
		for _, mt := range contentTypes(c.m) {
			for _, t := range types {
				if mt.typ == t {
					return "a " + t + " part", true
				}
			}
		}
		return "", false
	}
}

// bounceSubjects are Subject openings of non-delivery reports.
var bounceSubjects = compileAll(
	`^undelivered mail returned to sender`, `^mail delivery failed`,
	`^delivery status notification \((failure|delay)\)`, `^undeliverable:`, `^undeliverable mail`,
	`^undelivered mail`, `^returned mail:`, `^returned mail$`, `^failure notice`, `^delivery failure`,
	`^nondeliverable mail`, `^non[- ]?delivery`, `^delivery notification: delivery has failed`,
	`^mail delivery (failure|problem|system)`, `^message delivery failure`, `^warning: could not send message`,
	`^delayed mail`, `^delivery (has )?failed`, `^unzustellbar`, `^nicht zustellbar`, `^olevererbart`,
	`^onbestelbaar`, `^non recapitabile`, `^non remis`, `^impossible de remettre`, `^mail could not be delivered`,
	`^message (could not be|not) delivered`, `^returned to sender`,
)

// bounceSubjectEndings are Subject endings that only mail systems write.
var bounceSubjectEndings = compileAll(
	`delivery failure notification$`, `: non remis\b`, `\(delivery failed\)\s*$`,
)

func compileAll(patterns ...string) []*regexp.Regexp {
	out := make([]*regexp.Regexp, len(patterns))
	for i, p := range patterns {
		out[i] = regexp.MustCompile(`(?i)` + p)
	}
	return out
}

// bounceSubject matches the Subject of a non-delivery report. People write
// to a help desk with subjects like "Mail delivery failed to our customer",
// so an opening alone counts only when the sender looks like a mail system;
// the endings are never written by hand.
func bounceSubject(c *context) (string, bool) {
	s := strings.TrimSpace(c.in.Subject)
	for _, re := range bounceSubjectEndings {
		if re.MatchString(s) {
			return "Subject: " + s, true
		}
	}
	if !mailSystemSender(c) {
		return "", false
	}
	for _, re := range bounceSubjects {
		if re.MatchString(s) {
			return "Subject: " + s, true
		}
	}
	return "", false
}

// bounceBodyPhrases open non-delivery reports that carry no DSN part.
var bounceBodyPhrases = []string{
	"this is the mail system at host",
	"could not be delivered to one or more recipients",
	"message could not be delivered to the following recipients",
	"this message was created automatically by mail delivery software",
	"your message could not be delivered",
	"could not be delivered to the following recipients",
	"delivery to the following recipient(s) failed",
	"delivery to the following recipients failed",
	"delivery has failed to these recipients or groups",
	"your message did not reach some or all of the intended recipients",
	"this is the qmail-send program at",
	"i'm afraid i wasn't able to deliver your message",
	"i'm sorry to have to inform you that your message could not",
	"the following addresses had permanent fatal errors",
	"unable to deliver message to the following recipients",
	"the original message was received at",
	"message delivery to the following recipients failed",
	"votre message n'a pas pu etre delivre",
	"was undeliverable",
	"your message was not delivered",
}

// replyPrefix matches subjects of replies and forwards in several languages.
var replyPrefix = regexp.MustCompile(`(?i)^\s*(re|fw|fwd|aw|wg|sv|vs|tr|antw|ref|r)\s*(\[\d+\])?\s*:`)

// bounceBody matches a report phrase in the first unquoted lines of text.
func bounceBody(c *context) (string, bool) {
	if replyPrefix.MatchString(c.in.Subject) {
		return "", false
	}
	head := c.textHead()
	for _, p := range bounceBodyPhrases {
		if strings.Contains(head, p) {
			return "text: \"" + p + "\"", true
		}
	}
	return "", false
}

// unquotedHead returns about n bytes of text from the top, skipping quoted
// lines, and stops at a forwarded or original-message marker.
func unquotedHead(text string, n int) string {
	var b strings.Builder
	for rest := text; rest != "" && b.Len() < n; {
		var line string
		line, rest, _ = strings.Cut(rest, "\n")
		line = strings.TrimSpace(line)
		if strings.HasPrefix(line, ">") {
			continue
		}
		if containsFold(line, "forwarded message") || containsFold(line, "original message-----") {
			break
		}
		b.WriteString(line)
		b.WriteByte('\n')
	}
	return b.String()
}

var messageIDLine = regexp.MustCompile(`(?im)^[ \t>]*message-id:[ \t]*(<[^<>\s]+>|[^\s<>]+@[^\s<>]+)`)

// bouncedMessageID finds the Message-ID of the message a bounce reports
// on: from an attached message/rfc822 or text/rfc822-headers part, else a
// Message-ID line in the report text, else In-Reply-To.
func bouncedMessageID(m *message, in *ticketing.Inbound) string {
	var found string
	if m.root != nil {
		_ = m.root.DepthMatchFirst(func(p *enmime.Part) bool {
			switch p.ContentType {
			case "message/rfc822", "text/rfc822-headers", "message/rfc822-headers", "message/global", "message/global-headers":
				if id := headerMessageID(p.Content); id != "" {
					found = id
					return true
				}
			}
			return false
		})
	}
	if found != "" {
		return found
	}
	texts := []string{in.Text}
	if m.root != nil {
		_ = m.root.DepthMatchAll(func(p *enmime.Part) bool {
			if strings.HasPrefix(p.ContentType, "text/") || p.ContentType == "" {
				texts = append(texts, string(p.Content))
			}
			return false
		})
		texts = append(texts, string(m.root.Content))
	}
	for _, t := range texts {
		if sm := messageIDLine.FindStringSubmatch(t); sm != nil {
			if id := firstMsgID(sm[1]); id != "" {
				return id
			}
		}
	}
	return repliedMessageID(m, in)
}

// headerMessageID reads the Message-ID from a header block.
func headerMessageID(b []byte) string {
	b = bytes.TrimLeft(b, "\r\n\t ")
	h, _ := splitHeader(b)
	return firstMsgID(h.Get("Message-Id"))
}

// mailSystemSender reports whether the sender looks like a mail system rather
// than a person: no usable From, a null or missing envelope sender, an
// automated Auto-Submitted, or a From naming a mail system.
func mailSystemSender(c *context) bool {
	if c.in.From.Address == "" {
		return true
	}
	if rp := strings.TrimSpace(c.m.get("Return-Path")); rp == "<>" || c.m.has("Auto-Submitted") && !strings.EqualFold(c.m.get("Auto-Submitted"), "no") {
		return true
	}
	from := strings.ToLower(c.in.From.Name + " " + c.in.From.Address)
	for _, w := range mailSystemWords {
		if strings.Contains(from, w) {
			return true
		}
	}
	return false
}

// mailSystemWords in a From name or address mark a mail system.
var mailSystemWords = []string{"mailer-daemon", "mailer daemon", "postmaster", "mail delivery", "mail-daemon",
	"delivery subsystem", "mail administrator", "system administrator", "microsoft outlook", "mail system",
	"mailer", "noreply", "no-reply", "notification", "bounce", "daemon", "gateway", "mimecast"}
