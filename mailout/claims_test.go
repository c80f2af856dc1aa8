package mailout

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"testing"
	"time"

	"github.com/deskgate/deskgate/internal/smtpmem"
	"github.com/deskgate/deskgate/ticketing"
)

// TestClaimsRenewedWhileSending holds a message in DATA for more than two
// leases: the claim is renewed meanwhile (nobody else may take the row),
// and the renewals move the I/O deadline too, so the connection still
// waits for the server's reply.
func TestClaimsRenewedWhileSending(t *testing.T) {
	t.Parallel()
	e := newEnv(t, smtpmem.Options{})
	e.srv.Hang()
	id := e.insert(row{})[0]
	cfg := e.config()
	cfg.Lease = 5 * time.Second // renewed every 1.7s; a loaded machine may delay one renewal
	cfg.SMTP.Timeout = 30 * time.Second
	e.start(cfg)
	deadline := time.Now().Add(10 * time.Second)
	for e.srv.Sessions() == 0 || e.row(id).LeaseOwner == nil {
		if time.Now().After(deadline) {
			t.Fatalf("no session and claim after 10s: %+v", e.row(id))
		}
		time.Sleep(10 * time.Millisecond)
	}
	time.Sleep(2*cfg.Lease + time.Second)
	var owner string
	var left time.Duration
	err := e.pool.QueryRow(context.Background(), `SELECT lease_owner, lease_until - now() FROM outbox WHERE id = $1`, id).Scan(&owner, &left)
	if err != nil {
		t.Fatal(err)
	}
	if r := e.row(id); owner != cfg.Owner || left <= 0 || r.Attempts != 1 {
		t.Errorf("row after %v in DATA = %+v, lease %v left; want still claimed by %s, renewed, first attempt", 2*cfg.Lease+time.Second, r, left, cfg.Owner)
	}
	e.srv.Release() // the stalled transaction is answered 451; the retry goes through
	r := e.waitStatus(id, ticketing.OutboxSent, 20*time.Second)
	if r.Attempts != 2 {
		t.Errorf("attempts = %d, want 2", r.Attempts)
	}
}

// TestDeadOwnersClaimsTakenOver: rows claimed for an hour by a process of
// this host that is gone are taken over by a sender as it starts, long
// before that lease ends, and it says so.
func TestDeadOwnersClaimsTakenOver(t *testing.T) {
	t.Parallel()
	e := newEnv(t, smtpmem.Options{})
	cmd := exec.Command("true")
	if err := cmd.Run(); err != nil {
		t.Skipf("cannot run true: %v", err)
	}
	host, _ := os.Hostname()
	dead := fmt.Sprintf("%s:%d:abcd1234", host, cmd.Process.Pid)
	ids := e.insert(make([]row, 5)...)
	if ns, err := ticketing.ClaimNotifications(context.Background(), e.pool, dead, time.Hour, 10, true); err != nil || len(ns) != 5 {
		t.Fatalf("ClaimNotifications(%s) = %d, %v; want 5", dead, len(ns), err)
	}
	cfg := e.config()
	cfg.Lease = 3 * time.Second
	e.start(cfg) // after the claim, so that it cannot take the rows first
	for _, id := range ids {
		if r := e.waitStatus(id, ticketing.OutboxSent, 20*time.Second); r.Attempts != 2 {
			t.Errorf("row %d attempts = %d, want 2 (the dead process's and the sender's)", id, r.Attempts)
		}
	}
	if got := e.logs.count(slog.LevelInfo, "mailout: taking over the claimed emails of a dead process"); got != 1 {
		t.Errorf("INFO lines about the takeover = %d, want 1:\n%s", got, e.text.String())
	}
}
