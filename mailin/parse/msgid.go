package parse

import (
	"regexp"
	"strings"

	"github.com/emersion/go-message/mail"
)

// angleToken matches one <...> token in a msg-id list.
var angleToken = regexp.MustCompile(`<([^<>]*)>`)

// msgIDList returns the message ids of a header value, without angle
// brackets, in header order. It uses go-message's RFC 5322 parser and falls
// back to extracting <...> tokens (or bare words containing @) when the
// value is malformed.
func msgIDList(raw string) []string {
	raw = strings.TrimSpace(raw)
	if raw == "" {
		return nil
	}
	var h mail.Header
	h.Set("X-Ids", raw)
	ids, err := h.MsgIDList("X-Ids")
	if err != nil || len(ids) == 0 {
		ids = nil
		for _, m := range angleToken.FindAllStringSubmatch(raw, -1) {
			ids = append(ids, m[1])
		}
		if len(ids) == 0 {
			for _, f := range strings.Fields(raw) {
				if strings.Contains(f, "@") {
					ids = append(ids, strings.Trim(f, "<>,;\"'"))
				}
			}
		}
	}
	out := make([]string, 0, len(ids))
	for _, id := range ids {
		id = strings.Join(strings.Fields(cleanText(id)), "")
		if id != "" {
			out = append(out, id)
		}
	}
	if len(out) == 0 {
		return nil
	}
	return out
}

// firstMsgID returns the first id of a header value, or "".
func firstMsgID(raw string) string {
	if ids := msgIDList(raw); len(ids) > 0 {
		return ids[0]
	}
	return ""
}
