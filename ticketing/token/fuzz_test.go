package token

import (
	"errors"
	"math"
	"strings"
	"testing"
)

// fuzzKeys has a single key, so any token that verifies was signed by the
// current key and must re-sign to itself.
func fuzzKeys(t testing.TB) *Keys {
	t.Helper()
	k, err := NewKeys(1, map[byte][]byte{1: secret('f', 32)})
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// asciiLower lower-cases the ASCII letters of s only.
func asciiLower(s string) string {
	b := []byte(s)
	for i, c := range b {
		if 'A' <= c && c <= 'Z' {
			b[i] = c + 'a' - 'A'
		}
	}
	return string(b)
}

func FuzzVerify(f *testing.F) {
	k := fuzzKeys(f)
	for _, c := range []Claims{{}, {Ticket: 1, Recipient: 2, Nonce: 3}, {Ticket: 1 << 27, Recipient: 1 << 20, Nonce: 1 << 34},
		{Ticket: math.MaxUint64, Recipient: math.MaxUint64, Nonce: math.MaxUint64}, {Ticket: 1, Recipient: 2, Nonce: 3, Issued: 494_000},
		{Ticket: math.MaxUint64, Recipient: math.MaxUint64, Nonce: math.MaxUint64, Issued: math.MaxUint64}} {
		tok := k.Sign(c)
		f.Add(tok)
		f.Add(strings.ToUpper(tok))
		f.Add(tok[:len(tok)-1])
		f.Add(tok + "a")
	}
	f.Add("")
	f.Add("dg.aaaa")
	f.Add(strings.Repeat("7", maxChars))
	f.Fuzz(func(t *testing.T, tok string) {
		got, err := k.Verify(tok)
		if err != nil {
			if got != (Claims{}) || !errors.Is(err, ErrMalformed) && !errors.Is(err, ErrUnknownKey) && !errors.Is(err, ErrBadMAC) {
				t.Fatalf("Verify(%q) = %+v, %v, want zero Claims and a sentinel error", tok, got, err)
			}
			return
		}
		if re := k.Sign(got); re != asciiLower(tok) {
			t.Fatalf("Verify(%q) = %+v, but Sign(%+v) = %q, want the same token", tok, got, got, re)
		}
	})
}

func FuzzRoundTrip(f *testing.F) {
	k := fuzzKeys(f)
	f.Add(uint64(0), uint64(0), uint64(0), uint64(0))
	f.Add(uint64(1234), uint64(5), uint64(99999), uint64(0))
	f.Add(uint64(1234), uint64(5), uint64(99999), uint64(494_000))
	f.Add(uint64(math.MaxUint64), uint64(math.MaxUint64), uint64(math.MaxUint64), uint64(math.MaxUint64))
	f.Fuzz(func(t *testing.T, ticket, recipient, nonce, issued uint64) {
		c := Claims{Ticket: ticket, Recipient: recipient, Nonce: nonce, Issued: issued}
		tok := k.Sign(c)
		if got, err := k.Verify(strings.ToUpper(tok)); err != nil || got != c {
			t.Fatalf("Verify(%q) = %+v, %v, want %+v, nil", strings.ToUpper(tok), got, err, c)
		}
		id := k.MessageID(c, "desk.example.com")
		if v, inv := k.FromMessageIDs([]string{id}, "DESK.example.com"); len(v) != 1 || v[0] != c || inv != nil {
			t.Fatalf("FromMessageIDs([%q]) = %+v, %q, want [%+v], nil", id, v, inv, c)
		}
		addr := k.ReplyTo(c, "desk@example.com")
		if addr == "desk@example.com" {
			return // token too long for a local part
		}
		if v, inv := k.FromAddresses([]string{addr}, "Desk@Example.com"); len(v) != 1 || v[0] != c || inv != nil {
			t.Fatalf("FromAddresses([%q]) = %+v, %q, want [%+v], nil", addr, v, inv, c)
		}
	})
}

func FuzzExtract(f *testing.F) {
	k := fuzzKeys(f)
	c := Claims{Ticket: 5, Recipient: 6, Nonce: 7}
	f.Add(k.ReplyTo(c, "desk@example.com"))
	f.Add(k.MessageID(c, "example.com"))
	f.Add("<dg.@example.com>")
	f.Add("desk+@@example.com")
	f.Fuzz(func(t *testing.T, s string) {
		for _, v := range [][]Claims{
			first(k.FromAddresses([]string{s}, "desk@example.com")),
			first(k.FromMessageIDs([]string{s}, "example.com")),
		} {
			for _, got := range v {
				if !strings.Contains(asciiLower(s), k.Sign(got)) {
					t.Fatalf("extracted %+v from %q, which does not carry its token", got, s)
				}
			}
		}
	})
}

// first returns the valid claims of a From* result.
func first(valid []Claims, _ []string) []Claims { return valid }
