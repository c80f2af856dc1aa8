package mailout

import (
	"bufio"
	"bytes"
	"io"
	"math/rand/v2"
	"net"
	"net/textproto"
	"testing"

	"github.com/deskgate/deskgate/ticketing"
)

// viaDot returns what net/textproto's dot-writer alone sends for data,
// terminating dot included.
func viaDot(data []byte) []byte {
	var out bytes.Buffer
	tw := textproto.NewWriter(bufio.NewWriter(&out))
	dot := tw.DotWriter()
	dot.Write(data)
	dot.Close()
	return out.Bytes()
}

// viaWriteData returns what writeData and the dot-writer send for data.
func viaWriteData(t testing.TB, data []byte) []byte {
	var out bytes.Buffer
	tw := textproto.NewWriter(bufio.NewWriterSize(&out, 16))
	dot := tw.DotWriter()
	if err := (&client{}).writeData(dot, tw.W, data); err != nil {
		t.Fatalf("writeData(%q) = %v", data, err)
	}
	dot.Close()
	return out.Bytes()
}

// randomBytes returns size bytes of a fixed pseudo-random sequence.
func randomBytes(size int) []byte {
	b := make([]byte, size)
	r := rand.New(rand.NewPCG(1, 2))
	for i := range b {
		b[i] = byte(r.Uint32())
	}
	return b
}

// mailWithFile is a composed notification carrying a file of size bytes.
func mailWithFile(t testing.TB, size int) []byte {
	n := sample()
	n.Attachments = []ticketing.Attachment{{Filename: "report.pdf", ContentType: "application/pdf", Data: randomBytes(size)}}
	raw, err := Compose(n, ComposeOptions{})
	if err != nil {
		t.Fatal(err)
	}
	return raw
}

var writeDataCases = []string{
	"", "\r\n", ".", ".\r\n", "..\r\n", "a\r\n.\r\n", "a\r\n.b\r\n.", "a\r\n..\r\n\r\n.c\r\nd",
	"a\nb\r\n", "a\r\n.b\n.c\r\n", "a\rb\r\n.c\r\n", "a\r\r\n.b\r\n", "\n.a\r\n", "a\r\nb", ".a\r\n.b\r\n",
	"a\r\n\r", "a\r\n\r\n", "\r\n\r\n.\r\n", "x\r\n\n\r\n.\r\n",
}

// TestWriteDataAsDotWriter: writeData with the dot-writer sends the bytes
// the dot-writer alone sends, for composed mail and for data with lone
// CRs and LFs, dots and no final line break.
func TestWriteDataAsDotWriter(t *testing.T) {
	t.Parallel()
	cases := append([][]byte{mailWithFile(t, 200<<10), mailWithFile(t, 10), []byte(sampleWithDots)}, nil)
	for _, s := range writeDataCases {
		cases = append(cases, []byte(s))
	}
	for _, data := range cases {
		if got, want := viaWriteData(t, data), viaDot(data); !bytes.Equal(got, want) {
			t.Errorf("writeData(%.60q…) sent %.80q…, want %.80q…", data, got, want)
		}
	}
}

// sampleWithDots has dot lines at the start, the middle and the end.
const sampleWithDots = ".first\r\nline\r\n.\r\n..\r\nmiddle\r\n.end\r\n"

func FuzzWriteData(f *testing.F) {
	for _, s := range writeDataCases {
		f.Add([]byte(s))
	}
	f.Add([]byte(sampleWithDots))
	f.Fuzz(func(t *testing.T, data []byte) {
		if got, want := viaWriteData(t, data), viaDot(data); !bytes.Equal(got, want) {
			t.Errorf("writeData(%q) sent %q, want %q", data, got, want)
		}
	})
}

// BenchmarkWriteData writes a composed mail carrying a 200 KB file as
// DATA's content over a loopback TCP connection, through the dot-writer
// alone in 64 KB pieces (as before writeData) and through writeData.
func BenchmarkWriteData(b *testing.B) {
	data := mailWithFile(b, 200<<10)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	defer ln.Close()
	go func() {
		c, err := ln.Accept()
		if err == nil {
			io.Copy(io.Discard, c)
		}
	}()
	conn, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		b.Fatal(err)
	}
	defer conn.Close()
	tw := textproto.NewWriter(bufio.NewWriter(conn))
	c := &client{}
	for _, bc := range []struct {
		name  string
		write func(dot io.Writer) error
	}{
		{"dot-writer", func(dot io.Writer) error {
			for off := 0; off < len(data); off += dataPiece {
				if _, err := dot.Write(data[off:min(off+dataPiece, len(data))]); err != nil {
					return err
				}
			}
			return nil
		}},
		{"writeData", func(dot io.Writer) error { return c.writeData(dot, tw.W, data) }},
	} {
		b.Run(bc.name, func(b *testing.B) {
			b.SetBytes(int64(len(data)))
			b.ReportAllocs()
			for b.Loop() {
				dot := tw.DotWriter()
				if err := bc.write(dot); err != nil {
					b.Fatal(err)
				}
				if err := dot.Close(); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
