package ticketing

import (
	"testing"
	"time"
)

// FuzzCursor: any cursor a client sends is parsed or refused with
// BadCursor, never a panic; one that parses makes the same cursor again.
func FuzzCursor(f *testing.F) {
	f.Add(makeCursor(42, time.Date(2026, 12, 7, 10, 0, 0, 123456000, time.UTC)))
	f.Add("")
	f.Add("MTIgMjAyNi0xMi0wN1QxMDowMDowMFo")
	f.Add("%%%")
	f.Fuzz(func(t *testing.T, c string) {
		id, at, err := parseCursor(c)
		if err != nil {
			if _, ok := err.(BadCursor); !ok {
				t.Fatalf("parseCursor(%q) = %v, want a BadCursor", c, err)
			}
			return
		}
		id2, at2, err := parseCursor(makeCursor(id, at))
		if err != nil || id2 != id || !at2.Equal(at) {
			t.Fatalf("cursor %q: (%d, %v) made again reads (%d, %v, %v)", c, id, at, id2, at2, err)
		}
	})
}
