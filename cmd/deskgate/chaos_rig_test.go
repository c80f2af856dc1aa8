package main

import (
	"bytes"
	"context"
	"fmt"
	"net/mail"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/deskgate/deskgate/internal/imapmem"
	"github.com/deskgate/deskgate/internal/mailgen"
	"github.com/deskgate/deskgate/internal/pgtemp"
	"github.com/deskgate/deskgate/internal/smtpmem"
	"github.com/deskgate/deskgate/migrations"
)

// chaosRig is one scenario's world: a durable throwaway PostgreSQL, the
// IMAP and SMTP servers in this process behind proxies that can cut them
// off, the generated mail appended so far, the acknowledgements received,
// and `deskgate serve` as a subprocess (this test binary in the serve role).
type chaosRig struct {
	t       *testing.T
	cluster *pgtemp.Cluster
	pool    *pgxpool.Pool
	imap    *imapmem.Server
	smtp    *smtpmem.Server
	imapNet *outageProxy
	smtpNet *outageProxy
	cfgPath string
	logPath string

	serve  *exec.Cmd
	exited chan error // serve's exit, once

	gen      *mailgen.Generator
	mu       sync.Mutex
	mail     []chaosMail            // appended to INBOX, in order
	received map[string][]time.Time // acknowledgements by Message-ID (without brackets)
}

// chaosMail is one appended message: its number in the generator, the
// number of its conversation's first message (itself when new), and the
// keys it had in INBOX (more than one once the folder was rebuilt under a
// new UIDVALIDITY).
type chaosMail struct {
	i, root int
	keys    []inboxKey
}

// inboxKey is a message's place in INBOX.
type inboxKey struct{ uidvalidity, uid uint32 }

// chaosReplyGap is how many messages back a reply's parent is at least,
// so that the parent is captured and processed before its reply even when
// they arrive in one sync.
const chaosReplyGap = 400

// newChaosRig starts the servers and the database, appends backlog
// messages and writes serve's configuration. tablespace, when set, is a
// directory to keep the desk's database in.
func newChaosRig(t *testing.T, rep *chaosReport, backlog int, tablespace string) *chaosRig {
	ctx := context.Background()
	r := &chaosRig{t: t, gen: mailgen.New(mailgen.Options{Seed: 11}), received: map[string][]time.Time{}}
	var err error
	if r.cluster, err = pgtemp.Start(ctx, pgtemp.Options{Durable: true}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(r.cluster.Stop)
	url, err := r.cluster.CreateDatabase(ctx, "chaos", "")
	if err != nil {
		t.Fatal(err)
	}
	if tablespace != "" {
		if err := moveToTablespace(ctx, r.cluster, "chaos", tablespace); err != nil {
			t.Fatal(err)
		}
	}
	if r.pool, err = pgxpool.New(ctx, url); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(r.pool.Close)
	if _, err := migrations.Up(ctx, r.pool, nil); err != nil {
		t.Fatal(err)
	}
	if r.imap, err = imapmem.Start(imapmem.Options{Username: "chaos@desk.example", Password: "chaos"}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.imap.Close() })
	if r.smtp, err = smtpmem.Start(smtpmem.Options{Deliver: r.delivered}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.smtp.Close() })
	if r.imapNet, err = newOutageProxy(r.imap.Addr()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(r.imapNet.Close)
	if r.smtpNet, err = newOutageProxy(r.smtp.Addr()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(r.smtpNet.Close)
	r.appendMail(backlog)

	// serve's log outlives the test, for reading after a failure.
	r.cfgPath = filepath.Join(t.TempDir(), "deskgate.yaml")
	r.logPath = filepath.Join(os.TempDir(), "deskgate-"+strings.ReplaceAll(t.Name(), "/", "-")+".log")
	if err := os.WriteFile(r.logPath, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	rep.figure("serve's log: %s", r.logPath)
	smtpHost, smtpPort := splitHostPort(r.smtpNet.Addr())
	imapHost, imapPort := splitHostPort(r.imapNet.Addr())
	// The breaker's limit is raised so that it never holds acknowledgements
	// back (the bench desk shows how it would): the figures are about
	// crashes. Retries are quick so that an outage's end shows at once.
	// The backlog is loaded before the first sync and processed normally
	// (existing_mail: normal).
	cfg := fmt.Sprintf(`desk: {name: Chaos Desk, address: help@desk.example}
ingest: {batch_size: 200}
http: {listen: "127.0.0.1:0"}
smtp: {host: %s, port: %d, tls: plain, workers: %d, timeout: 5s, retry_base: 1s, retry_max: 5s}
notifications:
  breaker: {window: 1m, max: 1000000, pause: 1s}
mailboxes:
  - {name: support, host: %s, port: %d, tls: plain, username: chaos@desk.example, password: chaos, command_timeout: 10s,
     existing_mail: normal}
`, smtpHost, smtpPort, chaosSMTPWorkers, imapHost, imapPort)
	if err := os.WriteFile(r.cfgPath, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if r.serve != nil {
			r.kill()
		}
	})
	return r
}

// appendMail appends n generated messages to INBOX: new ones, and every
// fourth past the first chaosReplyGap a reply to an earlier new one.
func (r *chaosRig) appendMail(n int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	isReply := func(i int) bool { return i >= chaosReplyGap && i%4 == 3 }
	for range n {
		i := len(r.mail)
		m := chaosMail{i: i, root: i}
		raw := r.gen.Message(i)
		if isReply(i) {
			for m.root = max(0, i-chaosReplyGap-i%97); isReply(m.root); m.root-- {
			}
			raw = r.gen.Reply(i, m.root)
		}
		uid, err := r.imap.Append("INBOX", raw)
		if err != nil {
			r.t.Fatal(err)
		}
		validity, err := r.imap.UIDValidity("INBOX")
		if err != nil {
			r.t.Fatal(err)
		}
		m.keys = []inboxKey{{validity, uid}}
		r.mail = append(r.mail, m)
	}
}

// rebuildInbox rebuilds INBOX under a new UIDVALIDITY, as a server
// migration or a restored backup does, and records the messages' new keys.
// Nothing may be appended meanwhile.
func (r *chaosRig) rebuildInbox() {
	if err := r.imap.RecreateFolder("INBOX"); err != nil {
		r.t.Fatal(err)
	}
	validity, err := r.imap.UIDValidity("INBOX")
	if err != nil {
		r.t.Fatal(err)
	}
	uids, err := r.imap.UIDs("INBOX") // in the old order
	if err != nil {
		r.t.Fatal(err)
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if len(uids) != len(r.mail) {
		r.t.Fatalf("INBOX rebuilt with %d messages, want %d", len(uids), len(r.mail))
	}
	for j, uid := range uids {
		r.mail[j].keys = append(r.mail[j].keys, inboxKey{validity, uid})
	}
}

// feed appends a message every interval until the returned stop is called.
func (r *chaosRig) feed(every time.Duration) (stop func()) {
	done, stopped := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(stopped)
		t := time.NewTicker(every)
		defer t.Stop()
		for {
			select {
			case <-done:
				return
			case <-t.C:
				r.appendMail(1)
			}
		}
	}()
	return func() { close(done); <-stopped }
}

// appended returns how many messages were appended so far.
func (r *chaosRig) appended() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.mail)
}

