package pgparams

import (
	"bytes"
	"runtime"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5/pgtype"
)

// arrays are large parameters as deskgate sends them: a batch's bodies and
// attachment contents.
func arrays() []any {
	texts := make([]string, 200)
	blobs := make([][]byte, 20)
	for i := range texts {
		texts[i] = strings.Repeat("body text ", 500+i)
	}
	for i := range blobs {
		blobs[i] = bytes.Repeat([]byte{byte(i)}, 100_000+i)
	}
	return []any{texts, blobs}
}

func oidOf(v any) uint32 {
	if _, ok := v.([]string); ok {
		return pgtype.TextArrayOID
	}
	return pgtype.ByteaArrayOID
}

// TestSizedEncodingIsPgxs: the encoders write the bytes pgx's own write, in
// both formats.
func TestSizedEncodingIsPgxs(t *testing.T) {
	plain, sized := pgtype.NewMap(), pgtype.NewMap()
	register(sized)
	for _, v := range append(arrays(), []string{}, [][]byte{nil, {}}, []string{"", "é", "a\"b,c{}"}) {
		for _, format := range []int16{pgtype.BinaryFormatCode, pgtype.TextFormatCode} {
			want, err := plain.Encode(oidOf(v), format, v, []byte("prefix"))
			if err != nil {
				t.Fatal(err)
			}
			got, err := sized.Encode(oidOf(v), format, v, []byte("prefix"))
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got, want) {
				t.Errorf("%T in format %d: encoded differently from pgx (%d bytes against %d)", v, format, len(got), len(want))
			}
		}
	}
}

// TestSizedEncodingAllocatesOnce: a large array is encoded into a buffer
// grown once, where pgx alone grew it a quarter at a time, copying it
// each time.
func TestSizedEncodingAllocatesOnce(t *testing.T) {
	plain, sized := pgtype.NewMap(), pgtype.NewMap()
	register(sized)
	for _, v := range arrays() {
		oid := oidOf(v)
		var n int
		allocated := func(m *pgtype.Map) float64 {
			var before, after runtime.MemStats
			runtime.ReadMemStats(&before)
			for range 10 {
				buf, err := m.Encode(oid, pgtype.BinaryFormatCode, v, make([]byte, 0, 128))
				if err != nil {
					t.Fatal(err)
				}
				n = len(buf)
			}
			runtime.ReadMemStats(&after)
			return float64(after.TotalAlloc-before.TotalAlloc) / 10 / float64(n)
		}
		pgx, ours := allocated(plain), allocated(sized)
		t.Logf("%T of %d bytes: pgx's encoder allocated %.1f times its size, ours %.1f", v, n, pgx, ours)
		limit := 1.3
		if raceEnabled {
			limit = 2.3 // with -race, slices.Grow allocates its zeroed part apart
		}
		if ours > limit {
			t.Errorf("%T: encoding allocated %.1f times the encoded size; want one buffer of about its size (pgx alone: %.1f)", v, ours, pgx)
		}
	}
}
