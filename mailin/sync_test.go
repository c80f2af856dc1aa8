package mailin

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"deskgate/internal/imapmem"
)

func TestSyncCapturesNewMail(t *testing.T) {
	t.Parallel()
	e := newEnv(t, imapmem.Options{})
	var raws [][]byte
	for i := range 5 {
		raws = append(raws, message(i, ""))
		e.append("INBOX", raws[i])
	}
	var notified atomic.Int64
	s := e.syncer("a")
	s.captured = func() { notified.Add(1) }
	e.start(s)
	e.waitCount(5, 10*time.Second)

	validity, err := e.srv.UIDValidity("INBOX")
	if err != nil {
		t.Fatal(err)
	}
	for i, r := range e.rows() {
		if r.UID != int64(i+1) || r.UIDValidity != int64(validity) {
			t.Errorf("row %d: (uidvalidity, uid) = (%d, %d), want (%d, %d)", i, r.UIDValidity, r.UID, validity, i+1)
		}
		if !bytes.Equal(r.Raw, raws[i]) || r.Size != int64(len(raws[i])) || !bytes.Equal(r.SHA256, sum(raws[i])) || r.Truncated {
			t.Errorf("row %d: raw, size, sha256, truncated = %q, %d, %x, %v, want %q, %d, %x, false",
				i, r.Raw, r.Size, r.SHA256, r.Truncated, raws[i], len(raws[i]), sum(raws[i]))
		}
		if r.InternalDate == nil || time.Since(*r.InternalDate) > time.Minute {
			t.Errorf("row %d: internal_date = %v, want about now", i, r.InternalDate)
		}
	}
	eventually(t, 5*time.Second, func() error {
		for uid := uint32(1); uid <= 5; uid++ {
			flags, err := e.srv.Flags("INBOX", uid)
			if err != nil {
				return err
			}
			if !hasFlag(flags, "$Deskgate") || hasFlag(flags, `\Seen`) {
				return fmt.Errorf("Flags(INBOX, %d) = %q, want $Deskgate and no \\Seen", uid, flags)
			}
		}
		return nil
	})
	if _, last, owner := e.cursor(); last != 5 || owner != "a" {
		t.Errorf("cursor = last_uid %d, owner %q, want 5, \"a\"", last, owner)
	}
	if notified.Load() == 0 {
		t.Errorf("captured callback called %d times, want at least 1", notified.Load())
	}
	if n := e.logs.warn.Load() + e.logs.err.Load(); n != 0 {
		t.Errorf("%d warnings or errors logged, want 0", n)
	}
}

// assertUIDs checks that inbound holds exactly UIDs 1..n, once each.
func assertUIDs(t *testing.T, e *env, n int) {
	t.Helper()
	rows := e.rows()
	if len(rows) != n {
		t.Fatalf("len(rows) = %d, want %d", len(rows), n)
	}
	for i, r := range rows {
		if r.UID != int64(i+1) {
			t.Errorf("rows[%d].UID = %d, want %d", i, r.UID, i+1)
		}
	}
}

func TestCrashBeforeCommitNoGapNoDuplicate(t *testing.T) {
	t.Parallel()
	e := newEnv(t, imapmem.Options{})
	e.mb.BatchSize = 3
	for i := range 10 {
		e.append("INBOX", message(i, ""))
	}
	a := e.syncer("a")
	a.hooks.noRelease = true // a crash releases nothing
	crash, cancel := context.WithCancel(context.Background())
	a.hooks.beforeCommit = func(batch int) error {
		if batch == 2 {
			cancel()
			return errors.New("simulated crash before commit")
		}
		return nil
	}
	stopA := e.startWith(crash, a)
	<-crash.Done()
	if err := stopA(); err != nil {
		t.Fatalf("Run() = %v, want nil", err)
	}
	assertUIDs(t, e, 3)

	e.start(e.syncer("b")) // takes over once a's lease expires
	e.waitCount(10, 10*time.Second)
	assertUIDs(t, e, 10)
}

