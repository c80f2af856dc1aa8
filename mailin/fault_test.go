package mailin

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/deskgate/deskgate/internal/imapmem"
	"github.com/deskgate/deskgate/internal/mailgen"
	"github.com/deskgate/deskgate/outage"
	"github.com/deskgate/deskgate/ticketing"
)

// dbDown makes the test's database refuse new connections and ends its
// sessions, which is what a PostgreSQL restart looks like to deskgate, and
// returns a function that lets connections in again.
func (e *env) dbDown() (up func()) {
	e.t.Helper()
	ctx := context.Background()
	cfg := e.pool.Config().ConnConfig.Copy()
	name := cfg.Database
	locker, err := pgx.ConnectConfig(ctx, cfg)
	if err != nil {
		e.t.Fatalf("connect to %s: %v", name, err)
	}
	defer locker.Close(ctx)
	cfg.Database = "postgres"
	admin, err := pgx.ConnectConfig(ctx, cfg)
	if err != nil {
		e.t.Fatalf("connect as admin: %v", err)
	}
	ident := pgx.Identifier{name}.Sanitize()
	if _, err := admin.Exec(ctx, `ALTER DATABASE `+ident+` ALLOW_CONNECTIONS false`); err != nil {
		admin.Close(ctx)
		e.t.Fatalf("disallow connections: %v", err)
	}
	// The sessions die one by one, and one that still answered between
	// two that failed would end the outage in the trackers' eyes (seen
	// under load: the outage logged twice). So the tables they use stay
	// locked until every other session is gone.
	err = pgx.BeginFunc(ctx, locker, func(tx pgx.Tx) error {
		for _, sql := range []string{
			`LOCK TABLE mailboxes, inbound IN ACCESS EXCLUSIVE MODE`,
			`SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()`,
		} {
			if _, err := tx.Exec(ctx, sql); err != nil {
				return fmt.Errorf("%s: %w", sql, err)
			}
		}
		for {
			var n int
			// A transaction sees pg_stat_activity as it was at first look.
			if _, err := tx.Exec(ctx, `SELECT pg_stat_clear_snapshot()`); err != nil {
				return err
			}
			if err := tx.QueryRow(ctx, `SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()`).Scan(&n); err != nil || n == 0 {
				return err
			}
			time.Sleep(5 * time.Millisecond)
		}
	})
	if err != nil {
		admin.Close(ctx)
		e.t.Fatal(err)
	}
	return func() {
		e.t.Helper()
		defer admin.Close(ctx)
		if _, err := admin.Exec(ctx, `ALTER DATABASE `+ident+` ALLOW_CONNECTIONS true`); err != nil {
			e.t.Fatalf("allow connections again: %v", err)
		}
	}
}

// dbOutage takes the database down, runs during (which brings mail),
// waits until the fault is logged at level and the pool has dropped every
// connection the outage broke (so that nothing fails after the database is
// back), and brings the database back.
func (e *env) dbOutage(level string, during func()) {
	e.t.Helper()
	up := e.dbDown()
	during()
	e.waitLogged(level, "source=database")
	eventually(e.t, 10*time.Second, func() error {
		if n := e.pool.Stat().TotalConns(); n != 0 {
			return fmt.Errorf("pool holds %d connections, want 0 during the outage", n)
		}
		return nil
	})
	up()
}

// waitLogged waits until a record containing every one of subs is logged.
func (e *env) waitLogged(subs ...string) {
	e.t.Helper()
	eventually(e.t, 10*time.Second, func() error {
		if len(e.logs.find(subs...)) == 0 {
			return fmt.Errorf("nothing logged with %q", subs)
		}
		return nil
	})
}

// checkLevels checks how many records of each level a source logged
// (records with "source=<source>").
func (e *env) checkLevels(source string, warn, errs, info int) {
	e.t.Helper()
	for level, want := range map[string]int{"WARN": warn, "ERROR": errs, "INFO": info} {
		if got := e.logs.find(level+" ", "source="+source); len(got) != want {
			e.t.Errorf("logged %d %s records with source=%s, want %d: %q", len(got), level, source, want, got)
		}
	}
}

