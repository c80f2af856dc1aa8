package mailout

import (
	"bytes"
	"context"
	"fmt"
	"github.com/jackc/pgx/v5"
	"log/slog"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/deskgate/deskgate/internal/smtpmem"
	"github.com/deskgate/deskgate/ticketing"
)

func TestSendOnce(t *testing.T) {
	t.Parallel()
	e := newEnv(t, smtpmem.Options{})
	ticket := e.ticket()
	id := e.insert(row{ticket: ticket, messageID: "once.1@desk.example", automatic: true,
		cc: []ticketing.Address{{Name: "Other", Address: "other@example.org"}}})[0]
	e.start(e.config())

	msgs := e.wait(1, 10*time.Second)
	m := msgs[0]
	if m.From != "help@desk.example" {
		t.Errorf("MAIL FROM = %q, want help@desk.example", m.From)
	}
	if got := strings.Join(m.To, " "); !strings.HasSuffix(got, " other@example.org") || len(m.To) != 2 {
		t.Errorf("RCPT TO = %q, want the To and the Cc address", m.To)
	}
	if got := messageID(m.Data); got != "once.1@desk.example" {
		t.Errorf("Message-ID = %q, want once.1@desk.example", got)
	}
	r := e.waitStatus(id, ticketing.OutboxSent, 10*time.Second)
	if r.Attempts != 1 || !strings.HasPrefix(r.Reply, "250 2.0.0 ") || r.SentAt == nil || r.LeaseOwner != nil {
		t.Errorf("outbox row = %+v, want sent on attempt 1 with the 250 reply, sent_at set, no lease", r)
	}
	if kinds, _ := e.events(ticket); len(kinds) != 0 {
		t.Errorf("events = %q, want none (the sent row is the record of automatic mail; only failures are logged)", kinds)
	}
	time.Sleep(100 * time.Millisecond)
	if got := len(e.srv.Messages()); got != 1 {
		t.Errorf("messages at the server = %d, want 1", got)
	}
}

func TestRetryThenSent(t *testing.T) {
	t.Parallel()
	e := newEnv(t, smtpmem.Options{})
	e.srv.AddFault(smtpmem.Fault{Stage: smtpmem.StageData, Code: 451, Enhanced: "4.3.0", Message: "try later", Times: 2})
	id := e.insert(row{messageID: "retry.1@desk.example"})[0]
	cfg := e.config()
	cfg.RetryBase, cfg.RetryMax = 100*time.Millisecond, time.Second
	e.start(cfg)

	msgs := e.wait(1, 10*time.Second)
	r := e.waitStatus(id, ticketing.OutboxSent, 10*time.Second)
	if r.Attempts != 3 {
		t.Errorf("attempts = %d, want 3", r.Attempts)
	}
	if !strings.HasPrefix(r.Reply, "250 ") {
		t.Errorf("reply = %q, want the 250 reply", r.Reply)
	}
	// Two back-offs of 100ms and 200ms, each at least 80 %.
	if d := r.NextAttemptAt.Sub(r.CreatedAt); d < 240*time.Millisecond {
		t.Errorf("next_attempt_at - created_at = %v, want at least 240ms of back-off", d)
	}
	if got := messageID(msgs[0].Data); got != "retry.1@desk.example" {
		t.Errorf("Message-ID = %q, want retry.1@desk.example", got)
	}
	time.Sleep(100 * time.Millisecond)
	if got := len(e.srv.Messages()); got != 1 {
		t.Errorf("messages at the server = %d, want 1", got)
	}
}

func TestPermanentFailure(t *testing.T) {
	t.Parallel()
	e := newEnv(t, smtpmem.Options{})
	e.srv.AddFault(smtpmem.Fault{Stage: smtpmem.StageRcpt, Code: 550, Enhanced: "5.1.1", Message: "no such user"})
	ticket := e.ticket()
	id := e.insert(row{ticket: ticket})[0]
	e.start(e.config())

	r := e.waitStatus(id, ticketing.OutboxFailed, 10*time.Second)
	if r.Attempts != 1 || !strings.Contains(r.Reply, "550 5.1.1 no such user") {
		t.Errorf("outbox row = %+v, want failed on attempt 1 with the 550 reply", r)
	}
	kinds, details := e.events(ticket)
	if len(kinds) != 1 || kinds[0] != "notification.failed" {
		t.Fatalf("events = %q, want [notification.failed]", kinds)
	}
	if reply, _ := details[0]["reply"].(string); !strings.Contains(reply, "550 5.1.1") {
		t.Errorf("event detail reply = %q, want the 550 reply", reply)
	}
	if got := len(e.srv.Messages()); got != 0 {
		t.Errorf("messages at the server = %d, want 0", got)
	}
}

