package mailin

import (
	"encoding/base64"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/deskgate/deskgate/internal/imapmem"
)

// BenchmarkSync10k captures 10,000 messages, one in ten with a 200 KB
// attachment, from a memory IMAP server; it reports messages per second.
func BenchmarkSync10k(b *testing.B) {
	const n = 10000
	attachment := base64.StdEncoding.EncodeToString(make([]byte, 200<<10))
	var wrapped strings.Builder
	for len(attachment) > 76 {
		wrapped.WriteString(attachment[:76] + "\r\n")
		attachment = attachment[76:]
	}
	wrapped.WriteString(attachment + "\r\n")
	for b.Loop() {
		b.StopTimer()
		e := newEnv(b, imapmem.Options{})
		for i := range n {
			raw := message(i, "")
			if i%10 == 0 {
				raw = fmt.Appendf(nil, "From: c%d@example.com\r\nTo: desk@example.com\r\nSubject: scan %d\r\n"+
					"Message-ID: <b%d@example.com>\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=XX\r\n\r\n"+
					"--XX\r\nContent-Type: text/plain\r\n\r\nSee attached.\r\n--XX\r\nContent-Type: application/pdf\r\n"+
					"Content-Transfer-Encoding: base64\r\nContent-Disposition: attachment; filename=scan.pdf\r\n\r\n%s--XX--\r\n",
					i, i, i, wrapped.String())
			}
			if _, err := e.srv.Append("INBOX", raw); err != nil {
				b.Fatal(err)
			}
		}
		b.StartTimer()
		start := time.Now()
		stop := e.start(e.syncer("bench"))
		for e.count() < n {
			time.Sleep(10 * time.Millisecond)
		}
		elapsed := time.Since(start)
		b.StopTimer()
		stop()
		b.ReportMetric(float64(n)/elapsed.Seconds(), "msg/s")
		b.StartTimer()
	}
}
