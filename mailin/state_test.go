package mailin

import (
	"context"
	"fmt"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/deskgate/deskgate/internal/imapmem"
)

// stateOf returns the recorded state of mailbox name.
func (e *env) stateOf(name string) MailboxState {
	e.t.Helper()
	states, err := MailboxStates(context.Background(), e.pool)
	if err != nil {
		e.t.Fatalf("MailboxStates() = %v", err)
	}
	for _, m := range states {
		if m.Name == name {
			return m
		}
	}
	return MailboxState{}
}

// waitState waits until mailbox name is recorded in state st.
func (e *env) waitState(name string, st State) MailboxState {
	e.t.Helper()
	var m MailboxState
	eventually(e.t, 10*time.Second, func() error {
		if m = e.stateOf(name); m.State != st {
			return fmt.Errorf("state of %q = %+v, want %s", name, m, st)
		}
		return nil
	})
	return m
}

func TestStateAuthFailed(t *testing.T) {
	t.Parallel()
	e := newEnv(t, imapmem.Options{})
	e.mb.Password = "wrong"
	e.start(e.syncer("a"))
	m := e.waitState("desk", StateAuthFailed)
	if !strings.Contains(m.LastError, "NO") || !strings.Contains(m.LastError, "desk@example.com") || m.LastErrorAt.IsZero() {
		t.Errorf("recorded error = %q at %v, want the server's refusal for desk@example.com with its time", m.LastError, m.LastErrorAt)
	}
	if !m.LastSync.IsZero() {
		t.Errorf("last sync = %v, want none", m.LastSync)
	}
	if got := e.logs.find("ERROR", "IMAP login rejected", "NO"); len(got) == 0 {
		t.Errorf("logged %q, want an ERROR with the server's reply", e.logs.find("login"))
	}
}

func TestStateUnreachable(t *testing.T) {
	t.Parallel()
	e := newEnv(t, imapmem.Options{})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	e.mb.Addr = ln.Addr().String()
	ln.Close() // nothing listens there now
	e.start(e.syncer("a"))
	m := e.waitState("desk", StateUnreachable)
	if !strings.Contains(m.LastError, "connect to "+e.mb.Addr) {
		t.Errorf("recorded error = %q, want the failed connection", m.LastError)
	}
}

func TestStateConnectedIdleStopped(t *testing.T) {
	t.Parallel()
	e := newEnv(t, imapmem.Options{})
	e.append("INBOX", message(0, ""))
	s := e.syncer("a")
	seen := make(chan MailboxState, 1)
	s.hooks.beforeCommit = func(batch int) error {
		if batch == 1 {
			seen <- e.stateOf("desk")
		}
		return nil
	}
	stop := e.start(s)
	if m := <-seen; m.State != StateConnected || m.Behind != 1 || m.Owner != "a" {
		t.Errorf("state while capturing one message = %+v, want connected, 1 behind, owner a", m)
	}
	m := e.waitState("desk", StateIdle)
	if m.Behind != 0 || m.LastSync.IsZero() || m.LastError != "" {
		t.Errorf("state once caught up = %+v, want idle, none behind, a last sync, no error", m)
	}
	if err := stop(); err != nil {
		t.Fatal(err)
	}
	if m := e.stateOf("desk"); m.State != StateStopped || m.Owner != "" {
		t.Errorf("state after a normal stop = %+v, want stopped without an owner", m)
	}
}

func TestStateCatchingUpBehind(t *testing.T) {
	t.Parallel()
	e := newEnv(t, imapmem.Options{})
	for i := range 7 {
		e.append("INBOX", message(i, ""))
	}
	e.mb.BatchSize = 2
	s := e.syncer("a")
	s.heartbeat = time.Hour // only changes of state are written
	seen := make(chan MailboxState, 4)
	s.hooks.beforeCommit = func(batch int) error {
		seen <- e.stateOf("desk")
		return nil
	}
	e.start(s)
	if m := <-seen; m.State != StateCatchingUp || m.Behind != 7 {
		t.Errorf("state during the first batch = %+v, want catching_up with 7 behind", m)
	}
	e.waitCount(7, 10*time.Second)
	e.waitState("desk", StateIdle)

	s2 := e.syncer("b") // a heartbeat at every batch
	s2.heartbeat = time.Nanosecond
	e.mb.Name = "other"
	s2.mb.Name, s2.mb.BatchSize = "other", 2
	var behind []int64
	s2.hooks.beforeCommit = func(batch int) error {
		behind = append(behind, e.stateOf("other").Behind)
		return nil
	}
	e.start(s2)
	e.waitState("other", StateIdle)
	// Batch n commits after the cursor passed batch n-1 (pipelined): 7, 5, 3, 1.
	if want := []int64{7, 5, 3, 1}; fmt.Sprint(behind) != fmt.Sprint(want) {
		t.Errorf("behind at each batch = %v, want %v", behind, want)
	}
}