// noIMAPBlame checks that nothing logged blames the IMAP server.
func (e *env) noIMAPBlame() {
	e.t.Helper()
	for _, s := range []string{"IMAP session failed", "mailbox reachable again", "source=imap"} {
		if got := e.logs.find(s); len(got) != 0 {
			e.t.Errorf("logged %q during a database outage, want nothing about IMAP", got)
		}
	}
}

func TestDatabaseBlipLoggedAsDatabase(t *testing.T) {
	t.Parallel()
	e := newEnv(t, imapmem.Options{})
	for i := range 3 {
		e.append("INBOX", message(i, ""))
	}
	s := e.syncer("a")
	e.start(s)
	e.waitCount(3, 10*time.Second)

	e.dbOutage("WARN", func() { e.append("INBOX", message(3, "")) })
	e.waitCount(4, 10*time.Second)
	e.waitLogged("INFO", "database reachable again", "source=database")
	assertUIDs(t, e, 4)

	e.checkLevels("database", 1, 0, 1)
	e.noIMAPBlame()
	if n, m := e.logs.warn.Load(), e.logs.err.Load(); n != 1 || m != 0 {
		t.Errorf("%d warnings and %d errors logged, want 1 and 0", n, m)
	}
}

func TestPersistentDatabaseOutageOneError(t *testing.T) {
	t.Parallel()
	e := newEnv(t, imapmem.Options{})
	e.append("INBOX", message(0, ""))
	s := e.syncer("a")
	s.persistent = time.Millisecond // any fault that fails twice lasts
	e.start(s)
	e.waitCount(1, 10*time.Second)

	e.dbOutage("ERROR", func() { e.append("INBOX", message(1, "")) })
	e.waitCount(2, 10*time.Second)
	e.waitLogged("INFO", "database reachable again", "source=database")
	e.checkLevels("database", 1, 1, 1)
	e.noIMAPBlame()
}

func TestNormalStopLogsNothingAboveInfo(t *testing.T) {
	t.Parallel()
	for _, move := range []bool{false, true} {
		t.Run(fmt.Sprintf("move=%v", move), func(t *testing.T) {
			t.Parallel()
			e := newEnv(t, imapmem.Options{})
			e.mb.BatchSize = 2
			if move {
				e.mb.MoveTo = "Done"
				if _, err := e.srv.Append("Done", message(999, "")); err != nil { // creates the folder
					t.Fatal(err)
				}
			}
			for i := range 400 {
				e.append("INBOX", message(i, strings.Repeat(" padding", 100)))
			}
			// Stop at many points: while connecting, fetching, storing,
			// marking, moving and idling.
			for round := range 8 {
				s := e.syncer("a")
				stop := e.start(s)
				if round%2 == 1 {
					e.waitSynced()
				}
				time.Sleep(time.Duration(round) * 15 * time.Millisecond)
				if err := stop(); err != nil {
					t.Fatalf("Run() = %v, want nil", err)
				}
			}
			s := e.syncer("a")
			e.start(s)
			e.waitCount(400, 20*time.Second)
			assertUIDs(t, e, 400)
			if n, m := e.logs.warn.Load(), e.logs.err.Load(); n != 0 || m != 0 {
				got := append(e.logs.find("WARN"), e.logs.find("ERROR")...)
				t.Errorf("%d warnings and %d errors logged, want none: %q", n, m, got[:min(len(got), 5)])
			}
		})
	}
}

