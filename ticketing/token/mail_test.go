package token

import (
	"math"
	"reflect"
	"strings"
	"testing"
)

func TestMessageID(t *testing.T) {
	t.Parallel()
	k := testKeys(t)
	c := Claims{Ticket: 1234, Recipient: 5, Nonce: 678}
	got := k.MessageID(c, "desk.example.com")
	want := "dg." + k.Sign(c) + "@desk.example.com"
	if got != want {
		t.Errorf("MessageID(%+v, %q) = %q, want %q", c, "desk.example.com", got, want)
	}
	if v, _ := k.FromMessageIDs([]string{got}, "desk.example.com"); !reflect.DeepEqual(v, []Claims{c}) {
		t.Errorf("FromMessageIDs([%q]) = %+v, want [%+v]", got, v, c)
	}
}

func TestReplyTo(t *testing.T) {
	t.Parallel()
	k := testKeys(t)
	c := Claims{Ticket: 1234, Recipient: 5, Nonce: 678}
	tok := k.Sign(c)
	huge := Claims{Ticket: math.MaxUint64, Recipient: math.MaxUint64, Nonce: math.MaxUint64}
	tests := []struct {
		c    Claims
		desk string
		want string
	}{
		{c, "desk@example.com", "desk+" + tok + "@example.com"},
		{c, "Help.Desk@Example.COM", "Help.Desk+" + tok + "@Example.COM"},
		{c, "support+it@example.com", "support+it+" + tok + "@example.com"},
		{c, "not-an-address", "not-an-address"},
		{c, "@example.com", "@example.com"},
		{c, "desk@", "desk@"},
		// 68-character token: the local part would exceed 64 octets.
		{huge, "desk@example.com", "desk@example.com"},
		// 40 characters of token leave room for a 23-character local part.
		{everyday[3], strings.Repeat("d", 23) + "@x.org", strings.Repeat("d", 23) + "+" + k.Sign(everyday[3]) + "@x.org"},
		{everyday[3], strings.Repeat("d", 24) + "@x.org", strings.Repeat("d", 24) + "@x.org"},
	}
	for _, tt := range tests {
		if got := k.ReplyTo(tt.c, tt.desk); got != tt.want {
			t.Errorf("ReplyTo(%+v, %q) = %q, want %q", tt.c, tt.desk, got, tt.want)
		}
	}
}

func TestFromAddresses(t *testing.T) {
	t.Parallel()
	k := testKeys(t)
	other, err := NewKeys(1, map[byte][]byte{1: secret('x', 32)}) // another desk's secret
	if err != nil {
		t.Fatal(err)
	}
	c1 := Claims{Ticket: 10, Recipient: 1, Nonce: 100}
	c2 := Claims{Ticket: 11, Recipient: 0, Nonce: 101}
	t1, t2 := k.Sign(c1), k.Sign(c2)
	forged := other.Sign(Claims{Ticket: 10, Recipient: 99, Nonce: 100})
	tampered := t1[:len(t1)-1] + flip(t1[len(t1)-1])

	addrs := []string{
		"alice@example.org",                            // ignored: not ours
		"desk@example.com",                             // ignored: the bare desk address
		"desk+" + forged + "@example.com",              // invalid: another secret
		"DESK+" + strings.ToUpper(t1) + "@EXAMPLE.COM", // valid: MTA upper-cased it
		"desk+" + t1 + "@example.com",                  // duplicate of c1
		"other+" + t2 + "@example.com",                 // ignored: other local part
		"desks+" + t2 + "@example.com",                 // ignored: local part only starts alike
		"desk+" + t2 + "@example.org",                  // ignored: foreign domain
		"desk+" + t2 + "@mail.example.com",             // ignored: subdomain is foreign too
		"desk-" + t2 + "@example.com",                  // ignored: not a plus-address
		" <desk+" + t2 + "@example.com> ",              // valid: brackets and space
		"desk+" + tampered + "@example.com",            // invalid: bad MAC
		"desk+hello@example.com",                       // invalid: malformed
		"desk+hello@example.com",                       // duplicate invalid
		"desk+@example.com",                            // invalid: empty token
		"desk+" + t2,                                   // ignored: no domain
		"",                                             // ignored
	}
	gotValid, gotInvalid := k.FromAddresses(addrs, "desk@example.com")
	wantValid := []Claims{c1, c2}
	wantInvalid := []string{
		"desk+" + forged + "@example.com",
		"desk+" + tampered + "@example.com",
		"desk+hello@example.com",
		"desk+@example.com",
	}
	if !reflect.DeepEqual(gotValid, wantValid) || !reflect.DeepEqual(gotInvalid, wantInvalid) {
		t.Errorf("FromAddresses(%q) =\n  %+v,\n  %q,\nwant\n  %+v,\n  %q", addrs, gotValid, gotInvalid, wantValid, wantInvalid)
	}

	// A desk address that already has a "+" in its local part.
	plus := "support+it@example.com"
	addrs = []string{k.ReplyTo(c1, plus), "support+" + t2 + "@example.com"}
	gotValid, gotInvalid = k.FromAddresses(addrs, plus)
	if !reflect.DeepEqual(gotValid, []Claims{c1}) || gotInvalid != nil {
		t.Errorf("FromAddresses(%q, %q) = %+v, %q, want [%+v], nil", addrs, plus, gotValid, gotInvalid, c1)
	}

	// A malformed desk address matches nothing.
	if v, inv := k.FromAddresses([]string{"desk+" + t1 + "@example.com"}, "desk"); v != nil || inv != nil {
		t.Errorf("FromAddresses(..., %q) = %+v, %q, want nil, nil", "desk", v, inv)
	}
}