func TestCrashAfterCommitNoDuplicate(t *testing.T) {
	t.Parallel()
	e := newEnv(t, imapmem.Options{})
	e.mb.BatchSize = 3
	for i := range 10 {
		e.append("INBOX", message(i, ""))
	}
	a := e.syncer("a")
	a.hooks.noRelease = true
	crash, cancel := context.WithCancel(context.Background())
	a.hooks.afterCommit = func(batch int) {
		if batch == 2 {
			cancel() // before marking
		}
	}
	stopA := e.startWith(crash, a)
	<-crash.Done()
	if err := stopA(); err != nil {
		t.Fatalf("Run() = %v, want nil", err)
	}
	assertUIDs(t, e, 6)

	e.start(e.syncer("b"))
	e.waitCount(10, 10*time.Second)
	time.Sleep(200 * time.Millisecond) // a duplicate would show up now
	assertUIDs(t, e, 10)
	// Batch 2 was committed but never marked: the keyword is best effort,
	// the cursor is the truth.
	if flags, _ := e.srv.Flags("INBOX", 5); hasFlag(flags, "$Deskgate") {
		t.Errorf("Flags(INBOX, 5) = %q, want no $Deskgate (marking was interrupted)", flags)
	}
}

func TestTransientCaptureFailureRetried(t *testing.T) {
	t.Parallel()
	e := newEnv(t, imapmem.Options{})
	e.mb.BatchSize = 4
	for i := range 10 {
		e.append("INBOX", message(i, ""))
	}
	s := e.syncer("a")
	var failed atomic.Bool
	s.hooks.beforeCommit = func(batch int) error {
		if batch == 2 && !failed.Swap(true) {
			return errors.New("simulated database failure")
		}
		return nil
	}
	e.start(s)
	e.waitCount(10, 10*time.Second)
	assertUIDs(t, e, 10)
}

func TestTwoSyncersCaptureOnceAndFailOver(t *testing.T) {
	t.Parallel()
	e := newEnv(t, imapmem.Options{})
	e.mb.BatchSize = 5
	for i := range 40 {
		e.append("INBOX", message(i, ""))
	}
	stops := map[string]func() error{}
	for _, owner := range []string{"a", "b"} {
		s := e.syncer(owner)
		s.hooks.noRelease = true
		stops[owner] = e.start(s)
	}
	e.waitCount(40, 10*time.Second)
	assertUIDs(t, e, 40)

	_, _, leader := e.cursor()
	stop, ok := stops[leader]
	if !ok {
		t.Fatalf("lease owner = %q, want a or b", leader)
	}
	if err := stop(); err != nil { // dies without releasing the lease
		t.Fatalf("Run() = %v, want nil", err)
	}
	e.append("INBOX", message(40, ""))
	took := e.waitCount(41, 10*time.Second)
	t.Logf("standby captured new mail %v after the leader died (lease TTL %v)", took, e.mb.LeaseTTL)
	if took > 5*time.Second {
		t.Errorf("takeover took %v, want under 5s", took)
	}
	if _, _, owner := e.cursor(); owner == leader {
		t.Errorf("lease owner = %q, want the standby", owner)
	}
	assertUIDs(t, e, 41)
}

func TestGracefulShutdownReleasesLease(t *testing.T) {
	t.Parallel()
	e := newEnv(t, imapmem.Options{})
	e.mb.LeaseTTL = time.Minute
	stopA := e.start(e.syncer("a"))
	eventually(t, 5*time.Second, func() error {
		if _, _, owner := e.cursor(); owner != "a" {
			return fmt.Errorf("lease owner = %q, want a", owner)
		}
		return nil
	})
	e.start(e.syncer("b"))
	if err := stopA(); err != nil {
		t.Fatalf("Run() = %v, want nil", err)
	}
	e.append("INBOX", message(1, ""))
	e.waitCount(1, 5*time.Second) // well before the one-minute TTL
}

func TestUIDValidityChange(t *testing.T) {
	t.Parallel()
	e := newEnv(t, imapmem.Options{})
	for i := range 3 {
		e.append("INBOX", message(i, ""))
	}
	e.start(e.syncer("a"))
	e.waitCount(3, 10*time.Second)
	old, _ := e.srv.UIDValidity("INBOX")

	if err := e.srv.RecreateFolder("INBOX"); err != nil {
		t.Fatal(err)
	}
	validity, _ := e.srv.UIDValidity("INBOX")
	if validity == old {
		t.Fatalf("UIDValidity after RecreateFolder = %d, want a new one", validity)
	}
	raw := message(3, "")
	if uid := e.append("INBOX", raw); uid != 4 {
		t.Fatalf("Append() uid = %d, want 4", uid)
	}
	eventually(t, 10*time.Second, func() error {
		if v, last, _ := e.cursor(); v != int64(validity) || last != 4 {
			return fmt.Errorf("cursor = (%d, %d), want (%d, 4)", v, last, validity)
		}
		return nil
	})
	rows := e.rows()
	if len(rows) != 4 {
		t.Fatalf("len(rows) = %d, want 4 (no duplicates)", len(rows))
	}
	if r := rows[3]; r.UIDValidity != int64(validity) || r.UID != 4 || !bytes.Equal(r.Raw, raw) {
		t.Errorf("rows[3] = (%d, %d, %q), want (%d, 4, %q)", r.UIDValidity, r.UID, r.Raw, validity, raw)
	}
}

