package command

import (
	"net/mail"
	"regexp"
	"strings"
	"unicode/utf8"
)

// Forward is the original message of a mail forwarded to the desk with
// #fwd.
type Forward struct {
	FromName    string // the original sender's display name; "" when none
	FromAddress string // the original sender's address, as written
	Subject     string // the original subject; "" when the header block has none
	// Body is the forwarded message's text after its header block, with
	// the quote marks of the block's level removed, without surrounding
	// blanks, with "\n" line endings.
	Body string
}

// field kinds of a forwarded header block.
const (
	fieldFrom = iota + 1
	fieldDate
	fieldTo
	fieldCc
	fieldSubject
)

// labels are the header labels mail clients write above a forwarded
// message, lower-cased, in English, Swedish, Danish and Chinese.
var labels = map[string]int{
	"from": fieldFrom, "från": fieldFrom, "fra": fieldFrom, "发件人": fieldFrom,
	"date": fieldDate, "sent": fieldDate, "datum": fieldDate, "skickat": fieldDate,
	"dato": fieldDate, "sendt": fieldDate, "日期": fieldDate, "发送时间": fieldDate, "时间": fieldDate,
	"to": fieldTo, "till": fieldTo, "til": fieldTo, "收件人": fieldTo,
	"cc": fieldCc, "kopia": fieldCc, "kopi": fieldCc, "抄送": fieldCc,
	"subject": fieldSubject, "ämne": fieldSubject, "ärende": fieldSubject, "emne": fieldSubject, "主题": fieldSubject,
}

// ParseForward finds the header block of the forwarded message in text
// (after its #fwd line, if it has one) and returns the original sender,
// subject and text. It reads the blocks of Gmail ("---------- Forwarded
// message ---------", From, Date, Subject, To), Outlook (From, Sent, To,
// Subject, with or without "-----Original Message-----"), Apple Mail
// ("Begin forwarded message:", From, Subject, Date, To) and Thunderbird
// ("-------- Forwarded Message --------", Subject, Date, From, To), with
// labels in English, Swedish, Danish or Chinese, also when quoted with
// "> ". A block is a run of "Label: value" lines with a From label and a
// Date, Sent, To, Cc or Subject label; the first in text counts. ok is
// false when there is no block or its From has no address (Exchange
// writes only a name for senders inside the organisation).
//
// Limits: a header line the client wrapped is read as its first line only;
// labels in other languages are not recognised.
func ParseForward(text string) (Forward, bool) {
	lines := strings.Split(normalize(text), "\n")
	start := 0
	for i, line := range lines {
		if word, _, ok := commandWord(trimBlank(line)); ok && word == "fwd" {
			start = i + 1
			break
		}
	}
	for i := start; i < len(lines); {
		from, subject, depth, end := -1, -1, 0, i
		kinds := 0
		for ; end < len(lines); end++ {
			content, d := unquote(lines[end], -1)
			label, _, ok := labelLine(content)
			if !ok {
				break
			}
			switch labels[label] {
			case fieldFrom:
				if from < 0 {
					from, depth = end, d
				}
			case fieldSubject:
				if subject < 0 {
					subject = end
				}
				kinds++
			case 0:
			default:
				kinds++
			}
		}
		if end == i {
			i++
			continue
		}
		if from < 0 || kinds == 0 {
			i = end
			continue
		}
		var f Forward
		var ok bool
		content, _ := unquote(lines[from], -1)
		_, value, _ := labelLine(content)
		if f.FromName, f.FromAddress, ok = sender(value); !ok {
			return Forward{}, false
		}
		if subject >= 0 {
			content, _ := unquote(lines[subject], -1)
			_, f.Subject, _ = labelLine(content)
		}
		body := make([]string, 0, len(lines)-end)
		for _, line := range lines[end:] {
			line, _ = unquote(line, depth)
			body = append(body, line)
		}
		f.Body = strings.TrimSpace(strings.Join(body, "\n"))
		return f, true
	}
	return Forward{}, false
}

// labelLine splits a "Label: value" line (ASCII or full-width colon) into
// its lower-cased label and value; ok is false for lines that are not
// one, such as blank lines. Stars around labels (bold in text rendered
// from HTML) are dropped.
func labelLine(line string) (label, value string, ok bool) {
	i := strings.IndexAny(line, ":：")
	if i <= 0 {
		return "", "", false
	}
	label = strings.Trim(line[:i], " \t*")
	_, size := utf8.DecodeRuneInString(line[i:])
	value = strings.Trim(line[i+size:], " \t*")
	if label == "" || len(label) > 40 || len(strings.Fields(label)) > 4 || strings.ContainsAny(label, "<>@[]()\"/") {
		return "", "", false
	}
	return strings.ToLower(label), value, true
}

// unquote removes up to max levels of "> " quote marks (all when max < 0)
// and, when it removes any, the blanks before them; depth is how many it
// removed.
func unquote(line string, max int) (s string, depth int) {
	s = line
	for max < 0 || depth < max {
		t := strings.TrimLeft(s, " \t")
		if !strings.HasPrefix(t, ">") {
			break
		}
		s = strings.TrimPrefix(t[1:], " ")
		depth++
	}
	if max < 0 {
		s = trimBlank(s)
	}
	return s, depth
}

// bareAddress finds an address in free text such as
// "Anna [mailto:anna@example.com]" or "<a@example.com<mailto:a@example.com>>".
var bareAddress = regexp.MustCompile(`[\p{L}\p{N}.!#$%&'*+=?^_{|}~-]+@[\p{L}\p{N}](?:[\p{L}\p{N}-]*[\p{L}\p{N}])?(?:\.[\p{L}\p{N}](?:[\p{L}\p{N}-]*[\p{L}\p{N}])?)+`)

// sender reads the name and address of a From value: with
// net/mail.ParseAddress, else the first address in it, the text before
// that being the name.
func sender(value string) (name, address string, ok bool) {
	if a, err := mail.ParseAddress(value); err == nil {
		if a.Name == a.Address {
			a.Name = ""
		}
		return a.Name, a.Address, true
	}
	loc := bareAddress.FindStringIndex(value)
	if loc == nil {
		return "", "", false
	}
	address = value[loc[0]:loc[1]]
	name = value[:loc[0]]
	if i := strings.IndexAny(name, "<["); i >= 0 {
		name = name[:i]
	}
	name = strings.Trim(name, " \t\"'([<")
	if name == address {
		name = ""
	}
	return name, address, true
}