func TestUnknownMailboxSuppressesAddress(t *testing.T) {
	t.Parallel()
	e := newEnv(t, smtpmem.Options{})
	e.srv.AddFault(smtpmem.Fault{Stage: smtpmem.StageRcpt, Addr: "gone@example.com", Code: 550, Enhanced: "5.1.1", Message: "no such user"})
	e.srv.AddFault(smtpmem.Fault{Stage: smtpmem.StageData, Code: 552, Enhanced: "5.3.4", Message: "message too big"})
	ids := e.insert(row{to: []ticketing.Address{{Address: "gone@example.com"}}, automatic: true})
	big := e.insert(row{to: []ticketing.Address{{Address: "big@example.com"}}, automatic: true})
	cfg := e.config()
	cfg.SuppressFor = 720 * time.Hour
	e.start(cfg)
	e.waitStatus(ids[0], ticketing.OutboxFailed, 10*time.Second)
	e.waitStatus(big[0], ticketing.OutboxFailed, 10*time.Second)
	rows, err := e.pool.Query(context.Background(), `SELECT address FROM contacts WHERE suppressed_until > now() + interval '719 hours'`)
	if err != nil {
		t.Fatal(err)
	}
	got, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil || len(got) != 1 || got[0] != "gone@example.com" {
		t.Errorf("suppressed addresses = %q, %v; want only gone@example.com (5.1.1), not big@example.com (5.3.4)", got, err)
	}
}

func TestPartialRecipients(t *testing.T) {
	t.Parallel()
	e := newEnv(t, smtpmem.Options{})
	e.srv.AddFault(smtpmem.Fault{Stage: smtpmem.StageRcpt, Addr: "gone@example.com", Code: 550, Enhanced: "5.1.1", Message: "no such user"})
	id := e.insert(row{
		to: []ticketing.Address{{Address: "here@example.com"}},
		cc: []ticketing.Address{{Address: "gone@example.com"}},
	})[0]
	e.start(e.config())

	msgs := e.wait(1, 10*time.Second)
	if got := strings.Join(msgs[0].To, " "); got != "here@example.com" {
		t.Errorf("accepted recipients = %q, want here@example.com", got)
	}
	r := e.waitStatus(id, ticketing.OutboxSent, 10*time.Second)
	if !strings.HasPrefix(r.Reply, "250 ") || !strings.Contains(r.Reply, "refused: <gone@example.com> 550 5.1.1 no such user") {
		t.Errorf("reply = %q, want the 250 reply and the refusal", r.Reply)
	}
}

func TestAllRecipientsTemporarilyRefused(t *testing.T) {
	t.Parallel()
	e := newEnv(t, smtpmem.Options{})
	e.srv.AddFault(smtpmem.Fault{Stage: smtpmem.StageRcpt, Addr: "busy@example.com", Code: 450, Enhanced: "4.2.1", Times: 1})
	e.srv.AddFault(smtpmem.Fault{Stage: smtpmem.StageRcpt, Addr: "gone@example.com", Code: 550, Times: 1})
	id := e.insert(row{to: []ticketing.Address{{Address: "busy@example.com"}, {Address: "gone@example.com"}}})[0]
	e.start(e.config())

	// The 4xx is tried again on the next attempt; the 5xx is final.
	r := e.waitStatus(id, ticketing.OutboxSent, 10*time.Second)
	if r.Attempts != 2 || !strings.Contains(r.Reply, "refused: <gone@example.com> 550") {
		t.Errorf("attempts = %d, reply %q; want 2, gone@ refused", r.Attempts, r.Reply)
	}
	msgs := e.wait(1, time.Second)
	if len(msgs) != 1 || strings.Join(msgs[0].To, " ") != "busy@example.com" {
		t.Errorf("messages = %+v, want one to busy@ alone", msgs)
	}
}

