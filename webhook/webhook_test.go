package webhook_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/deskgate/deskgate/internal/dbtest"
	"github.com/deskgate/deskgate/ticketing"
	"github.com/deskgate/deskgate/ticketing/rules"
	"github.com/deskgate/deskgate/webhook"
)

func TestMain(m *testing.M) { os.Exit(dbtest.Main(m)) }

const secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"

// receiver is a webhook endpoint that fails, hangs and recovers as told,
// and keeps what it accepted.
type receiver struct {
	mu       sync.Mutex
	fail     int  // answer 500 to this many requests
	hang     bool // then hold the next request until the client gives up
	bad      []string
	accepted []payload
	requests int
}

type payload struct {
	id   int64  // from webhook-id
	Type string `json:"type"`
	Data struct {
		Ticket  int64           `json:"ticket"`
		EventID int64           `json:"event_id"`
		Actor   string          `json:"actor"`
		Kind    string          `json:"kind"`
		Detail  json.RawMessage `json:"detail"`
	} `json:"data"`
}

func (rc *receiver) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	rc.mu.Lock()
	rc.requests++
	if !webhook.Verify(secret, r.Header.Get("webhook-id"), r.Header.Get("webhook-timestamp"), body, r.Header.Get("webhook-signature")) {
		rc.bad = append(rc.bad, string(body))
	}
	switch {
	case rc.fail > 0:
		rc.fail--
		rc.mu.Unlock()
		http.Error(w, "down for maintenance", http.StatusInternalServerError)
		return
	case rc.hang:
		rc.hang = false
		rc.mu.Unlock()
		<-r.Context().Done() // until the sender's client gives up
		return
	}
	var p payload
	if err := json.Unmarshal(body, &p); err != nil {
		rc.bad = append(rc.bad, string(body))
	}
	p.id, _ = strconv.ParseInt(strings.TrimPrefix(r.Header.Get("webhook-id"), "msg_"), 10, 64)
	rc.accepted = append(rc.accepted, p)
	rc.mu.Unlock()
}

func capture(t *testing.T, pool *pgxpool.Pool, uid int) int64 {
	t.Helper()
	var id int64
	if err := pool.QueryRow(context.Background(), `INSERT INTO mailboxes (name) VALUES ('support') ON CONFLICT DO NOTHING;`).Scan(); err != nil &&
		!errors.Is(err, pgx.ErrNoRows) {
		t.Fatal(err)
	}
	err := pool.QueryRow(context.Background(), `INSERT INTO inbound (mailbox, uidvalidity, uid, sha256, size, raw)
		VALUES ('support', 1, $1, sha256($2::bytea), 1, $2::bytea) RETURNING id`, uid, []byte{byte(uid)}).Scan(&id)
	if err != nil {
		t.Fatal(err)
	}
	return id
}

