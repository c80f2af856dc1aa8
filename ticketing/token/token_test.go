package token

import (
	"bytes"
	"errors"
	"math"
	"strings"
	"testing"
)

// secret returns a test secret of n bytes filled with b.
func secret(b byte, n int) []byte { return bytes.Repeat([]byte{b}, n) }

// testKeys returns Keys that sign with id 1 and also know id 2.
func testKeys(t testing.TB) *Keys {
	t.Helper()
	k, err := NewKeys(1, map[byte][]byte{1: secret('a', 32), 2: secret('b', 48)})
	if err != nil {
		t.Fatalf("NewKeys() error = %v", err)
	}
	return k
}

// everyday are claims inside the ranges MaxLen covers, at their edges.
var everyday = []Claims{
	{},
	{Ticket: 1, Recipient: 1, Nonce: 1},
	{Ticket: 1234, Recipient: 0, Nonce: 98765},
	{Ticket: 1<<28 - 1, Recipient: 1<<28 - 1, Nonce: 1<<35 - 1},
}

// extreme are claims outside those ranges.
var extreme = []Claims{
	{Ticket: math.MaxUint64, Recipient: math.MaxUint64, Nonce: math.MaxUint64},
	{Ticket: math.MaxUint64},
	{Recipient: math.MaxUint64},
	{Nonce: math.MaxUint64},
	{Ticket: 1 << 28, Recipient: 1<<63 + 5, Nonce: 1 << 35},
}

func TestRoundTrip(t *testing.T) {
	t.Parallel()
	k := testKeys(t)
	claims := append(append([]Claims{}, everyday...), extreme...)
	for i := range uint64(64) { // every varint length
		claims = append(claims, Claims{Ticket: 1 << i, Recipient: 1<<i - 1, Nonce: i})
	}
	for _, c := range claims {
		tok := k.Sign(c)
		got, err := k.Verify(tok)
		if err != nil || got != c {
			t.Errorf("Verify(Sign(%+v)) = %+v, %v, want %+v, nil", c, got, err, c)
		}
		if tok != strings.ToLower(tok) {
			t.Errorf("Sign(%+v) = %q, want lower case", c, tok)
		}
		if got, err := k.Verify(strings.ToUpper(tok)); err != nil || got != c {
			t.Errorf("Verify(%q) = %+v, %v, want %+v, nil", strings.ToUpper(tok), got, err, c)
		}
		if n := len(tok); n < 24 || n > maxChars {
			t.Errorf("len(Sign(%+v)) = %d, want 24 to %d", c, n, maxChars)
		}
	}
}

func TestSignDistinct(t *testing.T) {
	t.Parallel()
	k := testKeys(t)
	seen := map[string]Claims{}
	for ticket := range uint64(4) {
		for rcpt := range uint64(4) {
			for nonce := range uint64(4) {
				c := Claims{Ticket: ticket, Recipient: rcpt, Nonce: nonce}
				tok := k.Sign(c)
				if prev, ok := seen[tok]; ok {
					t.Errorf("Sign(%+v) = Sign(%+v) = %q, want distinct", c, prev, tok)
				}
				seen[tok] = c
			}
		}
	}
}

func TestLength(t *testing.T) {
	t.Parallel()
	k := testKeys(t)
	for _, c := range everyday {
		tok := k.Sign(c)
		if len(tok) > MaxLen {
			t.Errorf("len(Sign(%+v)) = %d, want <= %d", c, len(tok), MaxLen)
		}
		local, _, _ := strings.Cut(k.ReplyTo(c, "desk@example.com"), "@")
		if len(local) > 64 {
			t.Errorf("ReplyTo(%+v) local part = %d octets, want <= 64", c, len(local))
		}
	}
	tests := []struct {
		c    Claims
		want int
	}{
		{Claims{}, 24},               // 15 bytes
		{Claims{Ticket: 1 << 7}, 26}, // 16 bytes
		{Claims{Ticket: 1<<28 - 1, Recipient: 1<<28 - 1, Nonce: 1<<35 - 1}, 40}, // 25 bytes
		{Claims{Ticket: math.MaxUint64, Recipient: math.MaxUint64, Nonce: math.MaxUint64}, 68},
	}
	for _, tt := range tests {
		if got := len(k.Sign(tt.c)); got != tt.want {
			t.Errorf("len(Sign(%+v)) = %d, want %d", tt.c, got, tt.want)
		}
	}
}

