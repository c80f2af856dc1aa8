package templates

import (
	"strings"
	"testing"
)

// BenchmarkCleanBody cleans a body quoting 20 KB of Swedish text.
func BenchmarkCleanBody(b *testing.B) {
	body := strings.Repeat("Hej! Skrivaren på våning två skriver inte ut.\r\n\r\n  \r\n", 400)
	for _, c := range []struct {
		name string
		f    func(string) string
	}{{"one-pass", cleanBody}, {"definition", cleanBodyDefinition}} {
		b.Run(c.name, func(b *testing.B) {
			b.SetBytes(int64(len(body)))
			for b.Loop() {
				c.f(body)
			}
		})
	}
}