func TestHangTimesOut(t *testing.T) {
	t.Parallel()
	e := newEnv(t, smtpmem.Options{})
	e.srv.Hang()
	id := e.insert(row{messageID: "hang.1@desk.example"})[0]
	cfg := e.config()
	cfg.SMTP.Timeout = 300 * time.Millisecond
	// A back-off long enough that a loaded machine still releases the
	// server before the retry.
	cfg.RetryBase = 3 * time.Second
	e.start(cfg)

	r := e.waitRow(id, 10*time.Second, "a timed-out first attempt", func(r outboxRow) bool {
		return r.Attempts == 1 && r.LeaseOwner == nil && r.Reply != ""
	})
	if r.Status != ticketing.OutboxQueued || !strings.Contains(r.Reply, "timeout") {
		t.Errorf("outbox row = %+v, want queued for retry with a timeout reply", r)
	}
	if d := time.Until(r.NextAttemptAt); d <= 0 {
		t.Errorf("next_attempt_at is %v from now, want the back-off ahead", d)
	}
	e.srv.Release()
	r = e.waitStatus(id, ticketing.OutboxSent, 20*time.Second)
	if r.Attempts != 2 {
		t.Errorf("attempts = %d, want 2", r.Attempts)
	}
	msgs := e.wait(1, time.Second)
	if len(msgs) != 1 || messageID(msgs[0].Data) != "hang.1@desk.example" {
		t.Errorf("messages = %d, want the one message once", len(msgs))
	}
}

func TestMaxAttempts(t *testing.T) {
	t.Parallel()
	e := newEnv(t, smtpmem.Options{})
	e.srv.AddFault(smtpmem.Fault{Stage: smtpmem.StageData, Code: 451, Enhanced: "4.3.0", Message: "try later"})
	ticket := e.ticket()
	id := e.insert(row{ticket: ticket})[0]
	cfg := e.config()
	cfg.MaxAttempts = 3
	e.start(cfg)

	r := e.waitStatus(id, ticketing.OutboxFailed, 10*time.Second)
	if want := "gave up after 3 attempts: 451 4.3.0 try later"; r.Attempts != 3 || r.Reply != want {
		t.Errorf("outbox row = %+v, want failed after 3 attempts with reply %q", r, want)
	}
	kinds, _ := e.events(ticket)
	if strings.Join(kinds, ",") != "notification.failed" {
		t.Errorf("events = %q, want [notification.failed]", kinds)
	}
}

func TestMaxAge(t *testing.T) {
	t.Parallel()
	e := newEnv(t, smtpmem.Options{})
	e.srv.AddFault(smtpmem.Fault{Stage: smtpmem.StageMail, Code: 421, Message: "closing"})
	id := e.insert(row{createdAt: time.Now().Add(-time.Hour)})[0]
	cfg := e.config()
	cfg.MaxAge = time.Hour
	e.start(cfg)

	r := e.waitStatus(id, ticketing.OutboxFailed, 10*time.Second)
	if r.Attempts != 1 || !strings.HasPrefix(r.Reply, "gave up after 1 attempts: 421 ") {
		t.Errorf("outbox row = %+v, want failed after one attempt, past MaxAge", r)
	}
}

func TestInvalidNotificationFails(t *testing.T) {
	t.Parallel()
	e := newEnv(t, smtpmem.Options{})
	id := e.insert(row{to: []ticketing.Address{{Address: "victim@example.com\r\nBcc: evil@example.com"}}})[0]
	e.start(e.config())

	r := e.waitStatus(id, ticketing.OutboxFailed, 10*time.Second)
	if !strings.HasPrefix(r.Reply, "not sent: ") || !strings.Contains(r.Reply, "invalid notification") {
		t.Errorf("reply = %q, want the composition error", r.Reply)
	}
	if got := e.srv.Connections(); got != 0 {
		t.Errorf("Connections() = %d, want 0", got)
	}
}

