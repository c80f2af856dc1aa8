package mailout

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"os/signal"
	"strconv"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/deskgate/deskgate/internal/dbtest"
	"github.com/deskgate/deskgate/internal/smtpmem"
	"github.com/deskgate/deskgate/ticketing"
)

// senderRoleEnv, set, makes the test binary a sending process (see
// senderProcess) instead of running tests, so that a test can kill it
// with SIGKILL as a crash would.
const senderRoleEnv = "DESKGATE_MAILOUT_TEST_ROLE"

// crashWorkers and crashLease configure the sending process: four
// connections, and a lease so long that only a takeover brings its mail
// back within the test.
const (
	crashWorkers = 4
	crashLease   = 10 * time.Minute
)

// senderProcess runs a Sender with crashWorkers workers on the database
// DESKGATE_DATABASE_URL, sending to the SMTP port DESKGATE_MAILOUT_TEST_SMTP,
// until SIGTERM.
func senderProcess() int {
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM)
	defer stop()
	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelInfo}))
	pool, err := pgxpool.New(ctx, os.Getenv("DESKGATE_DATABASE_URL"))
	if err != nil {
		log.Error("connecting", "err", err)
		return 1
	}
	defer pool.Close()
	port, _ := strconv.Atoi(os.Getenv("DESKGATE_MAILOUT_TEST_SMTP"))
	s := NewSender(log, pool, SenderConfig{
		SMTP:    Config{Host: "127.0.0.1", Port: port, TLS: TLSPlain, Timeout: 5 * time.Second},
		Workers: crashWorkers, Batch: DefaultBatch, Lease: crashLease, Poll: 20 * time.Millisecond,
		Breaker: Breaker{Max: 1 << 30},
	})
	if err := s.Run(ctx); err != nil {
		log.Error("sender", "err", err)
		return 1
	}
	return 0
}

// senderChild is a sending process started by a test.
type senderChild struct {
	cmd    *exec.Cmd
	stderr *syncBuffer
	exited chan struct{}
}

func startSenderChild(t *testing.T, url string, port int) *senderChild {
	t.Helper()
	c := &senderChild{cmd: exec.Command(os.Args[0], "-test.run=^$"), stderr: &syncBuffer{}, exited: make(chan struct{})}
	c.cmd.Env = append(os.Environ(), senderRoleEnv+"=sender", "DESKGATE_DATABASE_URL="+url,
		"DESKGATE_MAILOUT_TEST_SMTP="+strconv.Itoa(port))
	c.cmd.Stderr = c.stderr
	if err := c.cmd.Start(); err != nil {
		t.Fatalf("starting the sending process: %v", err)
	}
	go func() { c.cmd.Wait(); close(c.exited) }()
	t.Cleanup(func() { c.cmd.Process.Kill(); <-c.exited })
	return c
}