// wantRejected fails t unless err is one of the package's sentinels and got
// is zero.
func wantRejected(t *testing.T, tok string, got Claims, err error) {
	t.Helper()
	if err == nil || got != (Claims{}) ||
		!errors.Is(err, ErrMalformed) && !errors.Is(err, ErrBadMAC) && !errors.Is(err, ErrUnknownKey) {
		t.Errorf("Verify(%q) = %+v, %v, want zero Claims and a sentinel error", tok, got, err)
	}
}

func TestTamper(t *testing.T) {
	t.Parallel()
	k := testKeys(t)
	// Replacements cover the alphabet in both cases, digits outside it and
	// characters some transports introduce.
	repl := "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789+/=-_.@ \x00\xff"
	for _, c := range append(append([]Claims{}, everyday...), extreme[0]) {
		tok := k.Sign(c)
		for i := range len(tok) {
			for j := range len(repl) {
				r := repl[j]
				if r == tok[i] {
					continue
				}
				bad := tok[:i] + string(r) + tok[i+1:]
				got, err := k.Verify(bad)
				if strings.EqualFold(bad, tok) { // a change of case only
					if err != nil || got != c {
						t.Errorf("Verify(%q) = %+v, %v, want %+v, nil", bad, got, err, c)
					}
					continue
				}
				// A change in the key id byte may name an unconfigured key;
				// any other change is ErrBadMAC or ErrMalformed.
				wantRejected(t, bad, got, err)
				if errors.Is(err, ErrUnknownKey) && (i < 1 || i > 3) {
					t.Errorf("Verify(%q) = %v, want ErrBadMAC or ErrMalformed", bad, err)
				}
			}
		}
	}
}

func TestTruncate(t *testing.T) {
	t.Parallel()
	k := testKeys(t)
	for _, c := range []Claims{everyday[2], extreme[0]} {
		tok := k.Sign(c)
		for n := range len(tok) {
			for _, bad := range []string{tok[:n], tok[len(tok)-n:]} {
				got, err := k.Verify(bad)
				if err == nil || got != (Claims{}) || !errors.Is(err, ErrMalformed) && !errors.Is(err, ErrBadMAC) {
					t.Errorf("Verify(%q) = %+v, %v, want ErrMalformed or ErrBadMAC", bad, got, err)
				}
			}
		}
		for _, bad := range []string{tok + "a", tok + "aaaaaaaa", tok + tok, "a" + tok} {
			got, err := k.Verify(bad)
			wantRejected(t, bad, got, err)
		}
	}
}

func TestVerifyErrors(t *testing.T) {
	t.Parallel()
	k := testKeys(t)
	c := Claims{Ticket: 42, Recipient: 7, Nonce: 1001}
	body := []byte{version, 1, 42, 7, 0xe9, 0x07}
	// signed appends to b the MAC under the secret of kid (9 is a key
	// unknown to k) and encodes the result.
	signed := func(kid byte, b []byte) string {
		sec := map[byte][]byte{1: secret('a', 32), 2: secret('b', 48), 9: secret('z', 32)}[kid]
		return encoding.EncodeToString(append(append([]byte{}, b...), mac(sec, b)...))
	}
	nonMinimal := []byte{version, 1, 0xaa, 0x00, 7, 0xe9, 0x07} // ticket 42 in two bytes
	trailing := append(append([]byte{}, body...), 0)
	wrongVersion := append([]byte{2}, body[1:]...)
	tests := []struct {
		tok  string
		want error
	}{
		{"", ErrMalformed},
		{"dg." + k.Sign(c), ErrMalformed},
		{strings.Repeat("a", maxChars+1), ErrMalformed},
		{strings.Repeat("a", 23), ErrMalformed}, // too short to hold a token
		{strings.Repeat("a", 25), ErrMalformed}, // not a base32 length
		{signed(1, wrongVersion), ErrMalformed},
		{signed(9, append([]byte{version, 9}, body[2:]...)), ErrUnknownKey},
		{signed(2, body), ErrBadMAC}, // says key 1, signed with key 2
		{signed(1, nonMinimal), ErrMalformed},
		{signed(1, trailing), ErrMalformed},
		{signed(1, body), nil},
	}
	for _, tt := range tests {
		got, err := k.Verify(tt.tok)
		if !errors.Is(err, tt.want) || tt.want != nil && got != (Claims{}) {
			t.Errorf("Verify(%q) = %+v, %v, want %v", tt.tok, got, err, tt.want)
		}
		if tt.want == nil && got != c {
			t.Errorf("Verify(%q) = %+v, want %+v", tt.tok, got, c)
		}
	}
}

