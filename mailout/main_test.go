package mailout

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/deskgate/deskgate/internal/dbtest"
	"github.com/deskgate/deskgate/internal/smtpmem"
	"github.com/deskgate/deskgate/ticketing"
)

func TestMain(m *testing.M) {
	if os.Getenv(senderRoleEnv) != "" {
		os.Exit(senderProcess())
	}
	os.Exit(dbtest.Main(m))
}

// env is one test's database and SMTP server.
type env struct {
	t    testing.TB
	pool *pgxpool.Pool
	srv  *smtpmem.Server
	logs *logRecorder
	text *syncBuffer // every log line, as text
}

func newEnv(t testing.TB, opts smtpmem.Options) *env {
	t.Helper()
	pool := dbtest.Pool(t)
	srv, err := smtpmem.Start(opts)
	if err != nil {
		t.Fatalf("smtpmem.Start() = %v", err)
	}
	t.Cleanup(func() { srv.Close() })
	return &env{t: t, pool: pool, srv: srv, logs: &logRecorder{}, text: &syncBuffer{}}
}

// config is a SenderConfig for e's server with fast polling and back-off.
func (e *env) config() SenderConfig {
	return SenderConfig{
		SMTP:      Config{Host: "127.0.0.1", Port: e.srv.Port(), TLS: TLSPlain, Timeout: 5 * time.Second},
		Workers:   2,
		Owner:     "owner-" + e.t.Name(),
		Poll:      20 * time.Millisecond,
		RetryBase: 10 * time.Millisecond,
		RetryMax:  100 * time.Millisecond,
	}
}

// logger returns a logger that writes to the test log and records records.
func (e *env) logger() *slog.Logger {
	return slog.New(&recordingHandler{
		Handler: slog.NewTextHandler(io.MultiWriter(e.t.Output(), e.text), &slog.HandlerOptions{Level: slog.LevelDebug}),
		rec:     e.logs,
	})
}

// start runs a Sender for cfg until the test ends or stop is called; stop
// returns Run's result.
func (e *env) start(cfg SenderConfig) (s *Sender, stop func() error) {
	e.t.Helper()
	s = NewSender(e.logger(), e.pool, cfg)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Run(ctx) }()
	var once sync.Once
	var err error
	stop = func() error {
		once.Do(func() {
			cancel()
			select {
			case err = <-done:
			case <-time.After(15 * time.Second):
				err = fmt.Errorf("Run did not return 15s after cancel")
			}
		})
		return err
	}
	e.t.Cleanup(func() {
		if err := stop(); err != nil {
			e.t.Errorf("Sender.Run() = %v, want nil", err)
		}
	})
	return s, stop
}

// row is an outbox row to insert; zero fields get defaults.
type row struct {
	ticket    int64
	automatic bool
	messageID string
	to        []ticketing.Address
	cc        []ticketing.Address
	subject   string
	text      string
	html      string
	createdAt time.Time
	notify    bool // SELECT pg_notify(OutboxChannel) in the inserting transaction
}

var seq struct {
	sync.Mutex
	n int
}

func nextSeq() int {
	seq.Lock()
	defer seq.Unlock()
	seq.n++
	return seq.n
}

const insertRowSQL = `
INSERT INTO outbox (ticket_id, event, automatic, recipient, message_id, from_name, from_addr, to_addrs, cc_addrs,
    subject, text_body, html_body, created_at)
VALUES ($1, 'test', $2, $3, $4, 'Help Desk', 'help@desk.example', $5::jsonb, $6::jsonb, $7, $8, $9, coalesce($10, now()))
RETURNING id`

// insert inserts rows and returns their ids.
func (e *env) insert(rows ...row) []int64 {
	e.t.Helper()
	ctx := context.Background()
	var ids []int64
	err := pgx.BeginFunc(ctx, e.pool, func(tx pgx.Tx) error {
		notify := false
		for _, r := range rows {
			i := nextSeq()
			if r.messageID == "" {
				r.messageID = fmt.Sprintf("m%d.%d@desk.example", i, time.Now().UnixNano())
			}
			if r.to == nil {
				r.to = []ticketing.Address{{Name: "Customer", Address: fmt.Sprintf("c%d@example.com", i)}}
			}
			if r.subject == "" {
				r.subject = fmt.Sprintf("[#%d] Your request", i)
			}
			if r.text == "" {
				r.text = "Hello,\n\nwe have received your request.\n"
			}
			to, _ := json.Marshal(r.to)
			cc, _ := json.Marshal(append([]ticketing.Address{}, r.cc...))
			var ticket, created any
			if r.ticket != 0 {
				ticket = r.ticket
			}
			if !r.createdAt.IsZero() {
				created = r.createdAt
			}
			recipient := ""
			if len(r.to) > 0 {
				recipient = strings.ToLower(r.to[0].Address)
			}
			var id int64
			if err := tx.QueryRow(ctx, insertRowSQL, ticket, r.automatic, recipient, r.messageID, string(to), string(cc),
				r.subject, r.text, r.html, created).Scan(&id); err != nil {
				return err
			}
			ids = append(ids, id)
			notify = notify || r.notify
		}
		if notify {
			_, err := tx.Exec(ctx, `SELECT pg_notify($1, '')`, ticketing.OutboxChannel)
			return err
		}
		return nil
	})
	if err != nil {
		e.t.Fatalf("inserting outbox rows: %v", err)
	}
	return ids
}