// TestCrashRepeatsAtMostOnePerConnection kills a sending process with
// SIGKILL at several points of a backlog, each time once the SMTP server
// has accepted a given number of messages (the server holds its reply to
// the last of them until the process is dead, and answers nobody else
// meanwhile), restarts it, and checks that each kill leaves at most one
// accepted message per connection unrecorded, that the restarted process
// takes over the dead one's claims at once (their lease is 10 minutes)
// and says so, and that every email arrives.
func TestCrashRepeatsAtMostOnePerConnection(t *testing.T) {
	t.Parallel()
	const n = 300
	kills := []int{10, 75, 150, 230} // messages received when each kill strikes
	var mu sync.Mutex
	var child *senderChild
	killAt := -1
	var srv *smtpmem.Server
	srv, err := smtpmem.Start(smtpmem.Options{Deliver: func(smtpmem.Message) {
		mu.Lock()
		c, at := child, killAt
		mu.Unlock()
		if c != nil && at >= 0 && len(srv.Messages()) >= at {
			c.cmd.Process.Kill()
			<-c.exited
		}
	}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close() })
	url := dbtest.URL(t)
	pool, err := pgxpool.New(context.Background(), url)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pool.Close)
	e := &env{t: t, pool: pool, srv: srv, logs: &logRecorder{}, text: &syncBuffer{}}
	rows := make([]row, n)
	for i := range rows {
		rows[i] = row{messageID: fmt.Sprintf("crash.%d@desk.example", i)}
	}
	e.insert(rows...)

	var perKill []int
	for i, at := range kills {
		from := len(srv.Messages())
		c := startSenderChild(t, url, srv.Port())
		mu.Lock()
		child, killAt = c, at
		mu.Unlock()
		select {
		case <-c.exited:
		case <-time.After(60 * time.Second):
			t.Fatalf("run %d: the server received %d messages in 60s, want %d before the kill", i+1, len(srv.Messages()), at)
		}
		mu.Lock()
		child, killAt = nil, -1
		mu.Unlock()
		unrecorded := e.unrecorded(from)
		perKill = append(perKill, unrecorded)
		if unrecorded > crashWorkers {
			t.Errorf("kill %d (after %d messages): %d accepted messages not recorded as sent, want at most %d (one per connection)",
				i+1, at, unrecorded, crashWorkers)
		}
		if i > 0 && !bytes.Contains([]byte(c.stderr.String()), []byte("taking over the claimed emails of a dead process")) {
			t.Errorf("run %d log lacks the takeover of its predecessor's claims:\n%s", i+1, c.stderr.String())
		}
	}
	last := startSenderChild(t, url, srv.Port())
	deadline := time.Now().Add(60 * time.Second)
	for e.countStatus(ticketing.OutboxSent) < n {
		if time.Now().After(deadline) {
			t.Fatalf("%d of %d rows sent 60s after the last restart (the claims' lease is %v), want all:\n%s",
				e.countStatus(ticketing.OutboxSent), n, crashLease, last.stderr.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
	last.cmd.Process.Signal(syscall.SIGTERM)
	<-last.exited
	if !bytes.Contains([]byte(last.stderr.String()), []byte("taking over the claimed emails of a dead process")) {
		t.Errorf("last run's log lacks the takeover of its predecessor's claims:\n%s", last.stderr.String())
	}
	seen := map[string]int{}
	for _, m := range srv.Messages() {
		seen[messageID(m.Data)]++
	}
	dups := 0
	for i := range n {
		c := seen[fmt.Sprintf("crash.%d@desk.example", i)]
		if c == 0 {
			t.Errorf("crash.%d never arrived", i)
		}
		dups += max(c-1, 0)
	}
	total := 0
	for _, u := range perKill {
		total += u
	}
	if dups > total {
		t.Errorf("%d duplicates at the server, want at most the %d unrecorded at the kills", dups, total)
	}
	t.Logf("%d kills; unrecorded (re-sent) per kill: %v; duplicates at the server: %d", len(kills), perKill, dups)
}

// unrecorded returns how many messages the server received whose rows
// are not recorded as sent: a restart sends them again.
// Only messages received from index from on count: those of the run that
// just ended. One received in an earlier run and not yet sent again (the
// run after its kill was killed before it came to it) was charged to that
// earlier kill already.
func (e *env) unrecorded(from int) int {
	e.t.Helper()
	sent := map[string]bool{}
	rows, err := e.pool.Query(context.Background(), `SELECT message_id FROM outbox WHERE status = 'sent'`)
	if err != nil {
		e.t.Fatal(err)
	}
	for rows.Next() {
		var id string
		rows.Scan(&id)
		sent[id] = true
	}
	rows.Close()
	n := 0
	counted := map[string]bool{}
	for _, m := range e.srv.Messages()[from:] {
		id := messageID(m.Data)
		if !sent[id] && !counted[id] {
			counted[id] = true
			n++
		}
	}
	return n
}
