package parse

import "testing"

// TestDetectedCharsetIsStable parses the same bytes the same way every
// time: chardet's DetectBest runs its recognizers concurrently and keeps
// the first of equally confident answers to arrive, so a header of bytes
// such as 0x83 'A' (no charset hint) decoded as "ƒA" or as "\uFFFDA" by
// chance, and a re-fetched email could be stored differently.
func TestDetectedCharsetIsStable(t *testing.T) {
	for _, b := range [][]byte{{0x83, 'A'}, {0xE9, 't', 0xE9}, {0xA4, 0xA4, 0xA4, 0xE5}} {
		first := headerToUTF8(b, "")
		for range 300 {
			if got := headerToUTF8(b, ""); got != first {
				t.Fatalf("headerToUTF8(%q) = %q, then %q: want one answer", b, first, got)
			}
		}
	}
}