func TestIMAPOutageSameUIDValidity(t *testing.T) {
	t.Parallel()
	e := newEnv(t, imapmem.Options{})
	for i := range 5 {
		e.append("INBOX", message(i, ""))
	}
	s := e.syncer("a")
	s.persistent = time.Millisecond
	e.start(s)
	e.waitCount(5, 10*time.Second)
	validity, _ := e.srv.UIDValidity("INBOX")

	if err := e.srv.Close(); err != nil {
		t.Fatal(err)
	}
	for i := 5; i < 8; i++ { // mail keeps arriving while the server is away
		e.append("INBOX", message(i, ""))
	}
	// Away long enough to have failed repeatedly and be called lasting.
	e.waitLogged("ERROR", "source=imap")
	if err := e.srv.Restart(); err != nil {
		t.Fatal(err)
	}
	if v, _ := e.srv.UIDValidity("INBOX"); v != validity {
		t.Fatalf("UIDValidity after Restart = %d, want %d", v, validity)
	}
	e.waitCount(8, 10*time.Second)
	e.waitLogged("INFO", "mailbox reachable again", "source=imap")
	assertUIDs(t, e, 8)
	e.checkLevels("imap", 1, 1, 1)
	if got := e.logs.find("source=database"); len(got) != 0 {
		t.Errorf("logged %q during an IMAP outage, want nothing about the database", got)
	}
}

func TestIMAPOutageNewUIDValidity(t *testing.T) {
	t.Parallel()
	e := newEnv(t, imapmem.Options{})
	var raws [][]byte
	for i := range 5 {
		raws = append(raws, message(i, ""))
		e.append("INBOX", raws[i])
	}
	e.start(e.syncer("a"))
	e.waitCount(5, 10*time.Second)
	old, _ := e.srv.UIDValidity("INBOX")

	if err := e.srv.Close(); err != nil {
		t.Fatal(err)
	}
	e.waitLogged("WARN", "source=imap")
	if err := e.srv.Restart(); err != nil {
		t.Fatal(err)
	}
	// The server comes back with the folder rebuilt: the same mail under
	// new UIDs, and mail that arrived meanwhile.
	if err := e.srv.RecreateFolder("INBOX"); err != nil {
		t.Fatal(err)
	}
	validity, _ := e.srv.UIDValidity("INBOX")
	if validity == old {
		t.Fatalf("UIDValidity after RecreateFolder = %d, want a new one", validity)
	}
	for i := 5; i < 7; i++ {
		raws = append(raws, message(i, ""))
		e.append("INBOX", raws[i])
	}
	// A copy whose bytes the rebuild changed is captured again in the new
	// epoch; the ticket-level dedupe (Message-ID and content) keeps it
	// from opening a second ticket.
	e.append("INBOX", append([]byte("X-Rebuilt: yes\r\n"), raws[0]...))
	eventually(t, 10*time.Second, func() error {
		if v, last, _ := e.cursor(); v != int64(validity) || last != 8 {
			return fmt.Errorf("cursor = (%d, %d), want (%d, 8)", v, last, validity)
		}
		return nil
	})
	rows := e.rows()
	if len(rows) != 8 {
		t.Fatalf("len(rows) = %d, want 8: 5 from the old epoch, 2 new and the changed copy", len(rows))
	}
	for i, r := range rows {
		wantValidity := int64(old)
		if i >= 5 {
			wantValidity = int64(validity)
		}
		if r.UIDValidity != wantValidity {
			t.Errorf("rows[%d].UIDValidity = %d, want %d", i, r.UIDValidity, wantValidity)
		}
	}
	e.process(8, 7) // one ticket per distinct message
}

// process turns the captured mail into tickets and checks that it handled
// messages captures and that tickets tickets exist.
func (e *env) process(messages, tickets int) {
	e.t.Helper()
	ctx := context.Background()
	if n, err := newProcessor(e.pool, 50).Drain(ctx); err != nil || n != messages {
		e.t.Fatalf("Drain() = %d, %v, want %d, nil", n, err, messages)
	}
	var got int
	if err := e.pool.QueryRow(ctx, `SELECT count(*) FROM tickets`).Scan(&got); err != nil {
		e.t.Fatal(err)
	}
	if got != tickets {
		e.t.Errorf("count(tickets) = %d, want %d", got, tickets)
	}
}