func TestSameMessageIDDifferentContent(t *testing.T) {
	t.Parallel()
	e := newEnv(t, imapmem.Options{})
	a := message(1, "")
	b := message(1, " And now the scanner too.")
	e.append("INBOX", a)
	e.append("INBOX", b)
	e.append("INBOX", a) // a byte-identical copy is the same message
	e.start(e.syncer("a"))
	eventually(t, 10*time.Second, func() error {
		if _, last, _ := e.cursor(); last != 3 {
			return fmt.Errorf("last_uid = %d, want 3", last)
		}
		return nil
	})
	rows := e.rows()
	if len(rows) != 2 || !bytes.Equal(rows[0].Raw, a) || !bytes.Equal(rows[1].Raw, b) {
		t.Errorf("rows = %d, want 2: both contents, once each", len(rows))
	}
}

func TestOversizeMessageStub(t *testing.T) {
	t.Parallel()
	e := newEnv(t, imapmem.Options{})
	e.mb.MaxMessageSize = 2000
	small := message(1, "")
	big := message(2, strings.Repeat("x", 5000))
	e.append("INBOX", small)
	e.append("INBOX", big)
	e.start(e.syncer("a"))
	e.waitCount(2, 10*time.Second)
	rows := e.rows()
	if r := rows[0]; r.Truncated || !bytes.Equal(r.Raw, small) {
		t.Errorf("rows[0] truncated, raw = %v, %q, want false, %q", r.Truncated, r.Raw, small)
	}
	header, _, _ := bytes.Cut(big, []byte("\r\n\r\n"))
	header = append(header, "\r\n\r\n"...)
	r := rows[1]
	if !r.Truncated || !bytes.Equal(r.Raw, header) || r.Size != int64(len(big)) || !bytes.Equal(r.SHA256, sum(header)) {
		t.Errorf("rows[1] truncated, raw, size = %v, %q, %d, want true, %q, %d", r.Truncated, r.Raw, r.Size, header, len(big))
	}
	eventually(t, 5*time.Second, func() error {
		if flags, _ := e.srv.Flags("INBOX", 2); !hasFlag(flags, "$Deskgate") {
			return fmt.Errorf("Flags(INBOX, 2) = %q, want $Deskgate", flags)
		}
		return nil
	})
}

// waitSynced waits until the syncer has connected and recorded the
// folder's UIDVALIDITY.
func (e *env) waitSynced() {
	e.t.Helper()
	eventually(e.t, 10*time.Second, func() error {
		if v, _, _ := e.cursor(); v == 0 {
			return errors.New("mailbox never synced")
		}
		return nil
	})
}

func TestIdlePickup(t *testing.T) {
	t.Parallel()
	e := newEnv(t, imapmem.Options{})
	e.mb.PollInterval = time.Hour // only IDLE can be fast
	e.start(e.syncer("a"))
	e.waitSynced()
	time.Sleep(100 * time.Millisecond)
	for i := range 3 {
		e.append("INBOX", message(i, ""))
		took := e.waitCount(i+1, 5*time.Second)
		t.Logf("message %d captured %v after arrival", i, took)
		if took > 2*time.Second {
			t.Errorf("IDLE pickup took %v, want well under a second", took)
		}
	}
	if n := e.logs.warn.Load() + e.logs.err.Load(); n != 0 {
		t.Errorf("%d warnings or errors logged, want 0", n)
	}
}

func TestPollWithoutIdle(t *testing.T) {
	t.Parallel()
	e := newEnv(t, imapmem.Options{DisableIdle: true})
	e.mb.PollInterval = 200 * time.Millisecond
	e.start(e.syncer("a"))
	e.waitSynced()
	e.append("INBOX", message(1, ""))
	took := e.waitCount(1, 5*time.Second)
	t.Logf("polled message captured %v after arrival", took)
	if n := e.logs.warn.Load() + e.logs.err.Load(); n != 0 {
		t.Errorf("%d warnings or errors logged, want 0 (IDLE must not be tried)", n)
	}
}

