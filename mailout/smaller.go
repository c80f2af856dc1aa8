package mailout

import (
	"errors"
	"fmt"
	"net/textproto"
	"strings"
	"unicode/utf8"

	"github.com/deskgate/deskgate/ticketing"
)

// Budgets of the smaller version of an email a server refused for size.
const (
	// DefaultSmallerText is the most text, in bytes, the smaller version
	// keeps when the server announced no SIZE; with one, a quarter of it
	// (quoted-printable can triple non-ASCII text), at least minSmallerText.
	DefaultSmallerText = 64 << 10
	minSmallerText     = 1 << 10
)

// isSizeRefusal reports whether err, which ended a transaction, refuses
// the message for its size: larger than the SIZE the server announced
// (not offered at all), or a reply with the enhanced code 5.3.4 (too big
// for the system) or 5.2.3 (over the administrative limit), or 552 without
// an enhanced code that says otherwise (5.2.2, a full mailbox, is about
// one recipient).
func isSizeRefusal(err error) bool {
	var se *sizeError
	if errors.As(err, &se) {
		return true
	}
	var te *textproto.Error
	if !errors.As(err, &te) {
		return false
	}
	enhanced, _, _ := strings.Cut(te.Msg, " ")
	switch enhanced {
	case "5.3.4", "5.2.3":
		return true
	case "5.2.2":
		return false
	}
	return te.Code == 552
}

// smaller returns n as its smaller version (see smallerVersion) composed,
// if that is smaller than size bytes; limit is the server's SIZE, 0 if
// unknown. The budget is kept in the returned Notification's Compact and
// stored with the attempt's result, so every later attempt sends the same
// smaller version: compose is a function of the row alone (the Date is
// when it was queued, the boundary is derived from the Message-ID, and the
// smaller version carries no attachments, whose boundaries would be random).
func (s *Sender) smaller(n ticketing.Notification, limit, size int) (ticketing.Notification, []byte, bool) {
	n.Compact = DefaultSmallerText
	if limit > 0 {
		n.Compact = max(minSmallerText, min(DefaultSmallerText, limit/4))
	}
	data, _, err := compose(n, s.cfg.Compose)
	if err != nil || len(data) >= size {
		return n, nil, false
	}
	return n, data, true
}

// smallerVersion returns n as sent after a refusal for size: the same
// headers and Message-ID, the text cut to n.Compact bytes with a last line
// saying how much more the ticket holds, no HTML alternative, and the
// attachments listed by name and size instead of attached. The added
// lines are in English: mailout has no templates.
func smallerVersion(n ticketing.Notification) ticketing.Notification {
	var b strings.Builder
	b.WriteString(cutText(n.Text, n.Compact))
	if len(n.Attachments) > 0 {
		b.WriteString("\n[Attachments, in the ticket:]\n")
		for i, a := range n.Attachments {
			name := clean(a.Filename)
			if name == "" {
				name = fmt.Sprintf("attachment-%d", i+1)
			}
			fmt.Fprintf(&b, "- %s (%s)\n", cutName(name), sizeText(len(a.Data)))
		}
	}
	n.Text, n.HTML, n.Attachments = b.String(), "", nil
	return n
}

// cutText returns s cut to at most budget bytes, at a line end when one is
// in the second half of the budget and always between characters, with a
// line "[… N KB more in the ticket]".
func cutText(s string, budget int) string {
	if len(s) <= budget {
		return s
	}
	cut := budget
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	if i := strings.LastIndexByte(s[:cut], '\n'); i >= cut/2 {
		cut = i + 1
	}
	head := s[:cut]
	if !strings.HasSuffix(head, "\n") {
		head += "\n"
	}
	return head + "[… " + sizeText(len(s)-cut) + " more in the ticket]\n"
}

// sizeText is n bytes for people: "512 bytes", "12 KB", "3.4 MB".
func sizeText(n int) string {
	switch {
	case n < 1<<10:
		return fmt.Sprintf("%d bytes", n)
	case n < 1<<20:
		return fmt.Sprintf("%d KB", (n+1<<10-1)>>10)
	default:
		return fmt.Sprintf("%.1f MB", float64(n)/(1<<20))
	}
}