func TestNonCanonicalTail(t *testing.T) {
	t.Parallel()
	k := testKeys(t)
	// 24 bytes encode to 39 characters with 3 unused bits in the last one.
	c := Claims{Ticket: 1<<28 - 1, Recipient: 1<<28 - 1, Nonce: 1<<28 - 1}
	tok := k.Sign(c)
	if len(tok) != 39 {
		t.Fatalf("len(Sign(%+v)) = %d, want 39", c, len(tok))
	}
	last := strings.IndexByte("abcdefghijklmnopqrstuvwxyz234567", tok[38])
	for bits := 1; bits < 8; bits++ {
		bad := tok[:38] + string("abcdefghijklmnopqrstuvwxyz234567"[last|bits])
		got, err := k.Verify(bad)
		if !errors.Is(err, ErrMalformed) {
			t.Errorf("Verify(%q) = %+v, %v, want ErrMalformed", bad, got, err)
		}
	}
}

func TestKeyRotation(t *testing.T) {
	t.Parallel()
	old, err := NewKeys(1, map[byte][]byte{1: secret('a', 32)})
	if err != nil {
		t.Fatal(err)
	}
	both, err := NewKeys(2, map[byte][]byte{1: secret('a', 32), 2: secret('b', 32)})
	if err != nil {
		t.Fatal(err)
	}
	rotated, err := NewKeys(2, map[byte][]byte{2: secret('b', 32)})
	if err != nil {
		t.Fatal(err)
	}
	c := Claims{Ticket: 7, Recipient: 3, Nonce: 99}
	oldTok, newTok := old.Sign(c), both.Sign(c)
	if oldTok == newTok {
		t.Fatalf("Sign(%+v) with key 1 and key 2 = %q, want different tokens", c, oldTok)
	}
	tests := []struct {
		name string
		k    *Keys
		tok  string
		want error
	}{
		{"old key, old token", old, oldTok, nil},
		{"old key, new token", old, newTok, ErrUnknownKey},
		{"both keys, old token", both, oldTok, nil},
		{"both keys, new token", both, newTok, nil},
		{"old key removed, old token", rotated, oldTok, ErrUnknownKey},
		{"old key removed, new token", rotated, newTok, nil},
	}
	for _, tt := range tests {
		got, err := tt.k.Verify(tt.tok)
		want := c
		if tt.want != nil {
			want = Claims{}
		}
		if !errors.Is(err, tt.want) || got != want {
			t.Errorf("%s: Verify(%q) = %+v, %v, want %+v, %v", tt.name, tt.tok, got, err, want, tt.want)
		}
	}
	// Same key id, different secret: a replaced secret is a bad MAC.
	replaced, err := NewKeys(1, map[byte][]byte{1: secret('c', 32)})
	if err != nil {
		t.Fatal(err)
	}
	if got, err := replaced.Verify(oldTok); !errors.Is(err, ErrBadMAC) {
		t.Errorf("Verify(%q) with replaced secret = %+v, %v, want ErrBadMAC", oldTok, got, err)
	}
}
