package token

import (
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
)

// MinSecretLen is the shortest secret, in bytes, that NewKeys and
// ParseSecret accept.
const MinSecretLen = 32

// Keys holds the desk secrets by key id and the id of the one that signs new
// tokens. Older ids stay configured while tokens signed with them should
// still verify. A Keys is immutable and safe for concurrent use.
type Keys struct {
	current byte
	secrets map[byte][]byte
}

// NewKeys returns Keys that sign with secrets[current] and verify with any
// of secrets. It fails if current has no secret or any secret is shorter
// than MinSecretLen bytes. The secrets are copied.
func NewKeys(current byte, secrets map[byte][]byte) (*Keys, error) {
	if _, ok := secrets[current]; !ok {
		return nil, fmt.Errorf("token: no secret for current key id %d", current)
	}
	k := &Keys{current: current, secrets: make(map[byte][]byte, len(secrets))}
	for _, id := range slices.Sorted(maps.Keys(secrets)) { // sorted: same input, same error
		s := secrets[id]
		if len(s) < MinSecretLen {
			return nil, fmt.Errorf("token: secret for key id %d is %d bytes, want at least %d", id, len(s), MinSecretLen)
		}
		k.secrets[id] = append([]byte(nil), s...)
	}
	return k, nil
}

// ParseSecret decodes a secret written in configuration: hex (upper or lower
// case) if the text is entirely hex digits of even length, otherwise base64
// in the standard or URL alphabet, padded or not. Surrounding white space is
// ignored. The decoded secret must be at least MinSecretLen bytes. Errors
// never repeat the text, which is secret.
func ParseSecret(s string) ([]byte, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return nil, errors.New("token: secret is empty")
	}
	var b []byte
	if isHex(s) {
		b, _ = hex.DecodeString(s) // isHex guarantees success
	} else {
		var err error
		if b, err = decodeBase64(s); err != nil {
			return nil, errors.New("token: secret is neither hex nor base64")
		}
	}
	if len(b) < MinSecretLen {
		return nil, fmt.Errorf("token: secret decodes to %d bytes, want at least %d", len(b), MinSecretLen)
	}
	return b, nil
}

// isHex reports whether s is a non-empty, even-length run of hex digits.
func isHex(s string) bool {
	if len(s)%2 != 0 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F') {
			return false
		}
	}
	return true
}

// decodeBase64 accepts standard or URL-safe base64, padded or not.
func decodeBase64(s string) ([]byte, error) {
	enc := base64.RawStdEncoding
	if strings.ContainsAny(s, "-_") {
		enc = base64.RawURLEncoding
	}
	return enc.Strict().DecodeString(strings.TrimRight(s, "="))
}
