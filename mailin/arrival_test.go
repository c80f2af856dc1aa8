package mailin

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/deskgate/deskgate/internal/dbtest"
	"github.com/deskgate/deskgate/internal/imapmem"
	"github.com/deskgate/deskgate/mailin/parse"
	"github.com/deskgate/deskgate/ticketing"
)

// handlingRow is how a captured message is handled, and its outcome.
type handlingRow struct {
	UID            int64
	Handling       string
	HandlingReason string
	Status         string
	Reason         string
}

func (e *env) handlings() []handlingRow {
	e.t.Helper()
	rows, err := e.pool.Query(context.Background(),
		`SELECT uid, handling, handling_reason, status, reason FROM inbound ORDER BY id`)
	if err != nil {
		e.t.Fatalf("query inbound: %v", err)
	}
	defer rows.Close()
	var out []handlingRow
	for rows.Next() {
		var r handlingRow
		if err := rows.Scan(&r.UID, &r.Handling, &r.HandlingReason, &r.Status, &r.Reason); err != nil {
			e.t.Fatalf("scan inbound: %v", err)
		}
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		e.t.Fatalf("query inbound: %v", err)
	}
	return out
}

// firstStart reads the mailbox's stored first-start boundary; ok is false
// while none is stored.
func (e *env) firstStart() (validity, next int64, ok bool) {
	e.t.Helper()
	var v, n *int64
	err := e.pool.QueryRow(context.Background(),
		`SELECT first_uidvalidity, first_uidnext FROM mailboxes WHERE name = $1`, e.mb.Name).Scan(&v, &n)
	if err != nil || n == nil {
		return 0, 0, false
	}
	return *v, *n, true
}

// waitFirstStart waits until the mailbox's first SELECT is recorded.
func (e *env) waitFirstStart() {
	e.t.Helper()
	eventually(e.t, 10*time.Second, func() error {
		if _, _, ok := e.firstStart(); !ok {
			return errors.New("no first start recorded")
		}
		return nil
	})
}

// TestFirstStartExistingMailIsQuiet: by default, mail already in the
// folder at the first SELECT is captured to be handled quietly; mail that
// arrives afterwards is handled normally.
func TestFirstStartExistingMailIsQuiet(t *testing.T) {
	t.Parallel()
	e := newEnv(t, imapmem.Options{})
	for i := range 3 {
		e.append("INBOX", message(i, ""))
	}
	e.start(e.syncer("a"))
	e.waitCount(3, 10*time.Second)
	for i := 3; i < 5; i++ {
		e.append("INBOX", message(i, ""))
	}
	e.waitCount(5, 10*time.Second)

	validity, err := e.srv.UIDValidity("INBOX")
	if err != nil {
		t.Fatal(err)
	}
	if v, next, ok := e.firstStart(); !ok || v != int64(validity) || next != 4 {
		t.Errorf("first start = (%d, %d, %v), want (%d, 4, true)", v, next, ok, validity)
	}
	for _, r := range e.handlings() {
		want, reason := HandleNormal, ""
		if r.UID <= 3 {
			want, reason = HandleQuiet, QuietReason
		}
		if r.Handling != string(want) || r.HandlingReason != reason {
			t.Errorf("UID %d: handling %q (%q), want %q (%q)", r.UID, r.Handling, r.HandlingReason, want, reason)
		}
	}
}

