package mailin

import (
	"context"
	"crypto/sha256"
	"fmt"
	"log/slog"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/deskgate/deskgate/internal/dbtest"
	"github.com/deskgate/deskgate/internal/imapmem"
)

func TestMain(m *testing.M) { os.Exit(dbtest.Main(m)) }

// env is one test's database and IMAP server.
type env struct {
	t    testing.TB
	pool *pgxpool.Pool
	srv  *imapmem.Server
	mb   Mailbox
	logs *logCount
}

func newEnv(t testing.TB, opts imapmem.Options) *env {
	t.Helper()
	pool := dbtest.Pool(t)
	if opts.Username == "" {
		opts.Username = "desk@example.com"
	}
	if opts.Password == "" && opts.OAuth2Token == "" {
		opts.Password = "secret"
	}
	srv, err := imapmem.Start(opts)
	if err != nil {
		t.Fatalf("imapmem.Start() = %v", err)
	}
	t.Cleanup(func() { srv.Close() })
	return &env{
		t: t, pool: pool, srv: srv, logs: &logCount{},
		mb: Mailbox{
			Name: "desk", Addr: srv.Addr(), TLS: TLSPlain,
			Username: opts.Username, Password: opts.Password, OAuth2Token: opts.OAuth2Token,
			LeaseTTL: time.Second, CommandTimeout: 10 * time.Second, PollInterval: 200 * time.Millisecond,
		},
	}
}

// logger writes to the test's output and counts into e.logs.
func (e *env) logger() *slog.Logger {
	return slog.New(&countingHandler{Handler: slog.NewTextHandler(e.t.Output(), &slog.HandlerOptions{Level: slog.LevelDebug}), n: e.logs})
}

// syncer builds a Syncer for e.mb with fast back-off.
func (e *env) syncer(owner string) *Syncer {
	s := NewSyncer(e.pool, e.mb, owner, e.logger(), nil, nil)
	s.backoffBase = 20 * time.Millisecond
	return s
}

// start runs s until the returned stop is called (or the test ends) and
// returns Run's result from stop.
func (e *env) start(s *Syncer) (stop func() error) {
	return e.startWith(context.Background(), s)
}

// startWith is start with a parent context.
func (e *env) startWith(parent context.Context, s *Syncer) (stop func() error) {
	ctx, cancel := context.WithCancel(parent)
	done := make(chan error, 1)
	go func() { done <- s.Run(ctx) }()
	var once sync.Once
	var err error
	stop = func() error {
		once.Do(func() {
			cancel()
			select {
			case err = <-done:
			case <-time.After(10 * time.Second):
				err = fmt.Errorf("Run did not return 10s after cancel")
			}
		})
		return err
	}
	e.t.Cleanup(func() {
		if err := stop(); err != nil {
			e.t.Errorf("Syncer.Run() = %v, want nil", err)
		}
	})
	return stop
}

func (e *env) append(folder string, raw []byte) uint32 {
	e.t.Helper()
	uid, err := e.srv.Append(folder, raw)
	if err != nil {
		e.t.Fatalf("Append(%q) = %v", folder, err)
	}
	return uid
}

// inboundRow is a captured row.
type inboundRow struct {
	UIDValidity  int64
	UID          int64
	SHA256       []byte
	Size         int64
	InternalDate *time.Time
	Raw          []byte
	Truncated    bool
	Reason       string
}

func (e *env) rows() []inboundRow {
	e.t.Helper()
	rows, err := e.pool.Query(context.Background(),
		`SELECT uidvalidity, uid, sha256, size, internal_date, raw, truncated, reason FROM inbound ORDER BY id`)
	if err != nil {
		e.t.Fatalf("query inbound: %v", err)
	}
	out, err := pgx.CollectRows(rows, pgx.RowToStructByPos[inboundRow])
	if err != nil {
		e.t.Fatalf("query inbound: %v", err)
	}
	return out
}

func (e *env) count() int {
	e.t.Helper()
	var n int
	if err := e.pool.QueryRow(context.Background(), `SELECT count(*) FROM inbound`).Scan(&n); err != nil {
		e.t.Fatalf("count inbound: %v", err)
	}
	return n
}