func TestCrashBetweenClaimAndSend(t *testing.T) {
	t.Parallel()
	e := newEnv(t, smtpmem.Options{})
	id := e.insert(row{messageID: "crash.1@desk.example"})[0]
	ctx := context.Background()
	// Process A claims the row and dies before sending.
	const lease = 500 * time.Millisecond
	claimed := time.Now()
	ns, err := ticketing.ClaimNotifications(ctx, e.pool, "owner-A", lease, 10, true)
	if err != nil || len(ns) != 1 {
		t.Fatalf("ClaimNotifications(owner-A) = %d, %v; want 1", len(ns), err)
	}
	cfg := e.config()
	cfg.Owner = "owner-B"
	e.start(cfg)

	msgs := e.wait(1, 10*time.Second)
	if d := time.Since(claimed); d < lease {
		t.Errorf("sent %v after A's claim, want after its %v lease", d, lease)
	}
	if got := messageID(msgs[0].Data); got != "crash.1@desk.example" {
		t.Errorf("Message-ID = %q, want crash.1@desk.example", got)
	}
	r := e.waitStatus(id, ticketing.OutboxSent, 10*time.Second)
	if r.Attempts != 2 {
		t.Errorf("attempts = %d, want 2 (A's and B's)", r.Attempts)
	}
	// A, waking up, cannot overwrite B's outcome.
	if err := ticketing.RecordResults(ctx, e.pool, "owner-A", []ticketing.SendResult{{ID: id, Result: ticketing.ResultFailed, Reply: "late"}}, 0); err != nil {
		t.Fatal(err)
	}
	if r := e.row(id); r.Status != ticketing.OutboxSent {
		t.Errorf("status after A's late result = %q, want sent", r.Status)
	}
	if got := e.logs.count(slog.LevelInfo, "mailout: sending again emails whose claim ran out"); got != 1 {
		t.Errorf("INFO lines about sending A's claim again = %d, want 1", got)
	}
	time.Sleep(100 * time.Millisecond)
	if got := len(e.srv.Messages()); got != 1 {
		t.Errorf("messages at the server = %d, want 1", got)
	}
}

func TestTwoSendersNeverDuplicate(t *testing.T) {
	t.Parallel()
	e := newEnv(t, smtpmem.Options{})
	const n = 200
	rows := make([]row, n)
	for i := range rows {
		rows[i] = row{messageID: fmt.Sprintf("dup.%d@desk.example", i)}
	}
	e.insert(rows...)
	for _, owner := range []string{"process-1", "process-2"} {
		cfg := e.config()
		cfg.Owner, cfg.Batch = owner, 8
		e.start(cfg)
	}

	e.wait(n, 30*time.Second)
	deadline := time.Now().Add(10 * time.Second)
	for e.countStatus(ticketing.OutboxSent) < n && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	time.Sleep(200 * time.Millisecond)
	msgs := e.srv.Messages()
	seen := make(map[string]int)
	for _, m := range msgs {
		seen[messageID(m.Data)]++
	}
	for id, c := range seen {
		if c != 1 {
			t.Errorf("Message-ID %s received %d times, want 1", id, c)
		}
	}
	if len(msgs) != n || len(seen) != n {
		t.Errorf("received %d messages with %d distinct ids, want %d", len(msgs), len(seen), n)
	}
	if got := e.countStatus(ticketing.OutboxSent); got != n {
		t.Errorf("sent rows = %d, want %d", got, n)
	}
}

func TestConnectionReuse(t *testing.T) {
	t.Parallel()
	e := newEnv(t, smtpmem.Options{})
	const n, workers = 120, 4
	e.insert(make([]row, n)...)
	cfg := e.config()
	cfg.Workers = workers
	e.start(cfg)

	e.wait(n, 30*time.Second)
	if got := e.srv.Connections(); got > workers {
		t.Errorf("Connections() = %d for %d messages, want at most %d (one per worker)", got, n, workers)
	}
	if got := e.srv.MaxSessions(); got > workers {
		t.Errorf("MaxSessions() = %d, want at most %d", got, workers)
	}
}