// ticket inserts a ticket and returns its id.
func (e *env) ticket() int64 {
	e.t.Helper()
	var id int64
	err := e.pool.QueryRow(context.Background(),
		`INSERT INTO tickets (subject, requester_addr, received_at) VALUES ('Printer', 'c@example.com', now()) RETURNING id`).Scan(&id)
	if err != nil {
		e.t.Fatalf("inserting ticket: %v", err)
	}
	return id
}

// outboxRow is the state of one outbox row.
type outboxRow struct {
	Status        string
	Attempts      int
	Reply         string
	MessageID     string
	NextAttemptAt time.Time
	CreatedAt     time.Time
	SentAt        *time.Time
	LeaseOwner    *string
}

func (e *env) row(id int64) outboxRow {
	e.t.Helper()
	var r outboxRow
	err := e.pool.QueryRow(context.Background(),
		`SELECT status, attempts, reply, message_id, next_attempt_at, created_at, sent_at, lease_owner FROM outbox WHERE id = $1`, id).
		Scan(&r.Status, &r.Attempts, &r.Reply, &r.MessageID, &r.NextAttemptAt, &r.CreatedAt, &r.SentAt, &r.LeaseOwner)
	if err != nil {
		e.t.Fatalf("reading outbox row %d: %v", id, err)
	}
	return r
}

// waitRow waits until row id satisfies ok and returns it.
func (e *env) waitRow(id int64, timeout time.Duration, what string, ok func(outboxRow) bool) outboxRow {
	e.t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		r := e.row(id)
		if ok(r) {
			return r
		}
		if time.Now().After(deadline) {
			e.t.Fatalf("outbox row %d = %+v after %v, want %s", id, r, timeout, what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func (e *env) waitStatus(id int64, status string, timeout time.Duration) outboxRow {
	e.t.Helper()
	return e.waitRow(id, timeout, "status "+status, func(r outboxRow) bool { return r.Status == status })
}

// countStatus returns how many outbox rows have status.
func (e *env) countStatus(status string) int {
	e.t.Helper()
	var n int
	if err := e.pool.QueryRow(context.Background(), `SELECT count(*) FROM outbox WHERE status = $1`, status).Scan(&n); err != nil {
		e.t.Fatalf("counting outbox rows: %v", err)
	}
	return n
}

// events returns the kinds and details of ticket's events.
func (e *env) events(ticket int64) (kinds []string, details []map[string]any) {
	e.t.Helper()
	rows, err := e.pool.Query(context.Background(), `SELECT kind, detail FROM events WHERE ticket_id = $1 ORDER BY id`, ticket)
	if err != nil {
		e.t.Fatalf("reading events: %v", err)
	}
	defer rows.Close()
	for rows.Next() {
		var k string
		var d map[string]any
		if err := rows.Scan(&k, &d); err != nil {
			e.t.Fatalf("reading events: %v", err)
		}
		kinds, details = append(kinds, k), append(details, d)
	}
	return kinds, details
}

// wait waits for n messages at the server.
func (e *env) wait(n int, timeout time.Duration) []smtpmem.Message {
	e.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	msgs, err := e.srv.Wait(ctx, n)
	if err != nil {
		e.t.Fatalf("smtpmem Wait(%d) = %d messages, %v", n, len(msgs), err)
	}
	return msgs
}

// messageID returns the Message-ID header of raw, without angle brackets.
func messageID(raw []byte) string {
	for _, line := range strings.Split(string(raw), "\r\n") {
		if v, ok := strings.CutPrefix(line, "Message-ID: "); ok {
			return strings.Trim(v, "<>")
		}
		if line == "" {
			break
		}
	}
	return ""
}

// logRecorder keeps log records as "LEVEL message".
type logRecorder struct {
	mu      sync.Mutex
	records []string
}

func (r *logRecorder) count(level slog.Level, prefix string) int {
	r.mu.Lock()
	defer r.mu.Unlock()
	n := 0
	for _, s := range r.records {
		if strings.HasPrefix(s, level.String()+" "+prefix) {
			n++
		}
	}
	return n
}

type recordingHandler struct {
	slog.Handler
	rec *logRecorder
}

func (h *recordingHandler) Handle(ctx context.Context, r slog.Record) error {
	h.rec.mu.Lock()
	h.rec.records = append(h.rec.records, r.Level.String()+" "+r.Message)
	h.rec.mu.Unlock()
	return h.Handler.Handle(ctx, r)
}

func (h *recordingHandler) WithAttrs(as []slog.Attr) slog.Handler {
	return &recordingHandler{Handler: h.Handler.WithAttrs(as), rec: h.rec}
}

func (h *recordingHandler) WithGroup(name string) slog.Handler {
	return &recordingHandler{Handler: h.Handler.WithGroup(name), rec: h.rec}
}

// syncBuffer is a bytes.Buffer for concurrent writers.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}
