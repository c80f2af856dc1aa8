package ticketing_test

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/deskgate/deskgate/internal/dbtest"
	"github.com/deskgate/deskgate/templates"
	"github.com/deskgate/deskgate/ticketing"
)

// hugeQuotes is the mail of the issue: 24 MB of `"`, which HTML escaping
// turns into 120 MB.
func hugeQuotes(capture int64) ticketing.Inbound {
	in := human(capture, "huge@example.se", "Look at this")
	in.Text = strings.Repeat(`"`, 24<<20)
	in.NewText = in.Text
	return in
}

func TestHugeRequesterMailStaysWithinTheTextBudget(t *testing.T) {
	t.Parallel()
	pool := dbtest.Pool(t)
	desk, _ := notifyingDesk(t)
	receiveWith(t, pool, desk, hugeQuotes(capture(t, pool, "support", 1)))
	if err := ticketing.RenderQueued(context.Background(), pool); err != nil {
		t.Fatal(err)
	}
	var html []string
	rows, err := pool.Query(context.Background(), `SELECT html_body FROM outbox WHERE event = 'new-ticket' ORDER BY id`)
	if err == nil {
		for rows.Next() {
			var h string
			if err = rows.Scan(&h); err != nil {
				break
			}
			html = append(html, h)
		}
		rows.Close()
	}
	if err != nil {
		t.Fatal(err)
	}
	budget := ticketing.DefaultTextBudget
	omitted := 24<<20 - budget
	marker := fmt.Sprintf("[… %d KB more in the ticket]", (omitted+999)/1000)
	var n int
	for _, r := range outbox(t, pool) {
		if r.Event != templates.NewTicket {
			continue
		}
		if len(r.Text) > budget+4096 || !strings.Contains(r.Text, marker) {
			t.Errorf("new-ticket text to %s: %d bytes, marker %v; want at most the budget %d + 4 KB, ending in %q",
				r.Recipient, len(r.Text), strings.Contains(r.Text, marker), budget, marker)
		}
		if h := html[n]; len(h) > 6*budget+8192 || !strings.Contains(h, marker) {
			t.Errorf("new-ticket HTML to %s: %d bytes, marker %v; want at most 6 × the budget + 8 KB with %q",
				r.Recipient, len(h), strings.Contains(h, marker), marker)
		}
		n++
	}
	if n != 2 {
		t.Errorf("new-ticket mails = %d, want 2 (Ada and Bo)", n)
	}
}

// BenchmarkHugeRequesterMail receives the 24 MB mail of the issue, one and
// four in a batch, each queueing its acknowledgement and the new-ticket
// mail to two agents; run with -benchmem for the bytes allocated per batch.
func BenchmarkHugeRequesterMail(b *testing.B) {
	for _, batch := range []int{1, 4} {
		b.Run(fmt.Sprintf("mails=%d", batch), func(b *testing.B) {
			pool := dbtest.Pool(b)
			ctx := context.Background()
			desk, _ := notifyingDesk(b)
			captures := seedCaptures(b, pool, b.N*batch)
			ins := make([]ticketing.Inbound, batch)
			for k := range ins {
				ins[k] = hugeQuotes(0)
				ins[k].From.Address = fmt.Sprintf("sender%d@example.se", k)
			}
			b.ReportAllocs()
			b.ResetTimer()
			for i := range b.N {
				for k := range ins {
					ins[k].CaptureID, ins[k].MessageID = captures[i*batch+k], fmt.Sprintf("huge-%d-%d@example.se", i, k)
				}
				err := pgx.BeginFunc(ctx, pool, func(tx pgx.Tx) error {
					_, err := desk.Receive(ctx, tx, ins)
					return err
				})
				if err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func TestRelayedAttachmentsWithinBudget(t *testing.T) {
	t.Parallel()
	pool := dbtest.Pool(t)
	desk, _ := notifyingDeskWith(t, func(nc *ticketing.NotifyConfig) {
		nc.Events[templates.AgentReply] = ticketing.EventRule{Enabled: true, To: []string{"requester", "cc"}}
		nc.AttachmentBudget = 1000
	})
	o := receiveWith(t, pool, desk, human(capture(t, pool, "support", 1), "q@example.se", "VPN"))[0]
	var msgID string
	for _, r := range outbox(t, pool) {
		if r.Event == templates.NewTicket && r.Recipient == "ada@desk.example" {
			msgID = r.MessageID
		}
	}
	in := human(capture(t, pool, "support", 2), "ada-1@desk.example", "Re: VPN")
	in.From = ticketing.Address{Name: "Ada", Address: "ada@desk.example"}
	in.InReplyTo = []string{msgID}
	in.Text, in.NewText = "Here are the files.", "Here are the files."
	file := func(name string, size int) ticketing.Attachment {
		return ticketing.Attachment{Filename: name, ContentType: "application/octet-stream", Data: []byte(strings.Repeat(name[:1], size))}
	}
	in.Attachments = []ticketing.Attachment{file("a.pdf", 600), file("big.zip", 1500), file("c.txt", 300)}
	if got := receiveWith(t, pool, desk, in)[0]; got.TicketID != o.TicketID {
		t.Fatalf("Ada's reply joined ticket %d, want %d", got.TicketID, o.TicketID)
	}
	ns, err := ticketing.ClaimNotifications(context.Background(), pool, "test", time.Minute, 50, true)
	if err == nil {
		ns, err = desk.RenderClaimed(context.Background(), pool, "test", ns)
	}
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range ns {
		if n.Event != templates.AgentReply {
			continue
		}
		if err := n.LoadAttachments(context.Background(), pool); err != nil {
			t.Fatal(err)
		}
		var names []string
		for _, a := range n.Attachments {
			names = append(names, a.Filename)
		}
		if !slices.Equal(names, []string{"a.pdf", "c.txt"}) {
			t.Errorf("relayed attachments = %q, want a.pdf and c.txt (900 bytes of a 1000-byte budget)", names)
		}
		if !strings.Contains(n.Text, "big.zip (2 KB)") || !strings.Contains(n.HTML, "big.zip (2 KB)") {
			t.Errorf("relayed reply does not list big.zip by name and size:\n%s", n.Text)
		}
		return
	}
	t.Errorf("no relayed reply among %d claimed notifications", len(ns))
}
