package mailout

import (
	"context"
	"fmt"
	"log/slog"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/deskgate/deskgate/internal/smtpmem"
	"github.com/deskgate/deskgate/ticketing"
)

// exec runs sql on e's database.
func (e *env) exec(sql string) {
	e.t.Helper()
	if _, err := e.pool.Exec(context.Background(), sql); err != nil {
		e.t.Fatalf("%s: %v", sql, err)
	}
}

// waitIdle waits until no statement runs on e's database but its own: a
// statement a stopped sender left behind has finished (and committed, if
// it would).
func (e *env) waitIdle() {
	e.t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		var n int
		err := e.pool.QueryRow(context.Background(), `SELECT count(*) FROM pg_stat_activity
			WHERE datname = current_database() AND state <> 'idle' AND pid <> pg_backend_pid()`).Scan(&n)
		if err != nil {
			e.t.Fatal(err)
		}
		if n == 0 {
			return
		}
		if time.Now().After(deadline) {
			e.t.Fatalf("%d statements still running 30s after the sender stopped", n)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// claimedBy returns how many rows owner holds.
func (e *env) claimedBy(owner string) int {
	e.t.Helper()
	var n int
	if err := e.pool.QueryRow(context.Background(), `SELECT count(*) FROM outbox WHERE lease_owner = $1`, owner).Scan(&n); err != nil {
		e.t.Fatal(err)
	}
	return n
}

// TestStopHandsBackEveryClaim stops senders at many points, a claim
// taking about 80ms (a trigger sleeps 5ms per claimed row), so that stops
// land before, during and after claims, while sending and between
// batches. After each stop no row may stay claimed by the stopped sender,
// and in the end every email is sent exactly once; the stops log nothing
// above INFO.
func TestStopHandsBackEveryClaim(t *testing.T) {
	t.Parallel()
	e := newEnv(t, smtpmem.Options{})
	e.exec(`CREATE FUNCTION slow_claim() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN PERFORM pg_sleep(0.005); RETURN NEW; END $$`)
	e.exec(`CREATE TRIGGER slow_claim BEFORE UPDATE ON outbox FOR EACH ROW
		WHEN (OLD.lease_owner IS NULL AND NEW.lease_owner IS NOT NULL) EXECUTE FUNCTION slow_claim()`)
	const n = 400
	rows := make([]row, n)
	for i := range rows {
		rows[i] = row{messageID: fmt.Sprintf("stop.%d@desk.example", i)}
	}
	e.insert(rows...)
	log := e.logger()
	for i, d := range []time.Duration{0, 1, 2, 5, 10, 20, 30, 45, 60, 75, 90, 110, 130, 160, 200, 250} {
		d *= time.Millisecond
		cfg := e.config()
		cfg.Owner = fmt.Sprintf("stop-%d", i)
		s := NewSender(log, e.pool, cfg)
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan error, 1)
		go func() { done <- s.Run(ctx) }()
		time.Sleep(d)
		cancel()
		if err := <-done; err != nil {
			t.Fatalf("Run() = %v", err)
		}
		e.waitIdle()
		if c := e.claimedBy(cfg.Owner); c > 0 {
			t.Errorf("stop after %v: %d rows still claimed by the stopped sender, want 0", d, c)
		}
	}
	if got := e.logs.count(slog.LevelWarn, "") + e.logs.count(slog.LevelError, ""); got > 0 {
		t.Errorf("stops logged %d lines above INFO, want none:\n%s", got, e.text.String())
	}
	cfg := e.config()
	cfg.Owner = "last"
	e.start(cfg)
	deadline := time.Now().Add(30 * time.Second)
	for e.countStatus(ticketing.OutboxSent) < n {
		if time.Now().After(deadline) {
			t.Fatalf("%d of %d rows sent after the stops, want all", e.countStatus(ticketing.OutboxSent), n)
		}
		time.Sleep(10 * time.Millisecond)
	}
	seen := map[string]int{}
	for _, m := range e.srv.Messages() {
		seen[messageID(m.Data)]++
	}
	for i := range n {
		if c := seen[fmt.Sprintf("stop.%d@desk.example", i)]; c != 1 {
			t.Errorf("stop.%d received %d times, want 1", i, c)
		}
	}
}

// TestSMTPOutageLogs runs through an SMTP outage (every connection
// dropped at MAIL): one WARN when it starts, one ERROR when it lasts,
// one INFO when it ends, and the deferred deliveries in one summary
// line, instead of a warning per batch.
func TestSMTPOutageLogs(t *testing.T) {
	t.Parallel()
	e := newEnv(t, smtpmem.Options{})
	e.srv.AddFault(smtpmem.Fault{Stage: smtpmem.StageMail, Drop: true})
	const n = 40
	e.insert(make([]row, n)...)
	cfg := e.config()
	cfg.Persistent = 300 * time.Millisecond
	cfg.SummaryEvery = time.Hour // only the stop writes it
	_, stop := e.start(cfg)
	deadline := time.Now().Add(20 * time.Second)
	for e.logs.count(slog.LevelError, "mailout: SMTP server unreachable") == 0 || e.attempts() < 3*n {
		if time.Now().After(deadline) {
			t.Fatalf("no ERROR for the outage after 20s (%d attempts):\n%s", e.attempts(), e.text.String())
		}
		time.Sleep(10 * time.Millisecond)
	}
	e.srv.ClearFaults()
	deadline = time.Now().Add(20 * time.Second)
	for e.countStatus(ticketing.OutboxSent) < n {
		if time.Now().After(deadline) {
			t.Fatalf("%d of %d sent after the outage, want all", e.countStatus(ticketing.OutboxSent), n)
		}
		time.Sleep(10 * time.Millisecond)
	}
	if err := stop(); err != nil {
		t.Fatal(err)
	}
	e.wantLines(
		logLines{slog.LevelWarn, "mailout: SMTP server unreachable", 1},
		logLines{slog.LevelError, "mailout: SMTP server unreachable; still failing", 1},
		logLines{slog.LevelInfo, "mailout: SMTP server reachable again", 1},
		logLines{slog.LevelWarn, "", 1}, // the outage; the summary at the stop is INFO
		logLines{slog.LevelError, "", 1},
	)
	out := e.text.String()
	if !regexp.MustCompile(`level=INFO msg="\d+ deliveries deferred in the last`).MatchString(out) || strings.Contains(out, "source=database") {
		t.Errorf("log lacks the summary of deferred deliveries, or blames the database:\n%s", out)
	}
}

// logLines is how many log lines of a level should start with a prefix.
type logLines struct {
	level  slog.Level
	prefix string
	want   int
}

// wantLines checks the counts of log lines.
func (e *env) wantLines(ls ...logLines) {
	e.t.Helper()
	for _, l := range ls {
		if got := e.logs.count(l.level, l.prefix); got != l.want {
			e.t.Errorf("%v lines starting %q = %d, want %d:\n%s", l.level, l.prefix, got, l.want, e.text.String())
		}
	}
}

// attempts returns the attempts of all rows.
func (e *env) attempts() int {
	e.t.Helper()
	var n int
	if err := e.pool.QueryRow(context.Background(), `SELECT coalesce(sum(attempts), 0) FROM outbox`).Scan(&n); err != nil {
		e.t.Fatal(err)
	}
	return n
}

// TestDatabaseFaultLogs breaks the database under a running sender (the
// outbox table renamed): one WARN naming the database when it starts,
// one ERROR when it lasts, one INFO when it ends, and nothing about SMTP.
func TestDatabaseFaultLogs(t *testing.T) {
	t.Parallel()
	e := newEnv(t, smtpmem.Options{})
	cfg := e.config()
	cfg.Persistent = 300 * time.Millisecond
	_, stop := e.start(cfg)
	e.exec(`ALTER TABLE outbox RENAME TO outbox_away`)
	deadline := time.Now().Add(20 * time.Second)
	for e.logs.count(slog.LevelError, "") == 0 {
		if time.Now().After(deadline) {
			t.Fatalf("no ERROR for the database fault after 20s:\n%s", e.text.String())
		}
		time.Sleep(10 * time.Millisecond)
	}
	e.exec(`ALTER TABLE outbox_away RENAME TO outbox`)
	id := e.insert(row{})[0]
	e.waitStatus(id, ticketing.OutboxSent, 20*time.Second)
	if err := stop(); err != nil {
		t.Fatal(err)
	}
	e.wantLines(
		logLines{slog.LevelWarn, "", 1},
		logLines{slog.LevelError, "", 1},
		logLines{slog.LevelInfo, "mailout: database reachable again", 1},
	)
	if out := e.text.String(); strings.Count(out, "source=database") != 3 || strings.Contains(out, "source=smtp") {
		t.Errorf("log does not name the database as the source of its three lines, or names SMTP:\n%s", out)
	}
}

// TestDropDuringData: the server dies in the middle of DATA. The email is
// retried and arrives once, its row sent after two attempts.
func TestDropDuringData(t *testing.T) {
	t.Parallel()
	e := newEnv(t, smtpmem.Options{})
	e.srv.AddFault(smtpmem.Fault{Stage: smtpmem.StageData, Drop: true, After: 2000, Times: 1})
	id := e.insert(row{messageID: "middata@desk.example", text: strings.Repeat("A line of the message text.\n", 2000)})[0]
	e.start(e.config())
	r := e.waitStatus(id, ticketing.OutboxSent, 20*time.Second)
	if r.Attempts != 2 {
		t.Errorf("attempts = %d, want 2 (the dropped one and the next)", r.Attempts)
	}
	msgs := e.srv.Messages()
	if len(msgs) != 1 || messageID(msgs[0].Data) != "middata@desk.example" {
		t.Errorf("server received %d messages, want middata@desk.example once", len(msgs))
	}
}
