package parse

import (
	"bytes"
	"strings"
	"unicode/utf8"

	"github.com/cention-sany/utf7"
	"github.com/gogs/chardet"
	"golang.org/x/text/encoding"
	"golang.org/x/text/encoding/charmap"
	"golang.org/x/text/encoding/htmlindex"
	"golang.org/x/text/encoding/ianaindex"
	"golang.org/x/text/encoding/japanese"
	"golang.org/x/text/encoding/korean"
	"golang.org/x/text/encoding/simplifiedchinese"
	"golang.org/x/text/encoding/traditionalchinese"
	"golang.org/x/text/encoding/unicode"
)

// charsetOverrides maps labels whose common use differs from their
// registered meaning to the superset mailers actually send.
var charsetOverrides = map[string]encoding.Encoding{
	"us-ascii":          charmap.Windows1252,
	"ascii":             charmap.Windows1252,
	"ansi_x3.4-1968":    charmap.Windows1252,
	"iso-8859-1":        charmap.Windows1252,
	"iso8859-1":         charmap.Windows1252,
	"iso_8859-1":        charmap.Windows1252,
	"latin1":            charmap.Windows1252,
	"gb2312":            simplifiedchinese.GB18030,
	"gbk":               simplifiedchinese.GB18030,
	"cp936":             simplifiedchinese.GB18030,
	"x-gbk":             simplifiedchinese.GB18030,
	"euc-cn":            simplifiedchinese.GB18030,
	"csgb2312":          simplifiedchinese.GB18030,
	"gb_2312-80":        simplifiedchinese.GB18030,
	"chinese":           simplifiedchinese.GB18030,
	"gb18030":           simplifiedchinese.GB18030,
	"ks_c_5601-1987":    korean.EUCKR,
	"ks_c_5601-1989":    korean.EUCKR,
	"ks_c_5601":         korean.EUCKR,
	"ksc5601":           korean.EUCKR,
	"cp949":             korean.EUCKR,
	"big5":              traditionalchinese.Big5,
	"big5-hkscs":        traditionalchinese.Big5,
	"x-x-big5":          traditionalchinese.Big5,
	"shift_jis":         japanese.ShiftJIS,
	"x-sjis":            japanese.ShiftJIS,
	"sjis":              japanese.ShiftJIS,
	"cp932":             japanese.ShiftJIS,
	"windows-31j":       japanese.ShiftJIS,
	"utf-7":             utf7.UTF7,
	"utf7":              utf7.UTF7,
	"unicode-1-1-utf-7": utf7.UTF7,
	"utf8":              unicode.UTF8,
}

// normalizeCharset lower-cases a charset label and strips quotes, an RFC
// 2231 language suffix and "charset=" debris.
func normalizeCharset(label string) string {
	l := strings.ToLower(strings.TrimSpace(label))
	l = strings.Trim(l, "\"' ")
	l = strings.TrimPrefix(l, "charset=")
	if i := strings.IndexByte(l, '*'); i > 0 {
		l = l[:i]
	}
	return l
}

// lookupCharset returns the decoder for a charset label, or nil when the
// label is unknown.
func lookupCharset(label string) encoding.Encoding {
	l := normalizeCharset(label)
	if l == "" {
		return nil
	}
	if enc, ok := charsetOverrides[l]; ok {
		return enc
	}
	if enc, err := htmlindex.Get(l); err == nil && enc != nil {
		return enc
	}
	if enc, err := ianaindex.IANA.Encoding(l); err == nil && enc != nil {
		return enc
	}
	// Common spellings without a hyphen: "iso8859-15", "windows1252".
	for _, p := range [][2]string{{"iso8859", "iso-8859"}, {"windows", "windows-"}, {"cp125", "windows-125"}} {
		if strings.HasPrefix(l, p[0]) && !strings.HasPrefix(l, p[1]) {
			return lookupCharset(p[1] + strings.TrimLeft(l[len(p[0]):], "-_"))
		}
	}
	return nil
}

// normalizedCharsetParam returns the label enmime should use for a body
// part's declared charset so that it decodes as the superset mailers mean.
func normalizedCharsetParam(label string) string {
	switch lookupCharset(label) {
	case charmap.Windows1252:
		return "windows-1252"
	case simplifiedchinese.GB18030:
		return "gb18030"
	case korean.EUCKR:
		return "euc-kr"
	}
	return label
}

// decodeCharset converts b from the named charset; ok is false when the
// charset is unknown or the bytes do not decode.
func decodeCharset(label string, b []byte) (string, bool) {
	enc := lookupCharset(label)
	if enc == nil {
		return "", false
	}
	out, err := enc.NewDecoder().Bytes(b)
	if err != nil {
		return "", false
	}
	return string(out), true
}

