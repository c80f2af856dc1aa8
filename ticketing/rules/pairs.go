package rules

import "strings"

// pairs is a 1024-bit set of the hashed adjacent byte pairs of a string. A
// string that contains a needle contains all of the needle's pairs, so one
// missing pair proves a substring search would fail: with many rules looking
// for different words in the same text, most are ruled out this way without
// scanning it.
type pairs [16]uint64

func pairHash(a, b byte) uint32 {
	return (uint32(a)<<8 | uint32(b)) * 0x9E3779B1 >> 22 // as in add
}

func (p *pairs) add(s string) {
	var b pairs // on the stack: no store through p in the loop
	if len(s) > 0 {
		prev := uint32(s[0])
		for _, c := range []byte(s[1:]) {
			h := (prev<<8 | uint32(c)) * 0x9E3779B1 >> 22
			b[h>>6] |= 1 << (h & 63)
			prev = uint32(c)
		}
	}
	*p = b
}

// mayContain reports whether a string with these pairs may contain a needle
// with the pair hashes hs.
func (p *pairs) mayContain(hs []uint32) bool {
	for _, h := range hs {
		if p[h>>6]&(1<<(h&63)) == 0 {
			return false
		}
	}
	return true
}

// needlePairs returns the distinct pair hashes of needle.
func needlePairs(needle string) []uint32 {
	var hs []uint32
	for i := 0; i+1 < len(needle); i++ {
		h := pairHash(needle[i], needle[i+1])
		dup := false
		for _, x := range hs {
			dup = dup || x == h
		}
		if !dup {
			hs = append(hs, h)
		}
	}
	return hs
}

// The forms of a message fact whose pairs contains caches.
const (
	asIs   = iota
	lower  // strings.ToLower
	folded // foldASCII
)

// formOf is the form of a fact read as is or lower-cased.
func formOf(lowered bool) int {
	if lowered {
		return lower
	}
	return asIs
}

// contains reports strings.Contains(v, needle) where v is message fact i in
// form k (asIs, lower or folded); hs are needle's pair hashes.
func (s *state) contains(i, k int, v, needle string, hs []uint32) bool {
	if len(v) < 128 {
		return strings.Contains(v, needle) // as fast as building the pairs
	}
	if !s.pairsDone[i][k] {
		s.pairs[i][k].add(v)
		s.pairsDone[i][k] = true
	}
	return s.pairs[i][k].mayContain(hs) && strings.Contains(v, needle)
}