// TestFirstStartSkip: existing_mail: skip captures the mail there before
// as ignored, with the reason, and opens no ticket for it.
func TestFirstStartSkip(t *testing.T) {
	t.Parallel()
	e := newEnv(t, imapmem.Options{})
	e.mb.ExistingMail = HandleSkip
	for i := range 2 {
		e.append("INBOX", message(i, ""))
	}
	e.start(e.syncer("a"))
	e.waitCount(2, 10*time.Second)
	e.append("INBOX", message(2, ""))
	e.waitCount(3, 10*time.Second)
	if _, err := newProcessor(e.pool, 10).Drain(context.Background()); err != nil {
		t.Fatalf("Drain() = %v", err)
	}
	for _, r := range e.handlings() {
		want := handlingRow{UID: r.UID, Handling: "skip", HandlingReason: SkipReason, Status: ticketing.StatusIgnored, Reason: SkipReason}
		if r.UID == 3 {
			want = handlingRow{UID: 3, Handling: "normal", Status: ticketing.StatusTicketed, Reason: r.Reason}
		}
		if r != want {
			t.Errorf("UID %d: %+v, want %+v", r.UID, r, want)
		}
	}
	if !strings.Contains(SkipReason, "present before the mailbox was connected") {
		t.Errorf("SkipReason = %q, want it to say the mail was present before the mailbox was connected", SkipReason)
	}
	rs, err := ListInbound(context.Background(), e.pool, ticketing.StatusIgnored, 10)
	if err != nil || len(rs) != 2 || rs[0].Handling != "skip" || rs[0].HandlingReason != SkipReason {
		t.Errorf("ListInbound(ignored) = %+v, %v; want the two skipped messages with their handling", rs, err)
	}
	var tickets int
	if err := e.pool.QueryRow(context.Background(), `SELECT count(*) FROM tickets`).Scan(&tickets); err != nil || tickets != 1 {
		t.Errorf("tickets = %d (%v), want 1", tickets, err)
	}
}

// TestUIDValidityChangeIsNotFirstStart: a folder rebuilt under a new
// UIDVALIDITY after the first start keeps the stored boundary, which
// belongs to the old UIDVALIDITY: mail new to the folder is handled
// normally even when its new UID is below the old boundary, and what was
// captured before is not captured again.
func TestUIDValidityChangeIsNotFirstStart(t *testing.T) {
	t.Parallel()
	e := newEnv(t, imapmem.Options{})
	e.mb.MoveTo = "Done" // captured mail leaves the folder, so new UIDs start low
	e.append("Done", message(99, ""))
	for i := range 3 {
		e.append("INBOX", message(i, ""))
	}
	stop := e.start(e.syncer("a"))
	e.waitCount(3, 10*time.Second)
	eventually(t, 10*time.Second, func() error {
		if uids, err := e.srv.UIDs("INBOX"); err != nil || len(uids) != 0 {
			return fmt.Errorf("UIDs(INBOX) = %v, %v; want the captured mail moved", uids, err)
		}
		return nil
	})
	if err := stop(); err != nil {
		t.Fatal(err)
	}
	oldValidity, oldNext, _ := e.firstStart()

	e.append("INBOX", message(3, "")) // arrives while deskgate is away
	if err := e.srv.RecreateFolder("INBOX"); err != nil {
		t.Fatal(err)
	}
	if uids, err := e.srv.UIDs("INBOX"); err != nil || len(uids) != 1 || int64(uids[0]) >= oldNext {
		t.Fatalf("UIDs(INBOX) after the rebuild = %v, %v; want one UID below the old boundary %d", uids, err, oldNext)
	}
	e.append("INBOX", message(4, ""))
	e.start(e.syncer("b"))
	e.waitCount(5, 10*time.Second)

	if v, next, ok := e.firstStart(); !ok || v != oldValidity || next != oldNext {
		t.Errorf("first start after the UIDVALIDITY change = (%d, %d, %v), want (%d, %d, true) as stored", v, next, ok, oldValidity, oldNext)
	}
	for i, r := range e.handlings() {
		want := HandleNormal
		if i < 3 {
			want = HandleQuiet
		}
		if r.Handling != string(want) {
			t.Errorf("row %d (UID %d): handling %q (%q), want %q", i, r.UID, r.Handling, r.HandlingReason, want)
		}
	}
}

