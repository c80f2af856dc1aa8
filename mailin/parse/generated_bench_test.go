package parse

import (
	"testing"

	"github.com/deskgate/deskgate/internal/mailgen"
)

// BenchmarkGenerated parses the first 100 messages BenchmarkIngest's
// backlog starts with (mailgen, seed 1: seven languages and charsets,
// every tenth with a 200 KB PDF), as the processor does.
func BenchmarkGenerated(b *testing.B) {
	gen := mailgen.New(mailgen.Options{Seed: 1})
	var msgs [][]byte
	size := 0
	for i := range 100 {
		msgs = append(msgs, gen.Message(i))
		size += len(msgs[i])
	}
	b.SetBytes(int64(size))
	b.ReportAllocs()
	for b.Loop() {
		for _, raw := range msgs {
			if _, err := Message(raw, Options{}); err != nil {
				b.Fatal(err)
			}
		}
	}
}
