package token

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base32"
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"time"
)

// Outcomes of Verify that callers branch on. Verify wraps them with detail;
// test with errors.Is.
var (
	// ErrMalformed means the text is not a token of a version this package
	// knows: wrong characters, wrong length or a corrupt encoding.
	ErrMalformed = errors.New("token: malformed")
	// ErrUnknownKey means the token names a key id that is not configured,
	// for instance one retired by key rotation.
	ErrUnknownKey = errors.New("token: unknown key id")
	// ErrBadMAC means the token is well-formed but its MAC does not match:
	// it was altered or forged.
	ErrBadMAC = errors.New("token: bad MAC")
)

// MaxLen is the longest token, in characters, that claims within the
// documented everyday ranges produce (Ticket and Recipient below 2^28, Nonce
// below 2^35, Issued below 2^21: before the year 2209). It is a guarantee
// for those ranges, not a limit Sign enforces. A token without an issue
// time (version 1) is at most 40 characters in those ranges.
const MaxLen = 45

const (
	version  = 1 // ticket, recipient, nonce
	version2 = 2 // and the issue time
	macLen   = 10
	// minBytes and maxBytes bound a decoded token: header, three or four
	// varints of 1 to binary.MaxVarintLen64 bytes, and the MAC.
	minBytes = 2 + 3 + macLen
	maxBytes = 2 + 4*binary.MaxVarintLen64 + macLen
	// maxChars is the encoded length of maxBytes, checked before decoding.
	maxChars = (maxBytes*8 + 4) / 5
)

// macLabel separates thread-token MACs from any other use of a secret.
const macLabel = "deskgate thread token\x00"

// encoding is RFC 4648 base32 in lower case without padding.
var encoding = base32.NewEncoding("abcdefghijklmnopqrstuvwxyz234567").WithPadding(base32.NoPadding)

// Claims is what a token asserts: the ticket a mail belongs to, the
// participant or agent it was sent to, and a per-message nonce (such as the
// outbox row id) that makes each Message-ID unique. The ids are the caller's;
// 0 is allowed.
type Claims struct {
	Ticket    uint64
	Recipient uint64
	Nonce     uint64
	// Issued is when the token was issued, in whole hours since the Unix
	// epoch (see Hours); 0 when it is not carried, as in tokens signed
	// before issue times were (version 1), which still verify.
	Issued uint64
}

// Hours is t as Claims.Issued counts it: whole hours since the Unix epoch
// (0 before it).
func Hours(t time.Time) uint64 {
	if h := t.Unix() / 3600; h > 0 {
		return uint64(h)
	}
	return 0
}

// IssuedAt is the hour the token was issued, in UTC; the zero time when it
// carries none.
func (c Claims) IssuedAt() time.Time {
	if c.Issued == 0 || c.Issued > math.MaxInt64/3600 {
		return time.Time{}
	}
	return time.Unix(int64(c.Issued)*3600, 0).UTC()
}

// Sign returns the token for c, signed with the current key. The result is
// lower case and at most MaxLen characters for everyday values (see MaxLen).
func (k *Keys) Sign(c Claims) string {
	return sign(k.current, k.secrets[k.current], c)
}

// sign encodes c under key id kid with secret.
func sign(kid byte, secret []byte, c Claims) string {
	b := make([]byte, 0, maxBytes)
	v := byte(version)
	if c.Issued != 0 {
		v = version2
	}
	b = append(b, v, kid)
	b = binary.AppendUvarint(b, c.Ticket)
	b = binary.AppendUvarint(b, c.Recipient)
	b = binary.AppendUvarint(b, c.Nonce)
	if c.Issued != 0 {
		b = binary.AppendUvarint(b, c.Issued)
	}
	b = append(b, mac(secret, b)...)
	return encoding.EncodeToString(b)
}

// mac is the truncated HMAC-SHA256 of msg under secret.
func mac(secret, msg []byte) []byte {
	h := hmac.New(sha256.New, secret)
	h.Write([]byte(macLabel))
	h.Write(msg)
	return h.Sum(nil)[:macLen]
}

// Verify checks tok and returns its claims. Case is ignored. It returns an
// error wrapping ErrMalformed, ErrUnknownKey or ErrBadMAC, and zero Claims,
// for any token it did not sign with a configured key; the MAC is compared
// in constant time.
func (k *Keys) Verify(tok string) (Claims, error) {
	b, err := decode(tok)
	if err != nil {
		return Claims{}, err
	}
	if b[0] != version && b[0] != version2 {
		return Claims{}, fmt.Errorf("%w: version %d", ErrMalformed, b[0])
	}
	secret, ok := k.secrets[b[1]]
	if !ok {
		return Claims{}, fmt.Errorf("%w %d", ErrUnknownKey, b[1])
	}
	body, sum := b[:len(b)-macLen], b[len(b)-macLen:]
	if !hmac.Equal(sum, mac(secret, body)) {
		return Claims{}, ErrBadMAC
	}
	c, ok := parseClaims(body[2:], b[0] == version2)
	if !ok {
		// Only reachable with a genuine MAC over bytes Sign never writes.
		return Claims{}, fmt.Errorf("%w: claims encoding", ErrMalformed)
	}
	return c, nil
}

// decode turns the text of a token into its bytes, accepting either case
// but only the canonical encoding of a plausible length.
func decode(tok string) ([]byte, error) {
	if len(tok) > maxChars {
		return nil, fmt.Errorf("%w: %d characters, at most %d", ErrMalformed, len(tok), maxChars)
	}
	lower := make([]byte, len(tok))
	for i := 0; i < len(tok); i++ {
		c := tok[i]
		switch {
		case 'a' <= c && c <= 'z', '2' <= c && c <= '7':
		case 'A' <= c && c <= 'Z':
			c += 'a' - 'A'
		default:
			return nil, fmt.Errorf("%w: character %d is not base32", ErrMalformed, i)
		}
		lower[i] = c
	}
	b := make([]byte, encoding.DecodedLen(len(lower)))
	n, err := encoding.Decode(b, lower)
	if err != nil {
		return nil, fmt.Errorf("%w: %d characters is not a base32 length", ErrMalformed, len(tok))
	}
	b = b[:n]
	if len(b) < minBytes || len(b) > maxBytes {
		return nil, fmt.Errorf("%w: %d bytes, want %d to %d", ErrMalformed, len(b), minBytes, maxBytes)
	}
	// The last character may carry unused bits; only zero bits are canonical.
	if encoding.EncodeToString(b) != string(lower) {
		return nil, fmt.Errorf("%w: non-canonical encoding", ErrMalformed)
	}
	return b, nil
}

// parseClaims reads three minimal uvarints, or four with issued (the
// last a non-zero issue time), that use up b exactly.
func parseClaims(b []byte, issued bool) (Claims, bool) {
	var v [4]uint64
	n := 3
	if issued {
		n = 4
	}
	for i := range n {
		x, k := binary.Uvarint(b)
		if k <= 0 || k > 1 && b[k-1] == 0 { // error, overflow, or non-minimal
			return Claims{}, false
		}
		v[i], b = x, b[k:]
	}
	if len(b) != 0 || issued && v[3] == 0 {
		return Claims{}, false
	}
	return Claims{Ticket: v[0], Recipient: v[1], Nonce: v[2], Issued: v[3]}, true
}