func TestMoveInterrupted(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name  string
		fault imapmem.MoveFault
		// where the first batch's messages end up
		inbox, done int
	}{
		{"before", imapmem.MoveDropBefore, 3, 0},
		{"after", imapmem.MoveDropAfter, 0, 3},
		{"copied", imapmem.MoveDropCopied, 3, 3},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t, imapmem.Options{})
			e.mb.MoveTo = "Done"
			e.mb.BatchSize = 3
			if _, err := e.srv.Append("Done", message(99, "")); err != nil { // creates the folder
				t.Fatal(err)
			}
			for i := range 3 {
				e.append("INBOX", message(i, ""))
			}
			e.srv.SetMoveFault(tc.fault)
			e.start(e.syncer("a"))
			e.waitCount(3, 10*time.Second)
			e.waitLogged("WARN", "source=imap")
			for i := 3; i < 6; i++ { // later mail is moved as usual
				e.append("INBOX", message(i, ""))
			}
			e.waitCount(6, 10*time.Second)
			eventually(t, 5*time.Second, func() error {
				inbox, _ := e.srv.UIDs("INBOX")
				done, _ := e.srv.UIDs("Done")
				if len(inbox) != tc.inbox || len(done) != 1+tc.done+3 {
					return fmt.Errorf("UIDs(INBOX), UIDs(Done) = %v, %v, want %d and %d", inbox, done, tc.inbox, 1+tc.done+3)
				}
				return nil
			})
			assertUIDs(t, e, 6)
			e.process(6, 6)
		})
	}
}

func TestLoginRejectedLoggedAsError(t *testing.T) {
	t.Parallel()
	e := newEnv(t, imapmem.Options{})
	e.mb.Password = "wrong"
	e.start(e.syncer("a"))
	eventually(t, 10*time.Second, func() error {
		if got := e.logs.find("ERROR", "IMAP login rejected", "source=imap", "login rejected: imap: NO"); len(got) < 2 {
			return fmt.Errorf("logged %q, want an ERROR about the rejected login on every attempt", e.logs.find("login"))
		}
		return nil
	})
	if n := e.logs.warn.Load(); n != 0 {
		t.Errorf("%d warnings logged, want none (a rejected login is an error)", n)
	}
}

func TestProcessorDatabaseBlipLoggedOnce(t *testing.T) {
	t.Parallel()
	e := newEnv(t, imapmem.Options{})
	log := slog.New(&countingHandler{Handler: slog.NewTextHandler(t.Output(), nil), n: e.logs})
	p := NewProcessor(e.pool, ticketing.NewDesk(log, ticketing.Config{}), ProcessorConfig{Poll: 50 * time.Millisecond}, log)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- p.Run(ctx) }()
	defer func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Processor.Run() = %v, want nil", err)
		}
	}()

	e.dbOutage("WARN", func() {})
	captureRaw(t, e.pool, false, nil, message(1, ""))
	eventually(t, 10*time.Second, func() error {
		var pending int
		if err := e.pool.QueryRow(context.Background(), `SELECT count(*) FROM inbound WHERE status = 'pending'`).Scan(&pending); err != nil || pending != 0 {
			return fmt.Errorf("pending captures = %d, %v, want 0", pending, err)
		}
		return nil
	})
	e.waitLogged("INFO", "database reachable again", "source=database")
	e.checkLevels("database", 1, 0, 1)
	if n := e.logs.err.Load(); n != 0 {
		t.Errorf("%d errors logged, want none for a blip", n)
	}
}

func TestRetryAfterLongOutageWithinSeconds(t *testing.T) {
	t.Parallel()
	network := errors.New("mailin: connect to imap.example.com:993: connection refused")
	login := fmt.Errorf("mailin: log in: %w: imap: NO [AUTHENTICATIONFAILED] invalid credentials", errLoginRejected)
	for _, tc := range []struct {
		err      error
		min, max time.Duration
	}{
		{network, maxRetryWait / 2, maxRetryWait},
		{dbErr(network), maxRetryWait / 2, maxRetryWait},
		{login, 2 * time.Minute, 4 * time.Minute}, // retrying a wrong password often can lock the account
	} {
		bo := backoff{base: time.Second, max: 4 * time.Minute}
		for range 12 { // minutes of failures
			retryIn(&bo, tc.err)
		}
		if d := retryIn(&bo, tc.err); d < tc.min || d > tc.max {
			t.Errorf("retryIn(after 12 failures, %v) = %v, want between %v and %v", tc.err, d, tc.min, tc.max)
		}
	}
}