func TestRedialAfterDrop(t *testing.T) {
	t.Parallel()
	e := newEnv(t, smtpmem.Options{})
	e.srv.AddFault(smtpmem.Fault{Stage: smtpmem.StageData, Drop: true, Times: 1})
	ids := e.insert(make([]row, 5)...)
	cfg := e.config()
	cfg.Workers = 1
	e.start(cfg)

	e.wait(5, 10*time.Second)
	// The dropped message is retried; the rest of the batch goes on a new
	// connection.
	for i, id := range ids {
		want := 1
		if i == 0 {
			want = 2
		}
		if r := e.waitStatus(id, ticketing.OutboxSent, 10*time.Second); r.Attempts != want {
			t.Errorf("row %d: attempts = %d, want %d", i, r.Attempts, want)
		}
	}
	if got := e.srv.Connections(); got != 2 {
		t.Errorf("Connections() = %d, want 2 (one dropped, one new)", got)
	}
}

func TestDeferAfterRepeatedLoss(t *testing.T) {
	t.Parallel()
	e := newEnv(t, smtpmem.Options{})
	e.srv.AddFault(smtpmem.Fault{Stage: smtpmem.StageData, Drop: true, Times: 2})
	ids := e.insert(make([]row, 4)...)
	cfg := e.config()
	cfg.Workers = 1
	cfg.RetryBase = time.Hour
	e.start(cfg)

	// Two losses in one batch: the other two are handed back untried, and
	// their attempt does not count.
	for i, id := range ids {
		want := 1
		if i >= 2 {
			want = 0
		}
		e.waitRow(id, 10*time.Second, "the lease released", func(r outboxRow) bool { return r.Attempts == want && r.LeaseOwner == nil })
	}
	for i, id := range ids {
		r := e.row(id)
		if r.Status != ticketing.OutboxQueued {
			t.Errorf("row %d: status = %q, want queued", i, r.Status)
		}
		if untried := strings.HasPrefix(r.Reply, "not attempted after: "); untried != (i >= 2) {
			t.Errorf("row %d: reply = %q, want untried %v", i, r.Reply, i >= 2)
		}
	}
	if got := e.srv.Connections(); got != 2 {
		t.Errorf("Connections() = %d, want 2", got)
	}
}

func TestIdleConnectionClosedByServer(t *testing.T) {
	t.Parallel()
	e := newEnv(t, smtpmem.Options{})
	cfg := e.config()
	cfg.Workers = 1
	e.start(cfg)
	first := e.insert(row{})[0]
	e.waitStatus(first, ticketing.OutboxSent, 10*time.Second)
	e.srv.DropConnections()

	second := e.insert(row{})[0]
	r := e.waitStatus(second, ticketing.OutboxSent, 10*time.Second)
	if r.Attempts != 1 {
		t.Errorf("attempts = %d, want 1: a connection lost while idle costs no attempt", r.Attempts)
	}
	if got := e.srv.Connections(); got != 2 {
		t.Errorf("Connections() = %d, want 2", got)
	}
}

func TestBreaker(t *testing.T) {
	t.Parallel()
	e := newEnv(t, smtpmem.Options{})
	auto := make([]row, 5)
	for i := range auto {
		auto[i] = row{automatic: true}
	}
	autoIDs := e.insert(auto...)
	manual := e.insert(row{}, row{})
	// The breaker counts no further than it needs to.
	for upTo, want := range map[int]int{4: 4, 10: 5} {
		if n, err := ticketing.AutomaticSince(context.Background(), e.pool, time.Now().Add(-time.Hour), upTo); n != want || err != nil {
			t.Errorf("AutomaticSince(up to %d) = %d, %v; want %d", upTo, n, err, want)
		}
	}
	cfg := e.config()
	cfg.Breaker = Breaker{Window: time.Hour, Max: 3, Pause: 200 * time.Millisecond}
	s, _ := e.start(cfg)

	for _, id := range manual {
		e.waitStatus(id, ticketing.OutboxSent, 10*time.Second)
	}
	time.Sleep(400 * time.Millisecond) // past one pause: still more than Max in the window
	if !s.BreakerOpen() {
		t.Errorf("BreakerOpen() = false with 5 automatic mails in the window, want true")
	}
	for _, id := range autoIDs {
		if r := e.row(id); r.Status != ticketing.OutboxQueued || r.Attempts != 0 {
			t.Errorf("automatic row %d = %+v while the breaker is open, want untouched", id, r)
		}
	}
	if got := e.logs.count(slog.LevelError, "automatic mail paused: more than 3 queued in last 1h0m0s; possible mail loop"); got != 1 {
		t.Errorf("error logs about the pause = %d, want 1", got)
	}

	// The flood ages out of the window.
	if _, err := e.pool.Exec(context.Background(), `UPDATE outbox SET created_at = now() - interval '2 hours' WHERE automatic`); err != nil {
		t.Fatal(err)
	}
	for _, id := range autoIDs {
		e.waitStatus(id, ticketing.OutboxSent, 10*time.Second)
	}
	if s.BreakerOpen() {
		t.Errorf("BreakerOpen() = true after recovery, want false")
	}
	if got := e.logs.count(slog.LevelWarn, "automatic mail resumed"); got != 1 {
		t.Errorf("warnings about resuming = %d, want 1", got)
	}
	if got := e.logs.count(slog.LevelError, "automatic mail paused"); got != 1 {
		t.Errorf("error logs about the pause = %d, want 1 (logged once)", got)
	}
}

