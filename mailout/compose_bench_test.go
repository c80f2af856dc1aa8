package mailout

import (
	"testing"

	"github.com/deskgate/deskgate/ticketing"
)

// BenchmarkCompose composes a 3 KB text and its HTML, as an
// acknowledgement is, and the same with a 200 KB PDF, as the agents'
// mail of every tenth new ticket in BenchmarkIngest is.
func BenchmarkCompose(b *testing.B) {
	n := sample()
	n.Text, n.HTML = benchText, benchHTML
	withFile := n
	withFile.Attachments = []ticketing.Attachment{{Filename: "report.pdf", ContentType: "application/pdf", Data: randomBytes(200 << 10)}}
	for _, bc := range []struct {
		name string
		n    ticketing.Notification
	}{{"text+html", n}, {"pdf-200KB", withFile}} {
		b.Run(bc.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := Compose(bc.n, ComposeOptions{}); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