func TestDatabaseOutageLoggedOnceAcrossMailboxes(t *testing.T) {
	t.Parallel()
	e := newEnv(t, imapmem.Options{})
	e.append("INBOX", message(0, ""))
	e.append("IT", message(1, ""))
	shared := outage.New(slog.New(&countingHandler{Handler: slog.NewTextHandler(t.Output(), nil), n: e.logs}), outage.Database, 0)
	for _, folder := range []string{"INBOX", "IT"} {
		s := e.syncer("a")
		s.mb.Name, s.mb.Folder, s.db = folder, folder, shared
		e.start(s)
	}
	e.waitCount(2, 10*time.Second)

	e.dbOutage("WARN", func() {
		e.append("INBOX", message(2, ""))
		e.append("IT", message(3, ""))
	})
	e.waitCount(4, 10*time.Second)
	e.waitLogged("INFO", "database reachable again", "source=database")
	e.checkLevels("database", 1, 0, 1)
}

func TestProcessorStopLogsNothingAboveInfo(t *testing.T) {
	t.Parallel()
	e := newEnv(t, imapmem.Options{})
	const n = 300
	gen := mailgen.New(mailgen.Options{Seed: 11})
	raws := make([][]byte, n)
	for i := range raws {
		raws[i] = gen.Message(i)
	}
	captureRaw(t, e.pool, false, nil, raws...)
	log := slog.New(&countingHandler{Handler: slog.NewTextHandler(t.Output(), nil), n: e.logs})
	desk := ticketing.NewDesk(log, ticketing.Config{})
	// Stop at many points of a backlog: claiming, parsing, applying.
	for round := range 8 {
		p := NewProcessor(e.pool, desk, ProcessorConfig{BatchSize: 20, Workers: 2}, log)
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan error, 1)
		go func() { done <- p.Run(ctx) }()
		time.Sleep(time.Duration(round) * 20 * time.Millisecond)
		cancel()
		if err := <-done; err != nil {
			t.Fatalf("Processor.Run() = %v, want nil", err)
		}
	}
	// A stop cancels the statement in flight by closing its connection;
	// the server may finish it, holding its batch's rows locked, a moment
	// after Run returned, and Drain skips locked rows. So drain until
	// nothing is pending (seen twice under load: 20 rows left pending).
	deadline := time.Now().Add(10 * time.Second)
	for pending := 1; pending > 0 && time.Now().Before(deadline); {
		if _, err := NewProcessor(e.pool, desk, ProcessorConfig{}, log).Drain(context.Background()); err != nil {
			t.Fatalf("Drain() = %v", err)
		}
		if err := e.pool.QueryRow(context.Background(), `SELECT count(*) FROM inbound WHERE status = 'pending'`).Scan(&pending); err != nil {
			t.Fatal(err)
		}
		if pending > 0 {
			time.Sleep(50 * time.Millisecond)
		}
	}
	var ticketed, other int
	err := e.pool.QueryRow(context.Background(), `SELECT count(*) FILTER (WHERE status = 'ticketed'),
		count(*) FILTER (WHERE status <> 'ticketed') FROM inbound`).Scan(&ticketed, &other)
	if err != nil {
		t.Fatal(err)
	}
	if ticketed != n || other != 0 {
		t.Errorf("inbound ticketed, other = %d, %d, want %d, 0 (nothing quarantined by a stop)", ticketed, other, n)
	}
	if w, m := e.logs.warn.Load(), e.logs.err.Load(); w != 0 || m != 0 {
		got := append(e.logs.find("WARN"), e.logs.find("ERROR")...)
		t.Errorf("%d warnings and %d errors logged, want none: %q", w, m, got[:min(len(got), 5)])
	}
}
