package parse

import (
	"strings"

	"github.com/jhillyerd/enmime/v2"

	"github.com/deskgate/deskgate/ticketing"
)

// challengeMarkers identify challenge/response spam filters.
var challengeMarkers = []string{"boxbe.com", "X-Boxbe-*", "X-Challenge*", "\"please verify\" / \"guest list\" confirmation requests"}

func challengeResponse(c *context) (string, bool) {
	from := strings.ToLower(c.in.From.Address)
	if strings.HasSuffix(from, "@boxbe.com") || strings.HasSuffix(from, ".boxbe.com") {
		return "From: " + from + " (Boxbe challenge/response)", true
	}
	for k := range c.m.header {
		lk := strings.ToLower(k)
		if strings.HasPrefix(lk, "x-boxbe") || strings.HasPrefix(lk, "x-challenge") {
			return k + " header (challenge/response)", true
		}
	}
	if replyPrefix.MatchString(c.in.Subject) || c.in.Subject == "" {
		if containsAny(c.textHead(), "added to my guest list", "please verify that you are a human",
			"verify your email address to complete delivery", "i use a challenge-response",
			"to prove that you are not a spammer", "click the link below to confirm your message") {
			return "text of a challenge/response request", true
		}
	}
	return "", false
}

// repliedMessageID is the message an auto-reply answers: the
// Original-Message-ID of a read receipt, else In-Reply-To.
func repliedMessageID(m *message, in *ticketing.Inbound) string {
	if m.root != nil {
		var found string
		_ = m.root.DepthMatchFirst(func(p *enmime.Part) bool {
			if p.ContentType == "message/disposition-notification" {
				h, _ := splitHeader(p.Content)
				found = firstMsgID(h.Get("Original-Message-Id"))
			}
			return found != ""
		})
		if found != "" {
			return found
		}
	}
	if len(in.InReplyTo) > 0 {
		return in.InReplyTo[0]
	}
	return ""
}
