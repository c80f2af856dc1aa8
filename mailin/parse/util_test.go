package parse

import (
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/deskgate/deskgate/ticketing"
)

// invalidStrings returns a description of the first string field of in that
// is not valid UTF-8 or contains NUL, or "".
func invalidStrings(in ticketing.Inbound) string {
	check := func(name, s string) string {
		if !utf8.ValidString(s) {
			return fmt.Sprintf("%s is not valid UTF-8: %q", name, s)
		}
		if strings.IndexByte(s, 0) >= 0 {
			return fmt.Sprintf("%s contains NUL: %q", name, s)
		}
		return ""
	}
	fields := map[string]string{
		"MessageID": in.MessageID, "Subject": in.Subject, "Text": in.Text, "HTML": in.HTML,
		"From.Name": in.From.Name, "From.Address": in.From.Address,
		"ClassReason": in.ClassReason, "OriginalMessageID": in.OriginalMessageID,
		"Class": string(in.Class),
	}
	for i, id := range in.InReplyTo {
		fields[fmt.Sprintf("InReplyTo[%d]", i)] = id
	}
	for i, id := range in.References {
		fields[fmt.Sprintf("References[%d]", i)] = id
	}
	for _, list := range [][]ticketing.Address{in.ReplyTo, in.To, in.Cc} {
		for i, a := range list {
			fields[fmt.Sprintf("addr[%d].Name", i)] = a.Name
			fields[fmt.Sprintf("addr[%d].Address", i)] = a.Address
		}
	}
	for i, l := range in.Languages {
		fields[fmt.Sprintf("Languages[%d]", i)] = l
	}
	for i, d := range in.Deliveries {
		fields[fmt.Sprintf("Deliveries[%d].Recipient", i)] = d.Recipient
		fields[fmt.Sprintf("Deliveries[%d].Action", i)] = d.Action
		fields[fmt.Sprintf("Deliveries[%d].Status", i)] = d.Status
		fields[fmt.Sprintf("Deliveries[%d].Diagnostic", i)] = d.Diagnostic
	}
	for i, a := range in.Attachments {
		fields[fmt.Sprintf("Attachments[%d].Filename", i)] = a.Filename
		fields[fmt.Sprintf("Attachments[%d].ContentType", i)] = a.ContentType
		fields[fmt.Sprintf("Attachments[%d].ContentID", i)] = a.ContentID
	}
	for name, s := range fields {
		if msg := check(name, s); msg != "" {
			return msg
		}
	}
	return ""
}