func TestListenWakesWorkers(t *testing.T) {
	t.Parallel()
	e := newEnv(t, smtpmem.Options{})
	cfg := e.config()
	cfg.Poll = time.Hour
	e.start(cfg)
	time.Sleep(300 * time.Millisecond) // let the workers go idle

	start := time.Now()
	e.insert(row{notify: true})
	e.wait(1, 5*time.Second)
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("sent %v after the commit, want well under the poll interval", d)
	}
}

func TestListenReconnects(t *testing.T) {
	t.Parallel()
	e := newEnv(t, smtpmem.Options{})
	cfg := e.config()
	cfg.Poll = time.Hour
	e.start(cfg)
	ctx := context.Background()

	listener := func() int {
		var pid int
		deadline := time.Now().Add(10 * time.Second)
		for {
			err := e.pool.QueryRow(ctx, `SELECT pid FROM pg_stat_activity
                WHERE datname = current_database() AND query LIKE 'LISTEN %' AND pid <> pg_backend_pid()`).Scan(&pid)
			if err == nil {
				return pid
			}
			if time.Now().After(deadline) {
				t.Fatalf("no listening connection: %v", err)
			}
			time.Sleep(10 * time.Millisecond)
		}
	}
	old := listener()
	if _, err := e.pool.Exec(ctx, `SELECT pg_terminate_backend($1)`, old); err != nil {
		t.Fatal(err)
	}
	time.Sleep(300 * time.Millisecond)
	e.insert(row{notify: true})
	e.wait(1, 5*time.Second)
	if pid := listener(); pid == old {
		t.Errorf("listening backend = %d, want a new one after terminating %d", pid, old)
	}
	if got := e.logs.count(slog.LevelWarn, "mailout: listening for queued mail failed"); got == 0 {
		t.Errorf("no warning about the lost LISTEN connection")
	}
}

func TestAuth(t *testing.T) {
	t.Parallel()
	opts := smtpmem.Options{
		Users:  map[string]string{"desk": "secret"},
		Tokens: map[string]string{"desk@desk.example": "bearer-token"},
	}
	tests := []struct {
		name   string
		smtp   func(*Config)
		status string
		reply  string // a substring of the reply
	}{
		{"plain", func(c *Config) { c.Auth, c.Username, c.Password = AuthPlain, "desk", "secret" }, ticketing.OutboxSent, "250 "},
		{"login", func(c *Config) { c.Auth, c.Username, c.Password = AuthLogin, "desk", "secret" }, ticketing.OutboxSent, "250 "},
		{"xoauth2", func(c *Config) { c.Username, c.OAuth2Token = "desk@desk.example", "bearer-token" }, ticketing.OutboxSent, "250 "},
		// A failure to log in is about the configuration, not the message:
		// the mail waits, neither failed nor charged an attempt.
		{"wrong password", func(c *Config) { c.Auth, c.Username, c.Password = AuthPlain, "desk", "wrong" }, ticketing.OutboxQueued, "535 5.7.8"},
		{"wrong token", func(c *Config) { c.Username, c.OAuth2Token = "desk@desk.example", "stale" }, ticketing.OutboxQueued, "535 5.7.8"},
		{"none", func(c *Config) {}, ticketing.OutboxQueued, "530 5.7.0"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t, opts)
			id := e.insert(row{})[0]
			cfg := e.config()
			cfg.RetryBase = time.Hour
			tt.smtp(&cfg.SMTP)
			e.start(cfg)
			r := e.waitRow(id, 10*time.Second, "an attempt", func(r outboxRow) bool {
				return r.LeaseOwner == nil && r.Reply != ""
			})
			attempts := 0
			if tt.status == ticketing.OutboxSent {
				attempts = 1
			}
			if r.Status != tt.status || !strings.Contains(r.Reply, tt.reply) || r.Attempts != attempts {
				t.Errorf("outbox row = %+v, want status %s, a reply with %q and %d attempts", r, tt.status, tt.reply, attempts)
			}
		})
	}
}

