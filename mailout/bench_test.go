package mailout

import (
	"context"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/deskgate/deskgate/internal/smtpmem"
	"github.com/deskgate/deskgate/ticketing"
)

// benchText and benchHTML are a realistic notification body: about 3 KB of
// text and its HTML rendering.
var benchText, benchHTML = func() (string, string) {
	paras := []string{
		"Hello,",
		"thank you for contacting the Acme help desk. We have received your request and opened ticket #1234 for it. " +
			"One of our technicians will look at it shortly – usually within four business hours.",
		"Summary of your request: the printer on floor 3 jams on every job since this morning; restarting it twice did not help, " +
			"and several colleagues on the same floor see the same error on the display („Papierstau in Fach 2“).",
		"You can add information at any time by replying to this message. Please keep the ticket number in the subject " +
			"so that your reply reaches the right people. If the problem is urgent, call +49 30 1234567 between 8:00 and 18:00.",
		"While you wait: many printer problems go away after removing all paper from tray 2, fanning it and putting it back " +
			"with the printed side down. Check that the paper guides touch the stack without bending it.",
	}
	var text, html strings.Builder
	for text.Len() < 3000 {
		for _, p := range paras {
			text.WriteString(p + "\n\n")
			html.WriteString("<p>" + p + "</p>\n")
		}
	}
	text.WriteString("Kind regards\nAcme Help Desk\n")
	html.WriteString("<p>Kind regards<br>Acme Help Desk</p>\n")
	return text.String(), "<!DOCTYPE html><html><body>\n" + html.String() + "</body></html>\n"
}()

const benchInsertSQL = `
INSERT INTO outbox (ticket_id, event, automatic, recipient, message_id, from_name, from_addr, reply_to, to_addrs,
    in_reply_to, refs, subject, thread_topic, auto_submitted, language, text_body, html_body)
SELECT t.id, 'ticket_received', true, 'user' || g || '@example.com', 'bench.' || $1::int || '.' || g || '@desk.example',
    'Acme Help Desk', 'help@desk.example', 'help+t' || t.id || '.abcdef@desk.example',
    jsonb_build_array(jsonb_build_object('name', 'Customer Nummer ' || g, 'address', 'user' || g || '@example.com')),
    'orig' || g || '@mail.example.com', ARRAY['root' || t.id || '@mail.example.com', 'orig' || g || '@mail.example.com'],
    '[#' || t.id || '] Re: Printer on floor 3 jams on every job', 'Printer on floor 3 jams on every job',
    'auto-replied', 'en', $2, $3
FROM generate_series(1, $4) g JOIN tickets t ON t.id = 1 + g % 100`

// BenchmarkSend sends 2,000 queued notifications (3 KB of text plus HTML
// each, on 100 tickets) through a Sender with four workers into smtpmem,
// timed from the Sender's start until every row is recorded as sent.
func BenchmarkSend(b *testing.B) {
	const n = 2000
	e := newEnv(b, smtpmem.Options{})
	ctx := context.Background()
	for range 100 {
		e.ticket()
	}
	var total time.Duration
	sent := 0
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		if _, err := e.pool.Exec(ctx, benchInsertSQL, i, benchText, benchHTML, n); err != nil {
			b.Fatal(err)
		}
		if _, err := e.pool.Exec(ctx, `VACUUM ANALYZE outbox`); err != nil {
			b.Fatal(err)
		}
		before := len(e.srv.Messages())
		cfg := e.config()
		cfg.Workers = 4
		cfg.Poll = time.Second
		cfg.Owner = "bench"
		cfg.Breaker.Max = 1 << 30 // counted, never tripped
		s := NewSender(slog.New(slog.DiscardHandler), e.pool, cfg)
		rctx, cancel := context.WithCancel(ctx)
		done := make(chan error, 1)

		b.StartTimer()
		start := time.Now()
		go func() { done <- s.Run(rctx) }()
		wctx, wcancel := context.WithTimeout(ctx, 5*time.Minute)
		if _, err := e.srv.Wait(wctx, before+n); err != nil {
			b.Fatal(err)
		}
		wcancel()
		for e.countStatus(ticketing.OutboxSent) < sent+n {
			time.Sleep(5 * time.Millisecond)
		}
		elapsed := time.Since(start)
		b.StopTimer()

		cancel()
		if err := <-done; err != nil {
			b.Fatal(err)
		}
		total += elapsed
		sent += n
	}
	b.ReportMetric(float64(sent)/total.Seconds(), "msgs/s")
	b.ReportMetric(float64(e.srv.Connections())/float64(b.N), "conns/op")
}