func TestFromMessageIDs(t *testing.T) {
	t.Parallel()
	k := testKeys(t)
	other, err := NewKeys(1, map[byte][]byte{1: secret('x', 32)})
	if err != nil {
		t.Fatal(err)
	}
	retired, err := NewKeys(7, map[byte][]byte{7: secret('r', 32)}) // key id k does not know
	if err != nil {
		t.Fatal(err)
	}
	const domain = "desk.example.com"
	c1 := Claims{Ticket: 20, Recipient: 3, Nonce: 200}
	c2 := Claims{Ticket: 21, Recipient: 4, Nonce: 201}
	c3 := Claims{Ticket: 20, Recipient: 3, Nonce: 202}
	forged := other.MessageID(Claims{Ticket: 20, Recipient: 1, Nonce: 200}, domain)
	oldKey := retired.MessageID(c1, domain)

	ids := []string{
		k.MessageID(c2, domain),                  // valid (In-Reply-To)
		"CAF=abc123@mail.gmail.com",              // ignored: foreign id
		forged,                                   // invalid: another secret
		"<" + k.MessageID(c1, domain) + ">",      // valid, in brackets
		strings.ToUpper(k.MessageID(c3, domain)), // valid, upper-cased
		k.MessageID(c2, domain),                  // duplicate
		k.MessageID(c1, "other.example.com"),     // ignored: foreign domain
		k.Sign(c1) + "@" + domain,                // ignored: no dg. prefix
		"x" + k.MessageID(c1, domain),            // ignored: prefix not at start
		"dg.nonsense@" + domain,                  // invalid: malformed
		oldKey,                                   // invalid: unknown key id
		"dg." + k.Sign(c1),                       // ignored: no domain
		"",                                       // ignored
	}
	gotValid, gotInvalid := k.FromMessageIDs(ids, domain)
	wantValid := []Claims{c2, c1, c3}
	wantInvalid := []string{forged, "dg.nonsense@" + domain, oldKey}
	if !reflect.DeepEqual(gotValid, wantValid) || !reflect.DeepEqual(gotInvalid, wantInvalid) {
		t.Errorf("FromMessageIDs(%q) =\n  %+v,\n  %q,\nwant\n  %+v,\n  %q", ids, gotValid, gotInvalid, wantValid, wantInvalid)
	}
	if v, inv := k.FromMessageIDs(nil, domain); v != nil || inv != nil {
		t.Errorf("FromMessageIDs(nil) = %+v, %q, want nil, nil", v, inv)
	}
}

// flip returns a different base32 character than c.
func flip(c byte) string {
	if c == 'a' {
		return "b"
	}
	return "a"
}