// waitCount waits until inbound has exactly n rows and returns how long it took.
func (e *env) waitCount(n int, timeout time.Duration) time.Duration {
	e.t.Helper()
	start := time.Now()
	for {
		got := e.count()
		if got == n {
			return time.Since(start)
		}
		if time.Since(start) > timeout {
			e.t.Fatalf("count(inbound) = %d after %v, want %d", got, timeout, n)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func (e *env) cursor() (validity, last int64, owner string) {
	e.t.Helper()
	var o *string
	err := e.pool.QueryRow(context.Background(),
		`SELECT uidvalidity, last_uid, lease_owner FROM mailboxes WHERE name = $1`, e.mb.Name).Scan(&validity, &last, &o)
	if err != nil && err != pgx.ErrNoRows {
		e.t.Fatalf("query mailboxes: %v", err)
	}
	if o != nil {
		owner = *o
	}
	return validity, last, owner
}

// eventually retries f until it returns nil or timeout passes.
func eventually(t testing.TB, timeout time.Duration, f func() error) {
	t.Helper()
	start := time.Now()
	for {
		err := f()
		if err == nil {
			return
		}
		if time.Since(start) > timeout {
			t.Fatal(err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// message returns a small distinct test message.
func message(i int, extra string) []byte {
	return fmt.Appendf(nil, "From: Customer %d <c%d@example.com>\r\nTo: desk@example.com\r\n"+
		"Subject: Printer %d is broken\r\nMessage-ID: <m%d@example.com>\r\nDate: Mon, 2 Jun 2025 10:00:00 +0000\r\n"+
		"MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nHello, printer %d is broken.%s\r\n", i, i, i, i, i, extra)
}

func sum(b []byte) []byte { s := sha256.Sum256(b); return s[:] }

// logCount counts log records by level and keeps their text.
type logCount struct {
	warn, err atomic.Int64
	mu        sync.Mutex
	records   []string // "LEVEL message key=value ...", without the handler's attributes
}

// find returns the logged records whose text contains every one of subs.
func (l *logCount) find(subs ...string) []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	var out []string
next:
	for _, r := range l.records {
		for _, s := range subs {
			if !strings.Contains(r, s) {
				continue next
			}
		}
		out = append(out, r)
	}
	return out
}

type countingHandler struct {
	slog.Handler
	n *logCount
}

func (h *countingHandler) Handle(ctx context.Context, r slog.Record) error {
	switch {
	case r.Level >= slog.LevelError:
		h.n.err.Add(1)
	case r.Level >= slog.LevelWarn:
		h.n.warn.Add(1)
	}
	var b strings.Builder
	fmt.Fprintf(&b, "%v %s", r.Level, r.Message)
	r.Attrs(func(a slog.Attr) bool {
		fmt.Fprintf(&b, " %s=%v", a.Key, a.Value)
		return true
	})
	h.n.mu.Lock()
	h.n.records = append(h.n.records, b.String())
	h.n.mu.Unlock()
	return h.Handler.Handle(ctx, r)
}

func (h *countingHandler) WithAttrs(as []slog.Attr) slog.Handler {
	return &countingHandler{Handler: h.Handler.WithAttrs(as), n: h.n}
}

func (h *countingHandler) WithGroup(name string) slog.Handler {
	return &countingHandler{Handler: h.Handler.WithGroup(name), n: h.n}
}

// hasFlag reports whether flags holds flag; keywords are case-insensitive
// (and the memory server lower-cases them).
func hasFlag(flags []string, flag string) bool {
	for _, f := range flags {
		if strings.EqualFold(f, flag) {
			return true
		}
	}
	return false
}

// waitFlags waits until UIDs 1..n of folder carry the flag has and not the
// flag hasNot.
func (e *env) waitFlags(folder string, n uint32, has, hasNot string) {
	e.t.Helper()
	eventually(e.t, 5*time.Second, func() error {
		for uid := uint32(1); uid <= n; uid++ {
			flags, err := e.srv.Flags(folder, uid)
			if err != nil {
				return err
			}
			if !hasFlag(flags, has) || hasFlag(flags, hasNot) {
				return fmt.Errorf("Flags(%s, %d) = %q, want %s and no %s", folder, uid, flags, has, hasNot)
			}
		}
		return nil
	})
}
