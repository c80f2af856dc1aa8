package main

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/deskgate/deskgate/internal/pgtemp"
)

// chaosOutage is how long each outage lasts.
const chaosOutage = 15 * time.Second

// outage cuts a server off for chaosOutage while mail arrives, runs
// meanwhile (if any) once the mail has stopped, restores the server, and
// returns when it was cut and when restored.
func (r *chaosRig) outage(p *outageProxy, meanwhile func()) (cut, back time.Time) {
	cut = time.Now()
	p.Cut()
	stop := r.feed(100 * time.Millisecond)
	time.Sleep(chaosOutage)
	stop()
	if meanwhile != nil {
		meanwhile()
	}
	if err := p.Restore(); err != nil {
		r.t.Fatal(err)
	}
	return cut, time.Now()
}

// startSettled starts serve on a fresh rig and waits until it has worked
// through the backlog.
func startSettled(t *testing.T, rep *chaosReport, tablespace string) *chaosRig {
	r := newChaosRig(t, rep, chaosOutageBacklog, tablespace)
	r.startServe()
	if _, ok := r.settle(rep, chaosSettleLimit); !ok {
		t.FailNow()
	}
	return r
}

// misattributed counts log lines that blame IMAP for a database error.
func misattributed(log string) int {
	n := 0
	for _, line := range strings.Split(log, "\n") {
		msg, err, _ := strings.Cut(line, " err=")
		if strings.Contains(msg, "IMAP") && (strings.Contains(err, "SQLSTATE") || strings.Contains(err, "failed to connect to `user=")) {
			n++
		}
	}
	return n
}

// checkSource checks that serve's log names the database, not IMAP, as the
// source of a database fault.
func checkSource(rep *chaosReport, log string) {
	n := misattributed(log)
	rep.check(n == 0, "database errors logged as IMAP failures: %d", n)
}

// logLevels counts serve's WARN and ERROR lines in log.
func logLevels(log string) (warns, errs int) {
	return strings.Count(log, "level=WARN"), strings.Count(log, "level=ERROR")
}

// chaosSMTPOutage stops the SMTP server while new tickets queue their
// acknowledgements, then brings it back: each is delivered once, with the
// Message-ID it was queued with.
func chaosSMTPOutage(t *testing.T, rep *chaosReport) {
	r := startSettled(t, rep, "")
	offset := r.logSize()
	cutAt, back := r.outage(r.smtpNet, nil)
	settled, _ := r.settle(rep, chaosSettleLimit)
	warns, errs := logLevels(r.logSince(offset))
	rep.figure("SMTP away %.0fs; every acknowledgement delivered %.1fs after it came back; serve logged %d warnings, %d errors meanwhile",
		back.Sub(cutAt).Seconds(), settled.Seconds(), warns, errs)
	rows, _ := r.pool.Query(context.Background(), `SELECT message_id FROM outbox WHERE event = 'ticket-received' AND created_at > $1 AND created_at < $2`, cutAt, back)
	during, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		t.Fatal(err)
	}
	received := r.finish(rep)
	notOnce := 0
	for _, id := range during {
		if len(received[strings.Trim(id, "<>")]) != 1 {
			notOnce++
		}
	}
	rep.check(len(during) > 0 && notOnce == 0, "acknowledgements queued during the outage delivered once with their Message-ID: %d queued, %d not exactly once", len(during), notOnce)
}

// chaosSMTPMidData makes the SMTP server stop answering DATA and then go
// away, so that transactions die after the message was sent and before the
// reply; the server accepted none of them, so each must be delivered once
// when it comes back.
func chaosSMTPMidData(t *testing.T, rep *chaosReport) {
	r := startSettled(t, rep, "")
	stop := r.feed(100 * time.Millisecond)
	r.smtp.Hang()
	time.Sleep(2 * time.Second)
	cut := time.Now()
	r.smtpNet.Cut()
	r.smtp.Release()
	time.Sleep(5 * time.Second)
	stop()
	if err := r.smtpNet.Restore(); err != nil {
		t.Fatal(err)
	}
	back := time.Now()
	settled, _ := r.settle(rep, chaosSettleLimit)
	var inFlight int
	if err := r.pool.QueryRow(context.Background(), `SELECT count(*) FROM outbox WHERE event = 'ticket-received' AND created_at < $1 AND sent_at > $2`,
		cut, back).Scan(&inFlight); err != nil {
		t.Fatal(err)
	}
	rep.figure("DATA unanswered for 2s, then the server away for 5s; every acknowledgement delivered %.1fs after it came back", settled.Seconds())
	received := r.finish(rep)
	twice := 0
	for _, ts := range received {
		if len(ts) > 1 {
			twice++
		}
	}
	rep.check(inFlight > 0 && twice == 0, "acknowledgements cut off mid-DATA delivered once: %d sent only after the server's return, %d received twice", inFlight, twice)
}

func chaosIMAPOutage(t *testing.T, rep *chaosReport)      { chaosIMAPAway(t, rep, false) }
func chaosIMAPUIDValidity(t *testing.T, rep *chaosReport) { chaosIMAPAway(t, rep, true) }