func TestXOAUTH2Login(t *testing.T) {
	t.Parallel()
	e := newEnv(t, imapmem.Options{OAuth2Token: "good-token"})
	mb := e.mb.withDefaults()
	c, err := dial(mb, nil)
	if err != nil {
		t.Fatalf("dial(right token) = %v, want nil", err)
	}
	c.Close()

	mb.OAuth2Token = "stale-token"
	_, err = dial(mb, nil)
	if err == nil || !strings.Contains(err.Error(), "XOAUTH2 login") || !strings.Contains(err.Error(), `"status":"401"`) {
		t.Errorf("dial(wrong token) = %v, want an XOAUTH2 rejection quoting the server's error", err)
	}

	e.append("INBOX", message(1, ""))
	e.start(e.syncer("a"))
	e.waitCount(1, 10*time.Second)
}

func TestPasswordLoginFailure(t *testing.T) {
	t.Parallel()
	e := newEnv(t, imapmem.Options{})
	mb := e.mb.withDefaults()
	mb.Password = "wrong"
	if _, err := dial(mb, nil); err == nil || !strings.HasPrefix(err.Error(), "mailin: log in to") {
		t.Errorf("dial(wrong password) = %v, want a login error", err)
	}
}

func TestMoveTo(t *testing.T) {
	t.Parallel()
	e := newEnv(t, imapmem.Options{})
	e.mb.MoveTo = "Done"
	if _, err := e.srv.Append("Done", message(99, "")); err != nil { // creates the folder
		t.Fatal(err)
	}
	for i := range 3 {
		e.append("INBOX", message(i, ""))
	}
	e.start(e.syncer("a"))
	e.waitCount(3, 10*time.Second)
	eventually(t, 5*time.Second, func() error {
		inbox, _ := e.srv.UIDs("INBOX")
		done, _ := e.srv.UIDs("Done")
		if len(inbox) != 0 || len(done) != 4 {
			return fmt.Errorf("UIDs(INBOX), UIDs(Done) = %v, %v, want none and 4", inbox, done)
		}
		return nil
	})
	if flags, _ := e.srv.Flags("Done", 2); hasFlag(flags, "$Deskgate") {
		t.Errorf("Flags(Done, 2) = %q, want no keyword (move only)", flags)
	}
}

func TestMoveToWithoutMoveCapability(t *testing.T) {
	t.Parallel()
	e := newEnv(t, imapmem.Options{DisableMove: true})
	e.mb.MoveTo = "Done"
	if _, err := e.srv.Append("Done", message(99, "")); err != nil {
		t.Fatal(err)
	}
	for i := range 3 {
		e.append("INBOX", message(i, ""))
	}
	e.start(e.syncer("a"))
	e.waitCount(3, 10*time.Second)
	eventually(t, 5*time.Second, func() error {
		for uid := uint32(1); uid <= 3; uid++ {
			flags, err := e.srv.Flags("INBOX", uid)
			if err != nil {
				return err
			}
			if !hasFlag(flags, "$Deskgate") || hasFlag(flags, `\Deleted`) {
				return fmt.Errorf("Flags(INBOX, %d) = %q, want $Deskgate and no \\Deleted", uid, flags)
			}
		}
		return nil
	})
	inbox, _ := e.srv.UIDs("INBOX")
	done, _ := e.srv.UIDs("Done")
	if len(inbox) != 3 || len(done) != 1 {
		t.Errorf("UIDs(INBOX), UIDs(Done) = %v, %v, want 3 and 1 (nothing copied or expunged)", inbox, done)
	}
	if n := e.logs.err.Load(); n != 1 {
		t.Errorf("%d errors logged, want 1 (about the missing MOVE)", n)
	}
}

func TestStopWhileStandby(t *testing.T) {
	t.Parallel()
	e := newEnv(t, imapmem.Options{})
	e.start(e.syncer("a"))
	e.waitSynced()
	ctx, cancel := context.WithTimeout(context.Background(), 500*time.Millisecond)
	defer cancel()
	if err := e.syncer("b").Run(ctx); err != nil {
		t.Errorf("Run() of a standby = %v, want nil", err)
	}
}