func TestTLSPolicy(t *testing.T) {
	t.Parallel()
	tests := []struct {
		host, tls string
		ok        bool
	}{
		{"192.0.2.1", TLSPlain, false},
		{"smtp.example.com", TLSPlain, false},
		{"127.0.0.1", TLSPlain, true},
		{"::1", TLSPlain, true},
		{"localhost", TLSPlain, true},
		{"smtp.example.com", TLSStartTLS, true},
		{"smtp.example.com", TLSImplicit, true},
		{"smtp.example.com", "opportunistic", false},
	}
	for _, tt := range tests {
		cfg := Config{Host: tt.host, TLS: tt.tls}.withDefaults()
		_, err := newClient(cfg)
		if (err == nil) != tt.ok {
			t.Errorf("newClient(%s, %s) = %v, want ok %v", tt.host, tt.tls, err, tt.ok)
		}
		if !tt.ok && tt.tls == TLSPlain && (err == nil || !strings.Contains(err.Error(), "loopback")) {
			t.Errorf("newClient(%s, plain) = %v, want a refusal naming loopback hosts", tt.host, err)
		}
	}
	s := NewSender(slog.New(slog.DiscardHandler), nil, SenderConfig{SMTP: Config{Host: "192.0.2.1", TLS: TLSPlain}})
	if err := s.Run(context.Background()); err == nil || !strings.Contains(err.Error(), "loopback") {
		t.Errorf("Run() with plain SMTP to 192.0.2.1 = %v, want a refusal", err)
	}
	// The client refuses even if handed such a configuration directly.
	c := &client{cfg: Config{Host: "192.0.2.1", TLS: TLSPlain}.withDefaults()}
	if _, err := c.dial(context.Background(), "tcp", "192.0.2.1:25", nil); err == nil {
		t.Errorf("dial(192.0.2.1) in plain mode = nil, want a refusal")
	}
}

func TestTLSFailuresAreRetried(t *testing.T) {
	t.Parallel()
	for _, mode := range []string{TLSStartTLS, TLSImplicit} {
		t.Run(mode, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t, smtpmem.Options{Users: map[string]string{"desk": "secret"}})
			id := e.insert(row{})[0]
			cfg := e.config()
			cfg.SMTP.TLS, cfg.SMTP.Auth, cfg.SMTP.Username, cfg.SMTP.Password = mode, AuthPlain, "desk", "secret"
			cfg.SMTP.Timeout = 2 * time.Second
			cfg.RetryBase = time.Hour
			e.start(cfg)
			r := e.waitRow(id, 10*time.Second, "an attempt", func(r outboxRow) bool {
				return r.Attempts == 1 && r.LeaseOwner == nil && r.Reply != ""
			})
			if r.Status != ticketing.OutboxQueued || !strings.HasPrefix(r.Reply, "connecting to ") {
				t.Errorf("outbox row = %+v, want queued for retry after the TLS failure", r)
			}
			if got := len(e.srv.Messages()); got != 0 {
				t.Errorf("messages at the server = %d, want 0", got)
			}
		})
	}
}

