package token

import (
	"strings"
	"testing"
)

func TestRedact(t *testing.T) {
	k := fuzzKeys(t)
	c := Claims{Ticket: 42, Recipient: 7, Nonce: 99}
	tok := k.Sign(c)
	for _, tc := range []struct{ in, want string }{
		{k.MessageID(c, "desk.example"), "dg." + tok[:8] + "…@desk.example"},
		{"<" + k.MessageID(c, "desk.example") + ">", "<dg." + tok[:8] + "…@desk.example>"},
		{k.ReplyTo(c, "help@desk.example"), "help+" + tok[:8] + "…@desk.example"},
		{"550 5.1.1 <help+" + tok + "@desk.example>: unknown; also DG." + strings.ToUpper(tok) + "@desk.example",
			"550 5.1.1 <help+" + tok[:8] + "…@desk.example>: unknown; also DG." + strings.ToUpper(tok[:8]) + "…@desk.example"},
		{"help+not-a-token!!@desk.example", "help+not-a-to…@desk.example"},
		{"ada@example.com and m1.2@desk.example", "ada@example.com and m1.2@desk.example"},
		{"dg.abcdefgh@x", "dg.abcdefgh@x"},
		{"no address", "no address"},
		{"@@", "@@"},
	} {
		if got := Redact(tc.in); got != tc.want {
			t.Errorf("Redact(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func FuzzRedact(f *testing.F) {
	k := fuzzKeys(f)
	f.Add(k.MessageID(Claims{Ticket: 1}, "d.example"), uint8(0))
	f.Add("x <help+"+k.Sign(Claims{Ticket: 9})+"@d.example>, y", uint8(3))
	f.Fuzz(func(t *testing.T, s string, at uint8) {
		got := Redact(s)
		if !strings.Contains(s, "@") && got != s {
			t.Fatalf("Redact(%q) = %q, changed a string without an address", s, got)
		}
		// A token placed anywhere in s never survives whole.
		tok := k.Sign(Claims{Ticket: uint64(at) + 1, Recipient: 2, Nonce: 3})
		i := min(int(at), len(s))
		for _, carrier := range []string{" dg." + tok + "@d.example ", " help+" + tok + "@d.example "} {
			in := s[:i] + carrier + s[i:]
			if out := Redact(in); strings.Contains(out, tok) {
				t.Fatalf("Redact(%q) = %q, keeps the token", in, out)
			}
		}
	})
}
