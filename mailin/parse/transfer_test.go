package parse

import (
	"bytes"
	"encoding/base64"
	"math/rand/v2"
	"testing"
)

// base64Lines is data base64-encoded as mailers write it: 76-character
// lines ending in CRLF.
func base64Lines(data []byte) []byte {
	enc := base64.StdEncoding.EncodeToString(data)
	var b bytes.Buffer
	for len(enc) > 76 {
		b.WriteString(enc[:76] + "\r\n")
		enc = enc[76:]
	}
	b.WriteString(enc + "\r\n")
	return b.Bytes()
}

// FuzzDecodeBase64: the standard decoder's fast path gives what the
// lenient filter gives, for any input.
func FuzzDecodeBase64(f *testing.F) {
	for _, s := range []string{"", "\r\n", "QQ==", "QQ", "QUJD\r\nREVG\r\n", "QQ==QQ==", "Q", "QUJ\r\nD", "QU JD", "QQ=\r\n=",
		"QR==", "QUJDRA==\r\n\r\n", "#QUJD", "QUJD\n", "QUJD\r"} {
		f.Add([]byte(s))
	}
	f.Add(base64Lines([]byte("%PDF-1.4\n%%EOF\n")))
	f.Fuzz(func(t *testing.T, b []byte) {
		if got, want := decodeBase64(b), decodeBase64Lenient(b); !bytes.Equal(got, want) {
			t.Errorf("decodeBase64(%q) = %q, want %q as decodeBase64Lenient gives", b, got, want)
		}
	})
}

// BenchmarkDecodeBase64 decodes a 200 KB file as mail carries it, as
// BenchmarkIngest's every tenth message does.
func BenchmarkDecodeBase64(b *testing.B) {
	data := make([]byte, 200<<10)
	r := rand.New(rand.NewPCG(1, 2))
	for i := range data {
		data[i] = byte(r.Uint32())
	}
	enc := base64Lines(data)
	for _, bc := range []struct {
		name   string
		decode func([]byte) []byte
	}{{"lenient", decodeBase64Lenient}, {"decodeBase64", decodeBase64}} {
		b.Run(bc.name, func(b *testing.B) {
			b.SetBytes(int64(len(enc)))
			b.ReportAllocs()
			for b.Loop() {
				if out := bc.decode(enc); len(out) != len(data) {
					b.Fatalf("decoded %d bytes, want %d", len(out), len(data))
				}
			}
		})
	}
}
