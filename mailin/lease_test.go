package mailin

import (
	"fmt"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/deskgate/deskgate/internal/imapmem"
	"github.com/deskgate/deskgate/owner"
)

// deadOwner returns an owner id of a process of this host that has exited.
func deadOwner(t *testing.T) string {
	t.Helper()
	cmd := exec.Command("true")
	if err := cmd.Run(); err != nil {
		t.Skipf("cannot run true: %v", err)
	}
	id := owner.New()
	host, _ := os.Hostname()
	parts := strings.Split(strings.TrimPrefix(id, host+":"), ":") // pid, start, random
	dead := fmt.Sprintf("%s:%d:%s:%s", host, cmd.Process.Pid, parts[1], parts[2])
	if !owner.Dead(dead) {
		t.Skipf("owner.Dead(%q) = false: this system cannot tell a dead process", dead)
	}
	return dead
}

// holdLease runs a Syncer as owner until it holds the lease, then stops it
// without releasing it, as a killed process leaves it.
func (e *env) holdLease(id string) {
	e.t.Helper()
	s := e.syncer(id)
	s.hooks.noRelease = true
	stop := e.start(s)
	eventually(e.t, 10*time.Second, func() error {
		if _, _, o := e.cursor(); o != id {
			return fmt.Errorf("lease owner = %q, want %q", o, id)
		}
		return nil
	})
	if err := stop(); err != nil {
		e.t.Fatalf("Run() = %v, want nil", err)
	}
}

func TestRestartTakesOverDeadPredecessorsLease(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		old  func(t *testing.T) string
	}{
		{"exited", deadOwner},
		{"pid reused", func(t *testing.T) string { // this pid, another start
			host, _ := os.Hostname()
			id := fmt.Sprintf("%s:%d:00000000.1:abcd", host, os.Getpid())
			if !owner.Dead(id) {
				t.Skipf("owner.Dead(%q) = false: this system cannot tell a reused pid", id)
			}
			return id
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t, imapmem.Options{})
			e.mb.LeaseTTL = time.Hour // only recognising the dead owner can be fast
			e.holdLease(tc.old(t))
			e.append("INBOX", message(1, ""))
			s := e.syncer(owner.New())
			e.start(s)
			took := e.waitCount(1, 10*time.Second)
			t.Logf("restarted process captured mail %v after start (lease TTL %v)", took, e.mb.LeaseTTL)
			if got := e.logs.find("INFO", "took over the lease of a dead process"); len(got) != 1 {
				t.Errorf("logged %q, want one INFO about taking over", got)
			}
			if got := e.logs.find("standing by"); len(got) != 0 {
				t.Errorf("logged %q, want no standing by", got)
			}
		})
	}
}

func TestLiveProcessLeaseRespected(t *testing.T) {
	t.Parallel()
	e := newEnv(t, imapmem.Options{})
	e.mb.LeaseTTL = time.Hour
	live := owner.New() // this process, which is running
	e.holdLease(live)
	e.append("INBOX", message(1, ""))
	e.start(e.syncer(owner.New()))
	e.waitLogged("INFO", "mailbox synced by another process; standing by")
	// The standby retries every few hundred milliseconds; give it several.
	time.Sleep(time.Second)
	if n := e.count(); n != 0 {
		t.Errorf("count(inbound) = %d, want 0: the lease of a live process was taken", n)
	}
	if _, _, o := e.cursor(); o != live {
		t.Errorf("lease owner = %q, want %q", o, live)
	}
}
