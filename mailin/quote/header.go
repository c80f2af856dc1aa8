package quote

import (
	"regexp"
	"strings"
	"unicode/utf8"
)

// originalMessage matches the separator Outlook, Outlook Express and
// Foxmail write above the quoted message, in several languages.
var originalMessage = regexp.MustCompile(`(?i)^\s*-{2,}\s*(?:original message|ursprüngliche nachricht|message d['’]origine|mensaje original|ursprungligt meddelande|oprindelig meddelelse|opprinnelig melding|oorspronkelijk bericht|messaggio originale|mensagem original|原始邮件|原始郵件)\s*-{2,}\s*$`)

// isOriginalMessage reports whether line is an "-----Original Message-----"
// separator.
func isOriginalMessage(line string) bool {
	// The separator starts with two dashes after white space (\s); other
	// lines, nearly all, need no regular expression.
	if !strings.HasPrefix(strings.TrimLeft(line, " \t\n\f\r"), "--") {
		return false
	}
	return originalMessage.MatchString(line)
}

// headerKind classifies the label of a header line in Outlook's unquoted
// header block.
type headerKind int

const (
	notHeader  headerKind = iota
	fromHeader            // From:, Von:, Från:, De :, 发件人:
	dateHeader            // Sent:, Date:, Gesendet:, Skickat:, Envoyé :, 发送时间:
	toHeader              // To:, Subject:, Cc:, An:, Betreff:, Till:, Objet :, 主题:
)

// headerLabels maps lower-case header labels, in the languages Outlook
// writes them, to their kind.
var headerLabels = map[string]headerKind{
	"from": fromHeader, "von": fromHeader, "från": fromHeader, "fra": fromHeader,
	"de": fromHeader, "van": fromHeader, "da": fromHeader, "发件人": fromHeader,
	"寄件者": fromHeader, "寄件人": fromHeader,

	"sent": dateHeader, "date": dateHeader, "gesendet": dateHeader, "datum": dateHeader,
	"skickat": dateHeader, "sendt": dateHeader, "dato": dateHeader, "envoyé": dateHeader,
	"enviado": dateHeader, "enviado el": dateHeader, "enviada em": dateHeader, "fecha": dateHeader, "verzonden": dateHeader, "verstuurd": dateHeader,
	"inviato": dateHeader, "data": dateHeader, "发送时间": dateHeader, "日期": dateHeader,
	"时间": dateHeader, "寄件日期": dateHeader, "傳送時間": dateHeader, "時間": dateHeader,

	"to": toHeader, "subject": toHeader, "cc": toHeader, "an": toHeader, "betreff": toHeader,
	"till": toHeader, "ämne": toHeader, "kopia": toHeader, "til": toHeader, "emne": toHeader,
	"à": toHeader, "a": toHeader, "objet": toHeader, "para": toHeader, "asunto": toHeader,
	"aan": toHeader, "onderwerp": toHeader, "oggetto": toHeader, "收件人": toHeader,
	"主题": toHeader, "抄送": toHeader, "收件者": toHeader, "主旨": toHeader, "副本": toHeader,
}

// headerLabel returns the kind of header line, "From: …" or "*Sent:* …";
// a space before the colon (French) and the full-width colon are allowed.
func headerLabel(line string) headerKind {
	s := strings.TrimLeft(line, " \t*")
	// A label has at most 12 characters, so only the first 13 may hold
	// the colon that ends it; the rest of the line is not searched.
	head := s
	for n, k := 0, 0; k < len(s); n++ {
		if n == maxLabel+1 {
			head = s[:k]
			break
		}
		_, size := utf8.DecodeRuneInString(s[k:])
		k += size
	}
	i := strings.IndexAny(head, ":：")
	if i <= 0 || utf8.RuneCountInString(s[:i]) > maxLabel {
		return notHeader
	}
	label := strings.ToLower(strings.Trim(s[:i], " \t*\u00a0"))
	return headerLabels[label]
}

// maxLabel is the most characters a header label has before its colon.
const maxLabel = 12

// headerWindow is how many lines after a From: line may hold the rest of
// an Outlook header block.
const headerWindow = 6

// isHeaderBlock reports whether lines[i] starts an unquoted header block:
// a From: line followed within a few lines by a Sent:/Date: line and a
// To:/Subject: line. A lone "From: the accounting team" is not one.
func isHeaderBlock(lines []string, i int) bool {
	if headerLabel(lines[i]) != fromHeader {
		return false
	}
	var date, to bool
	for j := i + 1; j < len(lines) && j <= i+headerWindow; j++ {
		switch headerLabel(lines[j]) {
		case fromHeader:
			return false
		case dateHeader:
			date = true
		case toHeader:
			to = true
		}
		if date && to {
			return true
		}
	}
	return false
}