// TestShutdown runs alone (not in parallel) so that it can look for
// leaked goroutines.
func TestShutdown(t *testing.T) {
	e := newEnv(t, smtpmem.Options{})
	e.srv.Hang()
	id := e.insert(row{})[0]
	cfg := e.config()
	cfg.SMTP.Timeout = 20 * time.Second
	cfg.ShutdownGrace = 200 * time.Millisecond
	_, stop := e.start(cfg)

	deadline := time.Now().Add(10 * time.Second)
	for e.srv.Sessions() == 0 && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	time.Sleep(100 * time.Millisecond) // DATA is stalled now
	start := time.Now()
	if err := stop(); err != nil {
		t.Fatalf("Run() = %v, want nil", err)
	}
	if d := time.Since(start); d > 3*time.Second {
		t.Errorf("Run returned %v after cancel, want about the 200ms grace", d)
	}
	r := e.row(id)
	if r.Status != ticketing.OutboxQueued || r.LeaseOwner != nil || r.Attempts != 1 {
		t.Errorf("outbox row after shutdown = %+v, want queued, released, one attempt", r)
	}
	e.srv.Release()

	deadline = time.Now().Add(5 * time.Second)
	for {
		buf := make([]byte, 1<<20)
		stacks := string(buf[:runtime.Stack(buf, true)])
		if !strings.Contains(stacks, "github.com/deskgate/deskgate/mailout.(*Sender)") && !strings.Contains(stacks, "github.com/deskgate/deskgate/mailout.(*client)") {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("goroutines of the Sender still running after Run returned:\n%s", stacks)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func TestBackoff(t *testing.T) {
	t.Parallel()
	s := &Sender{cfg: SenderConfig{RetryBase: time.Second, RetryMax: 10 * time.Second}}
	for _, tt := range []struct {
		attempts int
		want     time.Duration
	}{{1, time.Second}, {2, 2 * time.Second}, {3, 4 * time.Second}, {4, 8 * time.Second}, {5, 10 * time.Second}, {60, 10 * time.Second}} {
		for range 50 {
			got := s.backoff(tt.attempts)
			if lo, hi := tt.want*8/10, tt.want*12/10; got < lo || got > hi {
				t.Fatalf("backoff(%d) = %v, want %v ± 20 %%", tt.attempts, got, tt.want)
			}
		}
	}
}

func TestSenderConfigDefaults(t *testing.T) {
	t.Parallel()
	cfg, err := SenderConfig{SMTP: Config{Host: "smtp.example.com", Username: "u", Password: "p"}}.withDefaults()
	if err != nil {
		t.Fatalf("withDefaults() = %v", err)
	}
	if cfg.Workers != 4 || cfg.Batch != 16 || cfg.Lease != 30*time.Second || cfg.Poll != time.Second ||
		cfg.SMTP.Port != 587 || cfg.SMTP.TLS != TLSStartTLS || cfg.SMTP.Auth != AuthPlain || cfg.SMTP.Timeout != 30*time.Second ||
		cfg.Breaker != (Breaker{time.Minute, 600, 5 * time.Minute}) || cfg.Owner == "" {
		t.Errorf("withDefaults() = %+v, want the documented defaults", cfg)
	}
	if _, err := (SenderConfig{SMTP: Config{Host: "h"}, Lease: 2 * time.Second}).withDefaults(); err == nil {
		t.Errorf("withDefaults() with Lease = 2s = nil, want an error")
	}
	if _, err := (SenderConfig{SMTP: Config{Host: "h"}, Compose: ComposeOptions{LoopHeader: "X Loop"}}).withDefaults(); err == nil {
		t.Errorf("withDefaults() with loop header %q = nil, want an error", "X Loop")
	}
}

func TestComposedMessageAtServer(t *testing.T) {
	t.Parallel()
	e := newEnv(t, smtpmem.Options{})
	e.insert(row{automatic: true, html: "<p>Hello</p>", text: ".\n..leading dots\n"})
	e.start(e.config())
	msgs := e.wait(1, 10*time.Second)
	raw := msgs[0].Data
	for _, want := range []string{"\r\nX-Deskgate-Loop: desk.example\r\n", "\r\nX-Auto-Response-Suppress: All\r\n", "multipart/alternative", "\r\n.\r\n..leading dots\r\n"} {
		if !bytes.Contains(raw, []byte(want)) {
			t.Errorf("message at the server lacks %q:\n%s", want, raw)
		}
	}
}
