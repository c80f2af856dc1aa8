package parse

import (
	"net/textproto"
	"regexp"
	"sort"
	"strconv"
	"strings"
)

// rfc2231Param matches one (possibly continued, possibly encoded) RFC 2231
// parameter section: name*N*=value.
var rfc2231Param = regexp.MustCompile(`(?i)(?:^|;)\s*((?:file)?name)\*(?:(\d+)(\*)?)?\s*=\s*("[^"]*"|[^;]*)`)

// rfc2231Filename decodes a filename*= parameter in any charset from the
// raw Content-Disposition or Content-Type header; Go's mime package only
// accepts UTF-8 and US-ASCII and drops the rest. It returns "" when there
// is no such parameter.
func rfc2231Filename(h textproto.MIMEHeader) string {
	for _, name := range []string{"filename", "name"} {
		for _, field := range []string{"Content-Disposition", "Content-Type"} {
			if s := rfc2231Value(h.Get(field), name); s != "" {
				return s
			}
		}
	}
	return ""
}

type section struct {
	index   int
	encoded bool
	value   string
}

func rfc2231Value(header, want string) string {
	var secs []section
	for _, m := range rfc2231Param.FindAllStringSubmatch(header, -1) {
		if !strings.EqualFold(m[1], want) {
			continue
		}
		idx := 0
		if m[2] != "" {
			idx, _ = strconv.Atoi(m[2])
		}
		secs = append(secs, section{idx, m[2] == "" || m[3] != "", strings.Trim(strings.TrimSpace(m[4]), `"`)})
	}
	if len(secs) == 0 {
		return ""
	}
	sort.SliceStable(secs, func(i, j int) bool { return secs[i].index < secs[j].index })
	charset := ""
	var raw []byte
	for i, s := range secs {
		v := s.value
		if i == 0 && s.encoded {
			if parts := strings.SplitN(v, "'", 3); len(parts) == 3 {
				charset, v = parts[0], parts[2]
			}
		}
		if s.encoded {
			raw = append(raw, percentDecode(v)...)
		} else {
			raw = append(raw, v...)
		}
	}
	if s, ok := decodeCharset(charset, raw); ok && !isUTF8Label(charset) {
		return s
	}
	return headerToUTF8(raw, charset)
}

// percentDecode undoes %XX escapes, keeping malformed ones literally.
func percentDecode(s string) []byte {
	var b []byte
	for i := 0; i < len(s); i++ {
		if s[i] == '%' && i+2 < len(s) && isHex(s[i+1]) && isHex(s[i+2]) {
			b = append(b, unhex(s[i+1])<<4|unhex(s[i+2]))
			i += 2
			continue
		}
		b = append(b, s[i])
	}
	return b
}
