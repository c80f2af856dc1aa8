package token

import (
	"strings"
	"testing"
	"time"
)

// TestIssuedTime: a token carries the hour it was issued; a token of the
// first version, which carries none, still verifies, with no issue time.
func TestIssuedTime(t *testing.T) {
	t.Parallel()
	k := testKeys(t)
	at := time.Date(2026, 12, 7, 13, 45, 0, 0, time.UTC)
	c := Claims{Ticket: 1234, Recipient: 5, Nonce: 98765, Issued: Hours(at)}
	got, err := k.Verify(k.Sign(c))
	if err != nil || got != c || !got.IssuedAt().Equal(at.Truncate(time.Hour)) {
		t.Errorf("Verify(Sign(%+v)) = %+v (issued %v), %v; want it back, issued %v", c, got, got.IssuedAt(), err, at.Truncate(time.Hour))
	}
	// Signed by the version before issue times, with testKeys' key 1.
	const old = "aea5ecifzwbqmbfzr3en4ggeehrbc"
	got, err = k.Verify(old)
	if want := (Claims{Ticket: 1234, Recipient: 5, Nonce: 98765}); err != nil || got != want || !got.IssuedAt().IsZero() {
		t.Errorf("Verify(%q) = %+v, %v; want %+v with no issue time", old, got, err, want)
	}
	if k.Sign(Claims{Ticket: 1234, Recipient: 5, Nonce: 98765}) != old {
		t.Errorf("Sign without an issue time no longer writes the first version")
	}
	// Within the everyday ranges and issued before 2209, a token stays
	// within MaxLen.
	for _, e := range everyday {
		e.Issued = 1<<21 - 1
		if tok := k.Sign(e); len(tok) > MaxLen {
			t.Errorf("len(Sign(%+v)) = %d, want <= %d", e, len(tok), MaxLen)
		}
	}
	// The issue time is signed: the same claims issued an hour later make
	// another token, and no version-1 token verifies as version 2.
	later := c
	later.Issued++
	if k.Sign(later) == k.Sign(c) {
		t.Errorf("Sign ignores the issue time")
	}
	b, _ := decode(old)
	b[0] = 2
	if got, err := k.Verify(strings.ToLower(encoding.EncodeToString(b))); err == nil {
		t.Errorf("a version-1 token relabelled version 2 verified: %+v", got)
	}
}