// chaosIMAPAway takes the IMAP server away while mail arrives in it, then
// brings it back, with the folder rebuilt under a new UIDVALIDITY if
// rebuild is set: nothing captured before may be captured again.
func chaosIMAPAway(t *testing.T, rep *chaosReport, rebuild bool) {
	r := startSettled(t, rep, "")
	offset := r.logSize()
	before := r.appended()
	cutAt, back := r.outage(r.imapNet, func() {
		if rebuild {
			r.rebuildInbox()
		}
	})
	var first time.Duration
	for {
		var n int
		if err := r.pool.QueryRow(context.Background(), `SELECT count(*) FROM inbound`).Scan(&n); err != nil {
			t.Fatal(err)
		}
		if n > before {
			first = time.Since(back)
			break
		}
		if time.Since(back) > chaosRecoveryLimit {
			rep.check(false, "nothing captured within %v of the IMAP server's return", chaosRecoveryLimit)
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	settled, _ := r.settle(rep, chaosSettleLimit)
	warns, errs := logLevels(r.logSince(offset))
	rep.figure("IMAP away %.0fs; first new message captured %.1fs after it came back, the rest processed %.1fs later; serve logged %d warnings, %d errors meanwhile",
		back.Sub(cutAt).Seconds(), first.Seconds(), settled.Seconds(), warns, errs)
	r.finish(rep)
}

func chaosPGRestart(t *testing.T, rep *chaosReport)   { chaosPGStop(t, rep, pgtemp.Fast) }
func chaosPGImmediate(t *testing.T, rep *chaosReport) { chaosPGStop(t, rep, pgtemp.Immediate) }

// chaosPGStop stops PostgreSQL in mode while mail arrives and starts it
// again after a while; serve must carry on by itself.
func chaosPGStop(t *testing.T, rep *chaosReport, mode pgtemp.StopMode) {
	r := startSettled(t, rep, "")
	offset := r.logSize()
	stop := r.feed(100 * time.Millisecond)
	if err := r.cluster.StopServer(mode); err != nil {
		t.Fatal(err)
	}
	time.Sleep(5 * time.Second)
	if err := r.cluster.Restart(context.Background()); err != nil {
		t.Fatal(err)
	}
	back := time.Now()
	d, ok := r.waitProgress(back, chaosRecoveryLimit)
	exited, exitErr := r.serveExited()
	rep.check(!exited, "serve kept running through the PostgreSQL %s stop (exit: %v)", mode, exitErr)
	rep.check(ok, "serve processed mail again within %v of PostgreSQL's return", chaosRecoveryLimit)
	time.Sleep(3 * time.Second)
	stop()
	settled, _ := r.settle(rep, chaosSettleLimit)
	warns, errs := logLevels(r.logSince(offset))
	rep.figure("PostgreSQL stopped (%s) for 5s; first message processed %.1fs after it came back, the rest %.1fs after the mail stopped arriving; serve logged %d warnings, %d errors",
		mode, d.Seconds(), settled.Seconds(), warns, errs)
	checkSource(rep, r.logSince(offset))
	r.finish(rep)
}

// chaosDiskFull puts the desk's database on a small tmpfs (a tablespace;
// the WAL stays on the ordinary disk), fills it while mail arrives, then
// frees it: serve must stop taking mail, say why in its log and resume by
// itself.
func chaosDiskFull(t *testing.T, rep *chaosReport) {
	if os.Geteuid() != 0 {
		t.Skip("pg-disk-full needs root to mount a tmpfs")
	}
	dir, err := os.MkdirTemp("/tmp", "deskgate-chaos-disk-")
	if err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command("mount", "-t", "tmpfs", "-o", "size=128m", "tmpfs", dir).CombinedOutput(); err != nil {
		os.Remove(dir)
		rep.figure("skipped: mounting a tmpfs was refused: %v: %s", err, strings.TrimSpace(string(out)))
		t.Skipf("mounting a tmpfs was refused: %v", err)
	}
	t.Cleanup(func() {
		exec.Command("umount", dir).Run()
		os.Remove(dir)
	})
	r := startSettled(t, rep, dir)
	offset := r.logSize()
	before := r.appended()
	filler := filepath.Join(dir, "filler")
	if err := fill(filler); err != nil {
		t.Fatal(err)
	}
	stop := r.feed(100 * time.Millisecond)
	time.Sleep(chaosOutage)
	stop()
	var captured int
	if err := r.pool.QueryRow(context.Background(), `SELECT count(*) FROM inbound`).Scan(&captured); err != nil {
		t.Fatal(err)
	}
	log := r.logSince(offset)
	rep.check(captured < r.appended(), "serve stopped taking mail with the disk full: %d of %d new messages captured", captured-before, r.appended()-before)
	said := strings.Contains(strings.ToLower(log), "no space left on device")
	rep.check(said, "serve's log says the database is out of disk space")
	if err := os.Remove(filler); err != nil {
		t.Fatal(err)
	}
	settled, _ := r.settle(rep, chaosSettleLimit)
	exited, exitErr := r.serveExited()
	rep.check(!exited, "serve kept running with the disk full (exit: %v)", exitErr)
	warns, errs := logLevels(r.logSince(offset))
	rep.figure("disk full for %.0fs; everything processed %.1fs after space was freed; serve logged %d warnings, %d errors",
		chaosOutage.Seconds(), settled.Seconds(), warns, errs)
	checkSource(rep, r.logSince(offset))
	r.finish(rep)
}

// fill writes to path until the file system is full.
func fill(path string) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	defer f.Close()
	chunk := make([]byte, 1<<20)
	for {
		if _, err := f.Write(chunk); err != nil {
			if errors.Is(err, syscall.ENOSPC) {
				return nil
			}
			return err
		}
	}
}
