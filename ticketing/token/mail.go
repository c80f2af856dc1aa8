package token

import (
	"slices"
	"strings"
)

// messageIDPrefix starts the local part of every signed Message-ID.
const messageIDPrefix = "dg."

// maxLocalPart is the RFC 5321 limit on the local part of an address.
const maxLocalPart = 64

// MessageID returns a Message-ID, without angle brackets, that carries the
// token for c: "dg.<token>@domain".
func (k *Keys) MessageID(c Claims, domain string) string {
	return messageIDPrefix + k.Sign(c) + "@" + domain
}

// ReplyTo returns the plus-address of deskAddress ("local@domain") that
// carries the token for c: "local+<token>@domain". It returns deskAddress
// unchanged if it has no "@", or if the local part would exceed 64 octets
// (with a local part of up to 18 octets, only for ids outside the ranges
// MaxLen covers); a reply then still threads by the signed Message-ID.
func (k *Keys) ReplyTo(c Claims, deskAddress string) string {
	local, domain, ok := splitAddress(deskAddress)
	if !ok {
		return deskAddress
	}
	tok := k.Sign(c)
	if len(local)+1+len(tok) > maxLocalPart {
		return deskAddress
	}
	return local + "+" + tok + "@" + domain
}

// FromMessageIDs returns the claims of the signed Message-IDs among ids (as
// found in In-Reply-To and References, with or without angle brackets).
// Only ids on domain whose local part starts with "dg." are considered;
// others are neither valid nor invalid. Those that fail Verify are returned
// in invalid, as given, for the caller to log (Verify tells why); they must
// never be trusted. Both results keep the order of ids, so pass the strongest
// evidence first (In-Reply-To, then References newest first); repeats are
// dropped. Domains and the prefix compare case-insensitively.
func (k *Keys) FromMessageIDs(ids []string, domain string) (valid []Claims, invalid []string) {
	return k.collect(ids, func(id string) (string, bool) {
		local, d, ok := splitAddress(trimAngles(id))
		if !ok || !strings.EqualFold(d, domain) || !hasPrefixFold(local, messageIDPrefix) {
			return "", false
		}
		return local[len(messageIDPrefix):], true
	})
}

// FromAddresses returns the claims of the plus-addresses of deskAddress
// among addrs (as found in To, Cc, Delivered-To and X-Original-To; bare
// addresses, optionally in angle brackets). Only "local+<token>@domain" with
// the local part and domain of deskAddress, compared case-insensitively, is
// considered; the desk address itself and other addresses are neither valid
// nor invalid. Those that fail Verify are returned in invalid, as given, for
// the caller to log; they must never be trusted. Both results keep the order
// of addrs, so pass the strongest evidence first; repeats are dropped.
func (k *Keys) FromAddresses(addrs []string, deskAddress string) (valid []Claims, invalid []string) {
	deskLocal, deskDomain, ok := splitAddress(deskAddress)
	if !ok {
		return nil, nil
	}
	prefix := deskLocal + "+"
	return k.collect(addrs, func(a string) (string, bool) {
		local, d, ok := splitAddress(trimAngles(a))
		if !ok || !strings.EqualFold(d, deskDomain) || !hasPrefixFold(local, prefix) {
			return "", false
		}
		return local[len(prefix):], true
	})
}

// collect verifies the token that extract finds in each of items.
func (k *Keys) collect(items []string, extract func(string) (string, bool)) (valid []Claims, invalid []string) {
	for _, it := range items {
		tok, ok := extract(it)
		if !ok {
			continue
		}
		c, err := k.Verify(tok)
		switch {
		case err != nil && !slices.Contains(invalid, it):
			invalid = append(invalid, it)
		case err == nil && !slices.Contains(valid, c):
			valid = append(valid, c)
		}
	}
	return valid, invalid
}

// splitAddress splits "local@domain" at its last "@"; both parts must be
// non-empty.
func splitAddress(s string) (local, domain string, ok bool) {
	i := strings.LastIndexByte(s, '@')
	if i <= 0 || i == len(s)-1 {
		return "", "", false
	}
	return s[:i], s[i+1:], true
}

// trimAngles removes surrounding white space and one pair of angle brackets.
func trimAngles(s string) string {
	s = strings.TrimSpace(s)
	if len(s) >= 2 && s[0] == '<' && s[len(s)-1] == '>' {
		s = strings.TrimSpace(s[1 : len(s)-1])
	}
	return s
}

// hasPrefixFold reports whether s starts with prefix, ignoring case.
func hasPrefixFold(s, prefix string) bool {
	return len(s) >= len(prefix) && strings.EqualFold(s[:len(prefix)], prefix)
}
