package mailin

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/deskgate/deskgate/internal/imapmem"
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
	e.waitFlags("INBOX", 5, "$Deskgate", `\Seen`)
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

// TestStopJustAfterAcquiringReleasesLease stops a Syncer between taking
// the lease and leading: it must still release it, or a standby waits a
// whole TTL. The test sees the lease taken as soon as the database commits
// it, so stopping at that moment is what TestGracefulShutdownReleasesLease
// sometimes did.
func TestStopJustAfterAcquiringReleasesLease(t *testing.T) {
	t.Parallel()
	e := newEnv(t, imapmem.Options{})
	e.mb.LeaseTTL = time.Minute
	ctx, cancel := context.WithCancel(context.Background())
	s := e.syncer("a")
	s.hooks.acquired = func(ok bool) {
		if ok {
			cancel()
		}
	}
	if err := s.Run(ctx); err != nil {
		t.Fatalf("Run() = %v, want nil", err)
	}
	if _, _, owner := e.cursor(); owner != "" {
		t.Errorf("lease owner after Run = %q, want none", owner)
	}
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
	wantReason := fmt.Sprintf("message is %d bytes, over the 2000-byte limit; only its header was captured", len(big))
	if rows[0].Reason != "" || r.Reason != wantReason {
		t.Errorf("rows[0].Reason, rows[1].Reason = %q, %q, want \"\", %q", rows[0].Reason, r.Reason, wantReason)
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
	c, err := dial(context.Background(), mb, nil)
	if err != nil {
		t.Fatalf("dial(right token) = %v, want nil", err)
	}
	c.Close()

	mb.OAuth2Token = "stale-token"
	_, err = dial(context.Background(), mb, nil)
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
	if _, err := dial(context.Background(), mb, nil); err == nil || !strings.HasPrefix(err.Error(), "mailin: log in to") {
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
	e.waitFlags("INBOX", 3, "$Deskgate", `\Deleted`)
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

// headerOf returns the header of raw with the blank line that ends it.
func headerOf(raw []byte) []byte {
	header, _, _ := bytes.Cut(raw, []byte("\r\n\r\n"))
	return append(header, "\r\n\r\n"...)
}

// exchangeRefusal is what Exchange says when it cannot return a message.
const exchangeRefusal = "The specified message could not be converted to an RFC-822 compatible format."

func TestRefusedMessageCapturedAsStub(t *testing.T) {
	t.Parallel()
	e := newEnv(t, imapmem.Options{})
	var raws [][]byte
	for i := range 5 {
		raws = append(raws, message(i, ""))
		e.append("INBOX", raws[i])
	}
	e.srv.FailFetch("INBOX", 3, exchangeRefusal)
	e.start(e.syncer("a"))
	e.waitCount(5, 10*time.Second)
	rows := e.rows()
	for i, r := range rows {
		if r.UID == 3 {
			continue
		}
		if r.Truncated || !bytes.Equal(r.Raw, raws[i]) || r.Reason != "" {
			t.Errorf("rows[%d] (uid %d) truncated, raw, reason = %v, %q, %q, want false, %q, \"\"", i, r.UID, r.Truncated, r.Raw, r.Reason, raws[i])
		}
	}
	r := rows[2]
	wantReason := `the IMAP server refused to return this message: "` + exchangeRefusal + `"; only its header was captured`
	if r.UID != 3 || !r.Truncated || !bytes.Equal(r.Raw, headerOf(raws[2])) || r.Size != int64(len(raws[2])) || r.Reason != wantReason {
		t.Errorf("rows[2] uid, truncated, raw, size, reason = %d, %v, %q, %d, %q, want 3, true, %q, %d, %q",
			r.UID, r.Truncated, r.Raw, r.Size, r.Reason, headerOf(raws[2]), len(raws[2]), wantReason)
	}
	if _, last, _ := e.cursor(); last != 5 {
		t.Errorf("cursor last_uid = %d, want 5", last)
	}
	eventually(t, 5*time.Second, func() error {
		if flags, _ := e.srv.Flags("INBOX", 3); !hasFlag(flags, "$Deskgate") {
			return fmt.Errorf("Flags(INBOX, 3) = %q, want $Deskgate", flags)
		}
		return nil
	})
}

func TestRefusedHeaderCapturedAsEmptyStubs(t *testing.T) {
	t.Parallel()
	e := newEnv(t, imapmem.Options{})
	e.mb.BatchSize = 2
	for i := range 4 {
		e.append("INBOX", message(i, ""))
	}
	// Two stubs without a single byte: both must be kept, although their
	// SHA-256 is the same.
	for _, uid := range []uint32{2, 3} {
		e.srv.SetFetchFault("INBOX", uid, imapmem.FetchFault{Refuse: exchangeRefusal, RefuseHeader: true})
	}
	e.start(e.syncer("a"))
	e.waitCount(4, 10*time.Second)
	time.Sleep(100 * time.Millisecond) // a duplicate would show up now
	assertUIDs(t, e, 4)
	wantReason := `the IMAP server refused to return this message: "` + exchangeRefusal + `"; not even its header could be fetched`
	for _, r := range e.rows()[1:3] {
		if !r.Truncated || len(r.Raw) != 0 || r.Reason != wantReason {
			t.Errorf("row uid %d truncated, raw, reason = %v, %q, %q, want true, \"\", %q", r.UID, r.Truncated, r.Raw, r.Reason, wantReason)
		}
	}
}

func TestOmittedMessageNotSkipped(t *testing.T) {
	t.Parallel()
	e := newEnv(t, imapmem.Options{})
	for i := range 4 {
		e.append("INBOX", message(i, ""))
	}
	// The server answers OK to every FETCH of UID 4's content but leaves
	// it out, though the message is still there.
	e.srv.SetFetchFault("INBOX", 4, imapmem.FetchFault{Omit: true})
	e.start(e.syncer("a"))
	e.waitCount(4, 10*time.Second)
	assertUIDs(t, e, 4)
	r := e.rows()[3]
	wantReason := "the IMAP server did not return this message's content, although the message is still in the folder; not even its header could be fetched"
	if !r.Truncated || len(r.Raw) != 0 || r.Size != int64(len(message(3, ""))) || r.Reason != wantReason {
		t.Errorf("rows[3] truncated, raw, size, reason = %v, %q, %d, %q, want true, \"\", %d, %q",
			r.Truncated, r.Raw, r.Size, r.Reason, len(message(3, "")), wantReason)
	}
	if got := e.logs.find("vanished"); len(got) != 0 {
		t.Errorf("logged %q, want no message called vanished", got)
	}
}

func TestWatchdogExtendedByProgress(t *testing.T) {
	t.Parallel()
	const d = 100 * time.Millisecond
	act := newActivity()
	var cut atomic.Int64
	w := watch(act, d, func() { cut.Add(1) })
	for range 10 { // 300ms of steady progress: three timeouts' worth
		time.Sleep(d / 3)
		act.touch()
	}
	if cut.Load() != 0 || w.stop() {
		t.Fatalf("watch(%v) cut a connection that received data every %v", d, d/3)
	}

	w = watch(act, d, func() { cut.Add(1) })
	time.Sleep(d / 2)
	act.touch()
	time.Sleep(d * 3 / 4) // past the first deadline, not past the extended one
	if cut.Load() != 0 {
		t.Fatalf("watch(%v) cut the connection %v after the last data, want no cut before %v", d, d*3/4, d)
	}
	deadline := time.Now().Add(2 * time.Second)
	for cut.Load() == 0 && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	if !w.stop() || cut.Load() != 1 {
		t.Errorf("watch(%v) after silence: stop() = false or cut %d times, want fired and cut once", d, cut.Load())
	}
}

func TestCancelWhileServerSilent(t *testing.T) {
	t.Parallel()
	e := newEnv(t, imapmem.Options{})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	accepted := make(chan net.Conn, 8)
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			accepted <- c // never says a word
		}
	}()
	defer func() {
		for len(accepted) > 0 {
			(<-accepted).Close()
		}
	}()
	e.mb.Addr = ln.Addr().String()
	e.mb.LeaseTTL = time.Minute
	e.mb.CommandTimeout = 10 * time.Second
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- e.syncer("a").Run(ctx) }()
	select {
	case <-accepted:
	case <-time.After(5 * time.Second):
		t.Fatal("Run() never connected")
	}
	t0 := time.Now()
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("Run() = %v, want nil", err)
		}
	case <-time.After(3 * time.Second):
		t.Fatalf("Run() still running 3s after cancel while the server was silent (command timeout %v)", e.mb.CommandTimeout)
	}
	t.Logf("Run returned %v after cancel", time.Since(t0).Round(time.Millisecond))
	if _, _, owner := e.cursor(); owner != "" {
		t.Errorf("lease owner after Run = %q, want released", owner)
	}
}