// TestOldMailAfterDowntimeIsQuiet: mail that arrived while deskgate was
// down is handled normally when younger than max_age_to_answer, and quietly,
// with the reason, when older (by INTERNALDATE).
func TestOldMailAfterDowntimeIsQuiet(t *testing.T) {
	t.Parallel()
	e := newEnv(t, imapmem.Options{})
	stop := e.start(e.syncer("a"))
	e.waitFirstStart()
	if err := stop(); err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	if _, err := e.srv.AppendAt("INBOX", message(0, ""), now.Add(-50*time.Hour)); err != nil {
		t.Fatal(err)
	}
	if _, err := e.srv.AppendAt("INBOX", message(1, ""), now.Add(-time.Hour)); err != nil {
		t.Fatal(err)
	}
	e.start(e.syncer("a"))
	e.waitCount(2, 10*time.Second)

	rows := e.handlings()
	if r := rows[0]; r.Handling != string(HandleQuiet) || !strings.Contains(r.HandlingReason, "older than max_age_to_answer (24h)") ||
		!strings.Contains(r.HandlingReason, "50h") {
		t.Errorf("the 50-hour-old message: handling %q (%q), want quiet, 50h, older than max_age_to_answer (24h)", r.Handling, r.HandlingReason)
	}
	if r := rows[1]; r.Handling != string(HandleNormal) || r.HandlingReason != "" {
		t.Errorf("the hour-old message: handling %q (%q), want normal", r.Handling, r.HandlingReason)
	}
}

// TestCatchUpLogsProgress: a long catch-up logs when it starts and ends;
// a short sync logs neither.
func TestCatchUpLogsProgress(t *testing.T) {
	t.Parallel()
	e := newEnv(t, imapmem.Options{})
	const n = catchUpLogOver + 50
	for i := range n {
		e.append("INBOX", message(i, ""))
	}
	e.mb.BatchSize = 50
	e.start(e.syncer("a"))
	e.waitCount(n, 30*time.Second)
	eventually(t, 10*time.Second, func() error {
		if len(e.logs.find("INFO mailin: caught up", "messages=350")) != 1 {
			return errors.New("no final line")
		}
		return nil
	})
	if got := e.logs.find("INFO mailin: catching up messages=350"); len(got) != 1 {
		t.Errorf("start lines = %q, want one", got)
	}
	e.append("INBOX", message(n, ""))
	e.waitCount(n+1, 10*time.Second)
	if got := e.logs.find("catching up"); len(got) != 1 {
		t.Errorf("catching-up lines after a one-message sync = %q, want only the first catch-up's", got)
	}
}

// TestProgressReport: each progress line says what is done and remains,
// the rate and the ETA.
func TestProgressReport(t *testing.T) {
	lc := &logCount{}
	log := slog.New(&countingHandler{Handler: slog.NewTextHandler(io.Discard, nil), n: lc})
	p := startProgress(log, 1000, time.Hour)
	p.start = time.Now().Add(-10 * time.Second)
	p.add(250)
	p.report()
	p.end(true)
	lines := lc.find("INFO mailin: catching up done=250 remaining=750 rate=")
	if len(lines) != 1 || !strings.Contains(lines[0], " eta=") {
		t.Errorf("progress lines = %q, want one with done, remaining, rate and eta", lc.find(""))
	}
	if got := lc.find("INFO mailin: caught up messages=1000 took="); len(got) != 1 {
		t.Errorf("final lines = %q, want one", lc.find(""))
	}
	if startProgress(log, catchUpLogOver, time.Hour) != nil {
		t.Errorf("startProgress(%d messages) logs, want nil for a short sync", catchUpLogOver)
	}
}

// TestDrainLogsProgress: processing a backlog logs, at each tick while it
// runs, how many messages are done and remain, and a final line; a drain
// during which no tick came logs nothing.
func TestDrainLogsProgress(t *testing.T) {
	t.Parallel()
	pool := dbtest.Pool(t)
	const n = 40
	raws := make([][]byte, n)
	for i := range raws {
		raws[i] = message(i, "")
	}
	captureRaw(t, pool, false, nil, raws...)
	lc := &logCount{}
	log := slog.New(&countingHandler{Handler: slog.NewTextHandler(io.Discard, nil), n: lc})
	p := NewProcessor(pool, ticketing.NewDesk(log, ticketing.Config{}), ProcessorConfig{BatchSize: 10, Workers: 1}, log)
	tick := make(chan time.Time)
	p.ticks = func() (<-chan time.Time, func()) { return tick, func() {} }
	// The second batch is parsed while the first is applied; it waits
	// until the first is committed and a tick was logged.
	release := make(chan struct{})
	var calls atomic.Int64
	p.parse = func(raw []byte, opts parse.Options) (ticketing.Inbound, error) {
		if calls.Add(1) == 11 {
			<-release
		}
		return parse.Message(raw, opts)
	}
	done := make(chan error, 1)
	go func() { _, err := p.Drain(context.Background()); done <- err }()
	eventually(t, 10*time.Second, func() error {
		if p.processed.Load() < 10 {
			return errors.New("first batch not committed")
		}
		return nil
	})
	tick <- time.Now()
	eventually(t, 10*time.Second, func() error {
		if len(lc.find("INFO mailin: processing captured mail done=10 remaining=30 rate=", "eta=")) != 1 {
			return errors.New("no progress line: " + strings.Join(lc.find(""), "; "))
		}
		return nil
	})
	close(release)
	if err := <-done; err != nil {
		t.Fatalf("Drain() = %v", err)
	}
	if got := lc.find("INFO mailin: processed captured mail messages=40 took="); len(got) != 1 {
		t.Errorf("final lines = %q, want one", lc.find(""))
	}

	// A short drain without a tick logs nothing.
	captureMore(t, pool, n+1, message(n, ""))
	before := len(lc.find("captured mail"))
	if _, err := p.Drain(context.Background()); err != nil {
		t.Fatal(err)
	}
	if got := lc.find("captured mail"); len(got) != before {
		t.Errorf("a short drain logged %q, want nothing", got[before:])
	}
}