func open(t *testing.T, pool *pgxpool.Pool, desk *ticketing.Desk, uid int, subject string) int64 {
	t.Helper()
	in := ticketing.Inbound{CaptureID: capture(t, pool, uid), Mailbox: "support", Queue: "support",
		MessageID: subject + "@example.se", From: ticketing.Address{Address: "asa@example.se"},
		To: []ticketing.Address{{Address: "help@desk.example"}}, Subject: subject, Date: time.Now(),
		Text: "Raw mail text that must never leave.", Class: ticketing.ClassHuman}
	var out []ticketing.Outcome
	err := pgx.BeginFunc(context.Background(), pool, func(tx pgx.Tx) error {
		var err error
		out, err = desk.Receive(context.Background(), tx, []ticketing.Inbound{in})
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return out[0].TicketID
}

func ptr(s string) *string { return &s }

// TestDeliveriesSurviveAFailingEndpoint runs a Sender against an endpoint
// that fails, hangs and recovers while tickets change: every change's
// events arrive, signed, in order per ticket, with no mail text; the
// changes themselves never wait for the endpoint; a rolled-back change
// sends nothing; a delivery older than the limit is given up and logged.
func TestDeliveriesSurviveAFailingEndpoint(t *testing.T) {
	ctx := context.Background()
	pool := dbtest.Pool(t)
	rc := &receiver{fail: 3, hang: true}
	srv := httptest.NewServer(rc)
	defer srv.Close()
	ep := webhook.Endpoint{Name: "crm", URL: srv.URL, Secret: secret, MaxAge: time.Hour,
		Events: []string{"ticket.created", "ticket.status_changed", "ticket.priority_changed", "message.received"}}
	desk := ticketing.NewDesk(slog.New(slog.DiscardHandler), ticketing.Config{DeskAddresses: []string{"help@desk.example"},
		Policy: ticketing.PolicyConfig{Matrix: rules.DefaultMatrix(), DefaultImpact: "Low", DefaultUrgency: "Normal"}})

	var log bytes.Buffer
	var logMu sync.Mutex
	sender := &webhook.Sender{DB: pool, Endpoints: []webhook.Endpoint{ep}, Owner: "test",
		Log:    slog.New(slog.NewTextHandler(&lockedWriter{w: &log, mu: &logMu}, nil)),
		Client: &http.Client{Timeout: 200 * time.Millisecond}, Poll: 5 * time.Millisecond,
		Backoff: func(int) time.Duration { return 5 * time.Millisecond }}
	runCtx, stop := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- sender.Run(runCtx) }()

	// Without endpoints, nothing is queued; Sync switches the trigger on.
	open(t, pool, desk, 1, "Before")
	if _, err := webhook.Sync(ctx, pool, nil); err != nil {
		t.Fatal(err)
	}
	var before int
	if err := pool.QueryRow(ctx, `SELECT count(*) FROM webhook_deliveries`).Scan(&before); err != nil || before != 0 {
		t.Fatalf("%d deliveries queued without an endpoint (%v)", before, err)
	}
	var enabled string
	if err := pool.QueryRow(ctx, `SELECT tgenabled FROM pg_trigger WHERE tgname = 'webhook_enqueue'`).Scan(&enabled); err != nil || enabled != "D" {
		t.Fatalf("without endpoints the trigger is %q (%v), want off (D)", enabled, err)
	}
	if _, err := webhook.Sync(ctx, pool, []webhook.Endpoint{ep}); err != nil {
		t.Fatal(err)
	}
	a := open(t, pool, desk, 2, "VPN down")
	b := open(t, pool, desk, 3, "Printer")
	for _, c := range []struct {
		n int64
		c ticketing.Change
	}{{a, ticketing.Change{Status: ptr("open")}}, {b, ticketing.Change{Priority: ptr("High")}},
		{a, ticketing.Change{Priority: ptr("Low")}}, {a, ticketing.Change{Status: ptr("pending")}}} {
		if err := desk.Apply(ctx, pool, c.n, "", c.c); err != nil {
			t.Fatal(err)
		}
	}
	// A change rolled back queues nothing.
	rollback := errors.New("rolled back")
	err := pgx.BeginFunc(ctx, pool, func(tx pgx.Tx) error {
		if err := desk.Apply(ctx, tx, b, "", ticketing.Change{Status: ptr("resolved")}); err != nil {
			return err
		}
		return rollback
	})
	if !errors.Is(err, rollback) {
		t.Fatal(err)
	}
	var queued int
	if err := pool.QueryRow(ctx, `SELECT count(*) FROM webhook_deliveries`).Scan(&queued); err != nil {
		t.Fatal(err)
	}
	want := 2*2 + 4 // two tickets created with their first message, four changes
	if queued != want {
		rows, _ := pool.Query(ctx, `SELECT ticket_id, kind, detail FROM events ORDER BY id`)
		evs, _ := pgx.CollectRows(rows, pgx.RowToMap)
		t.Fatalf("%d deliveries queued, want %d; events %v", queued, want, evs)
	}

	for {
		bs, err := webhook.Backlogs(ctx, pool)
		if err != nil {
			t.Fatal(err)
		}
		if len(bs) == 1 && bs[0].Queued == 0 {
			if bs[0].Sent != int64(want) || !strings.Contains(bs[0].LastError, "500") && !strings.Contains(bs[0].LastError, "Timeout") {
				t.Errorf("backlog = %+v, want %d sent and the last error", bs[0], want)
			}
			break
		}
		select {
		case err := <-done:
			t.Fatalf("Sender.Run returned early: %v", err)
		case <-time.After(10 * time.Millisecond):
		}
	}
	rc.mu.Lock()
	if len(rc.bad) > 0 {
		t.Errorf("%d deliveries with a bad signature or body: %q", len(rc.bad), rc.bad)
	}
	if rc.requests < want+4 {
		t.Errorf("%d requests, want the %d deliveries and the 4 failed attempts", rc.requests, want)
	}
	last := map[int64]int64{}
	var types []string
	for _, p := range rc.accepted {
		if p.id <= last[p.Data.Ticket] {
			t.Errorf("ticket %d: delivery %d after %d", p.Data.Ticket, p.id, last[p.Data.Ticket])
		}
		last[p.Data.Ticket] = p.id
		types = append(types, p.Type)
		if bytes.Contains(p.Data.Detail, []byte("must never leave")) {
			t.Errorf("a payload carries mail text: %s", p.Data.Detail)
		}
	}
	rc.mu.Unlock()
	for _, ev := range ep.Events {
		if !slices.Contains(types, ev) {
			t.Errorf("no %s delivered (got %v)", ev, types)
		}
	}

	// A delivery that kept failing past the limit is given up, and logged.
	if _, err := pool.Exec(ctx, `INSERT INTO webhook_deliveries (endpoint, ticket_id, event, payload, created_at, next_attempt_at, last_error)
		VALUES ('crm', $1, 'ticket.status_changed', '{}', now() - interval '2 hours', now() + interval '1 hour', 'timeout')`, a); err != nil {
		t.Fatal(err)
	}
	for {
		var status string
		if err := pool.QueryRow(ctx, `SELECT status FROM webhook_deliveries ORDER BY id DESC LIMIT 1`).Scan(&status); err != nil {
			t.Fatal(err)
		}
		if status == "given_up" {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	stop()
	if err := <-done; err != nil {
		t.Errorf("Sender.Run = %v", err)
	}
	logMu.Lock()
	if !strings.Contains(log.String(), "webhook delivery given up") {
		t.Errorf("nothing logged for the delivery given up:\n%s", log.String())
	}
	logMu.Unlock()
}

type lockedWriter struct {
	w  io.Writer
	mu *sync.Mutex
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

func TestSignature(t *testing.T) {
	// The example of the Standard Webhooks specification.
	body := []byte(`{"test": 2432232314}`)
	sig := webhook.Sign(secret, "msg_p5jXN8AQM9LWM0D4loKWxJek", time.Unix(1614265330, 0), body)
	if sig != "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=" {
		t.Errorf("Sign = %s, want the specification's v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=", sig)
	}
	if !webhook.Verify(secret, "msg_p5jXN8AQM9LWM0D4loKWxJek", "1614265330", body, "v2,x "+sig) {
		t.Error("Verify refused a valid signature among others")
	}
	if webhook.Verify(secret, "msg_p5jXN8AQM9LWM0D4loKWxJek", "1614265331", body, sig) {
		t.Error("Verify accepted another timestamp")
	}
}