func TestMissingFolderNamedAndRecovery(t *testing.T) {
	t.Parallel()
	e := newEnv(t, imapmem.Options{})
	e.mb.Folder = "Desk"
	e.start(e.syncer("a"))
	eventually(t, 10*time.Second, func() error {
		if got := e.logs.find("IMAP session failed", `SELECT "Desk"`, "NONEXISTENT"); len(got) == 0 {
			return fmt.Errorf("logged %q, want a session failure naming folder \"Desk\"", e.logs.find("session failed"))
		}
		return nil
	})
	e.append("Desk", message(1, ""))
	e.waitCount(1, 10*time.Second)
	e.append("Desk", message(2, ""))
	e.waitCount(2, 10*time.Second)
	if got := e.logs.find("INFO mailin: mailbox reachable again"); len(got) != 1 {
		t.Errorf("logged %q, want \"mailbox reachable again\" once", got)
	}
}

func TestSlowLinkLargeBatch(t *testing.T) {
	t.Parallel()
	e := newEnv(t, imapmem.Options{BytesPerSecond: 200 << 10})
	// The batch takes about a second to arrive, over three command
	// timeouts, but data never stops flowing.
	e.mb.CommandTimeout = 300 * time.Millisecond
	for i := range 4 {
		e.append("INBOX", message(i, strings.Repeat("slow link ", 5<<10)))
	}
	e.start(e.syncer("a"))
	e.waitCount(4, 15*time.Second)
	if got := e.logs.find("timed out"); len(got) != 0 {
		t.Errorf("logged %q, want no timeouts on a slow but live link", got)
	}
}

func TestExistsConfirmsGone(t *testing.T) {
	t.Parallel()
	e := newEnv(t, imapmem.Options{})
	e.append("INBOX", message(1, ""))
	s := e.syncer("a")
	c, err := dial(context.Background(), s.mb, nil)
	if err != nil {
		t.Fatalf("dial() = %v", err)
	}
	defer c.Close()
	if _, err := c.Select("INBOX", nil).Wait(); err != nil {
		t.Fatalf("Select(INBOX) = %v", err)
	}
	cn := &conn{c: c}
	for uid, want := range map[uint32]bool{1: true, 2: false} {
		if got, err := s.exists(cn, uid); got != want || err != nil {
			t.Errorf("exists(%d) = %v, %v, want %v, nil", uid, got, err, want)
		}
	}
}