// captureMore records raw as message uid of mailbox "desk".
func captureMore(t *testing.T, pool *pgxpool.Pool, uid int, raw []byte) {
	t.Helper()
	s := sha256.Sum256(raw)
	if _, err := pool.Exec(context.Background(), `INSERT INTO inbound (mailbox, uidvalidity, uid, sha256, size, raw)
		VALUES ('desk', 1, $1, $2, $3, $4)`, uid, s[:], len(raw), raw); err != nil {
		t.Fatal(err)
	}
}

// TestFirstStartWithoutUIDNext: with a server that reports no UIDNEXT at
// SELECT, the first size scan sets the boundary: everything in the folder
// then.
func TestFirstStartWithoutUIDNext(t *testing.T) {
	t.Parallel()
	e := newEnv(t, imapmem.Options{OmitUIDNext: true})
	for i := range 3 {
		e.append("INBOX", message(i, ""))
	}
	e.start(e.syncer("a"))
	e.waitCount(3, 10*time.Second)
	for i := 3; i < 5; i++ {
		e.append("INBOX", message(i, ""))
	}
	e.waitCount(5, 10*time.Second)
	if _, next, ok := e.firstStart(); !ok || next != 4 {
		t.Errorf("first start = (%d, %v), want UIDNEXT 4 from the first scan", next, ok)
	}
	for _, r := range e.handlings() {
		want := HandleNormal
		if r.UID <= 3 {
			want = HandleQuiet
		}
		if r.Handling != string(want) {
			t.Errorf("UID %d: handling %q, want %q", r.UID, r.Handling, want)
		}
	}
}

// TestFirstStartSurvivesARestart: a first start cut short by a crash is
// finished by the next process with the same boundary; what arrived in
// between is new mail.
func TestFirstStartSurvivesARestart(t *testing.T) {
	t.Parallel()
	e := newEnv(t, imapmem.Options{})
	e.mb.BatchSize = 2
	for i := range 6 {
		e.append("INBOX", message(i, ""))
	}
	a := e.syncer("a")
	a.hooks.noRelease = true
	a.hooks.beforeCommit = func(batch int) error {
		if batch >= 2 {
			return errors.New("simulated crash")
		}
		return nil
	}
	stop := e.start(a)
	e.waitCount(2, 10*time.Second)
	if err := stop(); err != nil {
		t.Fatal(err)
	}
	e.append("INBOX", message(6, ""))
	e.start(e.syncer("b"))
	e.waitCount(7, 20*time.Second)
	if _, next, ok := e.firstStart(); !ok || next != 7 {
		t.Errorf("first start = (%d, %v), want UIDNEXT 7 as recorded by the first process", next, ok)
	}
	for _, r := range e.handlings() {
		want := HandleNormal
		if r.UID <= 6 {
			want = HandleQuiet
		}
		if r.Handling != string(want) {
			t.Errorf("UID %d: handling %q, want %q", r.UID, r.Handling, want)
		}
	}
}
