package main

import (
	"context"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/deskgate/deskgate/config"
)

// TestRetentionKeepsWebhookCounts: serve's retention job removes finished
// webhook deliveries a month old, also with retention.closed_tickets_after
// unset, and deskgate_webhook_deliveries, as /metrics reads it, shows the
// same count before and after, and goes on counting.
func TestRetentionKeepsWebhookCounts(t *testing.T) {
	ctx := context.Background()
	pool := useDatabase(t)
	hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	defer hook.Close()
	cfg, err := config.Parse([]byte(demoYAML("127.0.0.1:1", "127.0.0.1:1", "help@desk.example", "pw")+`
webhooks:
  - {name: crm, url: "`+hook.URL+`", secret: whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw, events: [ticket.created]}
`), "test configuration", nil)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Retention.ClosedTicketsAfter != 0 || cfg.Retention.WebhookDeliveriesAfter != 720*time.Hour {
		t.Fatalf("retention = %+v, want tickets kept and webhook deliveries for 720h", cfg.Retention)
	}
	var log lockedBuffer
	logger := slog.New(slog.NewTextHandler(&log, nil))
	sender, err := webhooks(ctx, cfg, pool, "test", logger)
	if err != nil {
		t.Fatal(err)
	}
	sender.Poll = 5 * time.Millisecond
	runCtx, stop := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- sender.Run(runCtx) }()
	defer func() {
		stop()
		<-done
	}()
	created := func(from, to int) {
		t.Helper()
		for _, q := range []string{
			`INSERT INTO tickets (id, subject, requester_addr, received_at) SELECT i, 'Subject ' || i, 'c' || i || '@example.se', now()
			 FROM generate_series($1::int, $2::int) AS i`,
			`INSERT INTO events (ticket_id, actor, kind, detail) SELECT i, 'deskgate', 'ticket.created', '{}'
			 FROM generate_series($1::int, $2::int) AS i`,
		} {
			if _, err := pool.Exec(ctx, q, from, to); err != nil {
				t.Fatal(err)
			}
		}
	}
	// sent scrapes the desk's state as /metrics does (a new registry: each
	// caches its reading for seconds) until crm's sent deliveries reach
	// want.
	sent := func(want float64) float64 {
		t.Helper()
		deadline := time.Now().Add(30 * time.Second)
		for {
			reg, _ := newRegistry(cfg, pool, "test")
			fams, err := reg.Gather()
			if err != nil {
				t.Fatal(err)
			}
			var got float64
			for _, f := range fams {
				if f.GetName() != "deskgate_webhook_deliveries" {
					continue
				}
				for _, m := range f.GetMetric() {
					labels := map[string]string{}
					for _, l := range m.GetLabel() {
						labels[l.GetName()] = l.GetValue()
					}
					if labels["endpoint"] == "crm" && labels["outcome"] == "sent" {
						got = m.GetGauge().GetValue()
					}
				}
			}
			if got >= want || time.Now().After(deadline) {
				return got
			}
			time.Sleep(10 * time.Millisecond)
		}
	}

	created(1, 30)
	if got := sent(30); got != 30 {
		t.Fatalf("deskgate_webhook_deliveries{endpoint=crm,outcome=sent} = %v, want 30", got)
	}
	created(31, 32) // not yet sent when the month has passed, or sent just now
	if _, err := pool.Exec(ctx, `UPDATE webhook_deliveries SET created_at = created_at - interval '31 days' WHERE ticket_id <= 30`); err != nil {
		t.Fatal(err)
	}
	retainOnce(ctx, pool, cfg.Retention, logger)
	var old, left int
	if err := pool.QueryRow(ctx, `SELECT count(*) FILTER (WHERE ticket_id <= 30), count(*) FROM webhook_deliveries`).Scan(&old, &left); err != nil {
		t.Fatal(err)
	}
	if old != 0 || left != 2 {
		t.Errorf("after retention: %d deliveries older than a month and %d in all, want 0 and the 2 recent", old, left)
	}
	if !strings.Contains(log.String(), `msg="retention removed finished webhook deliveries" deliveries=30`) {
		t.Errorf("retention logged\n%s\nwant the 30 deliveries it removed", log.String())
	}
	if got := sent(32); got != 32 {
		t.Errorf("deskgate_webhook_deliveries{endpoint=crm,outcome=sent} after retention = %v, want 32: the 30 removed and 2 more", got)
	}
	created(33, 35)
	if got := sent(35); got != 35 {
		t.Errorf("deskgate_webhook_deliveries{endpoint=crm,outcome=sent} = %v, want 35", got)
	}
}
