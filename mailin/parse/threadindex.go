package parse

import (
	"encoding/base64"
	"strings"
)

// threadRoot returns the conversation root of an Outlook Thread-Index
// header: its first 22 bytes (a FILETIME and a GUID; replies append 5-byte
// blocks), base64-encoded, or "" when the header is absent or malformed.
func threadRoot(header string) string {
	h := strings.Join(strings.Fields(header), "")
	b, err := base64.StdEncoding.DecodeString(h)
	if err != nil || len(b) < 22 || (len(b)-22)%5 != 0 {
		return ""
	}
	return base64.StdEncoding.EncodeToString(b[:22])
}
