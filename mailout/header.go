package mailout

import (
	"bytes"
	"fmt"
	"path/filepath"
	"strings"
	"unicode/utf8"
)

// MaxSubject is the longest Subject (and Thread-Topic), in characters,
// that Compose sends; a longer one is cut with an ellipsis. 250 is well
// above what mail clients show, and a subject at the limit, RFC 2047
// encoded, still folds into lines far below RFC 5322's 998 octets.
const MaxSubject = 250

// MaxName is the longest display name, in characters, that Compose sends.
const MaxName = 200

// maxTag is the longest bracketed tag at the end of a subject that
// cutSubject keeps, e.g. "[#1234]" or "[HELP-1234]".
const maxTag = 32

// maxThreadIndex is the longest Thread-Index Compose sends: one that fits
// a line. Outlook's index grows by 5 bytes per reply, so only a
// conversation of some 140 replies exceeds it; Outlook then threads by
// Thread-Topic and References.
const maxThreadIndex = maxLine - len("Thread-Index: ")

// maxLine is RFC 5322's hard limit on a line, without CRLF.
const maxLine = 998

// cutSubject returns s cut to MaxSubject characters with an ellipsis.
// A bracketed tag that ends s (the ticket tag of "Re: … [#1234]", which
// threading reads) is kept after the ellipsis; a tag at the start is kept
// anyway.
func cutSubject(s string) string {
	return cutKeepingTag(s, MaxSubject)
}

func cutKeepingTag(s string, limit int) string {
	if utf8.RuneCountInString(s) <= limit {
		return s
	}
	r := []rune(s)
	var tag []rune
	if last := r[len(r)-1]; last == ']' || last == '］' {
		for i := len(r) - 2; i >= 0 && i >= len(r)-maxTag; i-- {
			if r[i] == '[' || r[i] == '［' {
				tag = r[i:]
				break
			}
		}
	}
	if len(tag) == 0 {
		return strings.TrimRight(string(r[:limit-1]), " ") + "…"
	}
	return strings.TrimRight(string(r[:limit-2-len(tag)]), " ") + "… " + string(tag)
}

// MaxFilename is the longest attachment file name, in characters, that
// Compose sends; a longer one is cut with an ellipsis before its extension.
// At the limit, RFC 2047 encoded in Content-Type and Content-Disposition,
// it stays far below RFC 5322's 998 octets a line.
const MaxFilename = 60

// MaxContentID is the longest Content-ID Compose sends an inline part
// with; a part with a longer one, or one that is not a valid id, goes as
// an ordinary attachment.
const MaxContentID = 200

// cutFilename returns the file name s cut to MaxFilename characters,
// keeping an extension of up to 10 characters.
func cutFilename(s string) string {
	r := []rune(s)
	if len(r) <= MaxFilename {
		return s
	}
	ext := []rune(filepath.Ext(s))
	if len(ext) > 10 {
		ext = nil
	}
	return strings.TrimRight(string(r[:MaxFilename-1-len(ext)]), " ") + "…" + string(ext)
}

// cutName returns the display name s cut to MaxName characters.
func cutName(s string) string {
	if utf8.RuneCountInString(s) <= MaxName {
		return s
	}
	return strings.TrimRight(string([]rune(s)[:MaxName-1]), " ") + "…"
}

// checkLines reports a line of raw longer than RFC 5322 allows, which no
// receiving server need accept. Compose cuts every value it takes from a
// notification so that go-mail's folding keeps within the limit; this is
// the guard that it did.
func checkLines(raw []byte) error {
	for i := 0; i < len(raw); {
		j := bytes.Index(raw[i:], []byte("\r\n"))
		if j < 0 {
			j = len(raw) - i
		}
		if j > maxLine {
			return fmt.Errorf("a line of %d octets (more than %d) starting %q: %w", j, maxLine, raw[i:i+40], ErrInvalid)
		}
		i += j + 2
	}
	return nil
}