// detectCharset guesses the charset of b; "" when nothing is confident.
// Of equally confident charsets it takes the first by name: chardet's
// DetectBest keeps whichever of its concurrent recognizers answered first,
// so the same bytes could decode differently from one parse to the next
// (TestDetectedCharsetIsStable).
func detectCharset(b []byte) string {
	all, err := chardet.NewTextDetector().DetectAll(b)
	if err != nil || len(all) == 0 {
		return ""
	}
	best := all[0] // DetectAll sorts by confidence, most first
	for _, r := range all[1:] {
		if r.Confidence == best.Confidence && r.Charset < best.Charset {
			best = r
		}
	}
	if best.Confidence < 30 {
		return ""
	}
	return best.Charset
}

// bytesToUTF8 turns bytes of unknown provenance into text: valid UTF-8 is
// kept, else the hint charset, else a detected charset, else Windows-1252.
func bytesToUTF8(b []byte, hint string) string {
	return toUTF8(b, hint, true)
}

// headerToUTF8 is bytesToUTF8 for the raw bytes of a header value. No
// header is written in UTF-16 or UTF-32, so neither the hint (a body
// part's charset) nor detection may choose them, and a leading
// byte-order mark carries no text and is dropped: a From starting with
// FF FE is Latin-1 or UTF-8 like any other, not UTF-16 by its mark.
func headerToUTF8(b []byte, hint string) string {
	for _, bom := range [][]byte{{0xEF, 0xBB, 0xBF}, {0xFF, 0xFE}, {0xFE, 0xFF}} {
		b = bytes.TrimPrefix(b, bom)
	}
	return toUTF8(b, hint, false)
}

// headerStringToUTF8 is headerToUTF8 for a value held as a string: one
// that is valid UTF-8 without a byte-order mark, nearly every header, is
// cleaned as it is instead of copied twice (FuzzHeaderStringToUTF8).
func headerStringToUTF8(raw, hint string) string {
	if utf8.ValidString(raw) && !strings.HasPrefix(raw, "\uFEFF") {
		return cleanText(raw)
	}
	return headerToUTF8([]byte(raw), hint)
}

// toUTF8 is bytesToUTF8; wide is whether UTF-16 and UTF-32 may be used.
func toUTF8(b []byte, hint string, wide bool) string {
	if utf8.Valid(b) || mostlyUTF8(b) {
		return cleanText(string(b))
	}
	if hint != "" && !isUTF8Label(hint) && (wide || !isWideLabel(hint)) {
		if s, ok := decodeCharset(hint, b); ok {
			return cleanText(s)
		}
	}
	if cs := detectCharset(b); cs != "" && !isUTF8Label(cs) && (wide || !isWideLabel(cs)) {
		if s, ok := decodeCharset(cs, b); ok {
			return cleanText(s)
		}
	}
	s, _ := decodeCharset("windows-1252", b)
	return cleanText(s)
}

// isWideLabel reports whether l names UTF-16 or UTF-32 (or UCS-2/4).
func isWideLabel(l string) bool {
	l = strings.ReplaceAll(normalizeCharset(l), "-", "")
	return strings.HasPrefix(l, "utf16") || strings.HasPrefix(l, "utf32") || strings.HasPrefix(l, "ucs")
}

// mostlyUTF8 reports whether b is UTF-8 with a few broken bytes: more
// valid multi-byte sequences than invalid bytes.
func mostlyUTF8(b []byte) bool {
	valid, invalid := 0, 0
	for len(b) > 0 {
		r, n := utf8.DecodeRune(b)
		switch {
		case r == utf8.RuneError && n == 1:
			invalid++
		case n > 1:
			valid++
		}
		b = b[n:]
	}
	return valid > 2*invalid
}

func isUTF8Label(l string) bool {
	l = normalizeCharset(l)
	return l == "utf-8" || l == "utf8"
}

// cleanText is the final pass over every string: C1 control characters
// (Windows-1252 text decoded as ISO-8859-1) become their Windows-1252
// characters, invalid UTF-8 becomes U+FFFD and NUL bytes are dropped.
func cleanText(s string) string {
	if !needsCleaning(s) {
		return s
	}
	s = strings.ToValidUTF8(s, "\uFFFD")
	var b strings.Builder
	b.Grow(len(s))
	for _, r := range s {
		switch {
		case r == 0:
			continue
		case r >= 0x80 && r <= 0x9F:
			if m := charmap.Windows1252.DecodeByte(byte(r)); m != utf8.RuneError {
				r = m
			}
		}
		b.WriteRune(r)
	}
	return b.String()
}

// needsCleaning reports whether s has invalid UTF-8, NUL or C1 controls.
func needsCleaning(s string) bool {
	if strings.IndexByte(s, 0) >= 0 || !utf8.ValidString(s) {
		return true
	}
	// C1 controls are encoded as 0xC2 0x80..0x9F.
	for i := 0; i+1 < len(s); i++ {
		if s[i] == 0xC2 && s[i+1] >= 0x80 && s[i+1] <= 0x9F {
			return true
		}
	}
	return false
}