// delivered is the SMTP server's hook: it counts each acknowledgement by
// its Message-ID.
func (r *chaosRig) delivered(m smtpmem.Message) {
	id := "?"
	if msg, err := mail.ReadMessage(bytes.NewReader(m.Data)); err == nil {
		id = strings.Trim(msg.Header.Get("Message-Id"), "<> ")
	}
	r.mu.Lock()
	r.received[id] = append(r.received[id], time.Now())
	r.mu.Unlock()
}

// startServe starts `deskgate serve`, its log appended to logPath, and
// returns when it was started.
func (r *chaosRig) startServe() time.Time {
	log, err := os.OpenFile(r.logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		r.t.Fatal(err)
	}
	defer log.Close()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), benchRoleEnv+"=serve", "DESKGATE_DATABASE_URL="+r.cluster.URL("chaos"),
		"DESKGATE_CONFIG="+r.cfgPath, "DESKGATE_LOG_LEVEL=INFO")
	cmd.Stdout, cmd.Stderr = log, log
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	start := time.Now()
	if err := cmd.Start(); err != nil {
		r.t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	r.serve, r.exited = cmd, exited
	return start
}

// kill ends serve with SIGKILL and waits for it.
func (r *chaosRig) kill() {
	_ = r.serve.Process.Kill()
	<-r.exited
	r.serve = nil
}

// stopServe stops serve with SIGTERM, as a service manager does, and
// returns how it exited.
func (r *chaosRig) stopServe() error {
	_ = r.serve.Process.Signal(syscall.SIGTERM)
	defer func() { r.serve = nil }()
	select {
	case err := <-r.exited:
		return err
	case <-time.After(30 * time.Second):
		_ = r.serve.Process.Kill()
		<-r.exited
		return fmt.Errorf("still running 30s after SIGTERM")
	}
}

// serveExited reports whether serve has exited on its own, and how.
func (r *chaosRig) serveExited() (bool, error) {
	select {
	case err := <-r.exited:
		r.exited <- err // keep it for kill and stopServe
		return true, err
	default:
		return false, nil
	}
}

// logSize is the current length of serve's log, to read what follows.
func (r *chaosRig) logSize() int64 {
	fi, err := os.Stat(r.logPath)
	if err != nil {
		return 0
	}
	return fi.Size()
}

// logSince returns serve's log from offset on.
func (r *chaosRig) logSince(offset int64) string {
	b, err := os.ReadFile(r.logPath)
	if err != nil || int64(len(b)) < offset {
		return ""
	}
	return string(b[offset:])
}

// moveToTablespace makes dir, empty, a tablespace of the cluster and moves
// database db into it.
func moveToTablespace(ctx context.Context, c *pgtemp.Cluster, db, dir string) error {
	conn, err := pgx.Connect(ctx, c.URL("postgres"))
	if err != nil {
		return err
	}
	defer conn.Close(ctx)
	var data string
	if err := conn.QueryRow(ctx, `SELECT current_setting('data_directory')`).Scan(&data); err != nil {
		return err
	}
	fi, err := os.Stat(data)
	if err != nil {
		return err
	}
	st := fi.Sys().(*syscall.Stat_t) // the server's own user must own a tablespace
	if err := os.Chown(dir, int(st.Uid), int(st.Gid)); err != nil {
		return err
	}
	if _, err := conn.Exec(ctx, `CREATE TABLESPACE chaos_disk LOCATION '`+strings.ReplaceAll(dir, "'", "''")+`'`); err != nil {
		return fmt.Errorf("creating a tablespace in %s: %w", dir, err)
	}
	if _, err := conn.Exec(ctx, `ALTER DATABASE `+pgx.Identifier{db}.Sanitize()+` SET TABLESPACE chaos_disk`); err != nil {
		return fmt.Errorf("moving %s to %s: %w", db, dir, err)
	}
	return nil
}
