package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/deskgate/deskgate/internal/imapmem"
	"github.com/deskgate/deskgate/internal/mailgen"
	"github.com/deskgate/deskgate/internal/smtpmem"
)

// TestStatus runs serve with one mailbox whose password is right, one
// whose password is wrong and a wrong SMTP password, and reads status.
func TestStatus(t *testing.T) {
	pool := useDatabase(t)
	ctx := context.Background()
	imap, err := imapmem.Start(imapmem.Options{Username: "help@desk.example", Password: "pw"})
	if err != nil {
		t.Fatal(err)
	}
	defer imap.Close()
	out, err := smtpmem.Start(smtpmem.Options{Users: map[string]string{"help@desk.example": "smtp-pw"}})
	if err != nil {
		t.Fatal(err)
	}
	defer out.Close()
	if _, err := imap.Append("INBOX", mailgen.New(mailgen.Options{Seed: 1}).Message(0)); err != nil {
		t.Fatal(err)
	}
	cfg := demoConfig(imap.Addr(), out.Addr(), "help@desk.example", "pw")
	cfg.Mailboxes[1].Password = "wrong"
	cfg.SMTP.Auth, cfg.SMTP.Username, cfg.SMTP.Password = "plain", "help@desk.example", "wrong"
	var logs lockedBuffer
	runCtx, cancel := context.WithCancel(ctx)
	served := make(chan error, 1)
	go func() {
		served <- serve(runCtx, cfg, pool, slog.New(slog.NewTextHandler(&logs, nil)))
	}()
	defer func() {
		cancel()
		if err := <-served; err != nil {
			t.Errorf("serve returned %v, want nil after cancel", err)
		}
	}()

	var st status
	deadline := time.Now().Add(30 * time.Second)
	for {
		var raw bytes.Buffer
		if err := run(ctx, []string{"status", "-json"}, &raw, io.Discard); err != nil {
			t.Fatalf("status -json = %v", err)
		}
		st = status{}
		if err := json.Unmarshal(raw.Bytes(), &st); err != nil {
			t.Fatalf("status -json printed invalid JSON: %v\n%s", err, raw.String())
		}
		byName := map[string]mailboxStatus{}
		for _, m := range st.Mailboxes {
			byName[m.Name] = m
		}
		// The refused login is recorded before the claims it held are
		// handed back uncharged: wait for both.
		if byName["support"].State == "idle" && byName["it"].State == "auth_failed" && st.SMTP.AuthFailed && st.SMTP.Deferred == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("status = %+v, want support idle, it auth_failed and the SMTP login failed, with no attempt charged", st)
		}
		time.Sleep(50 * time.Millisecond)
	}
	support, it := st.Mailboxes[1], st.Mailboxes[0] // ordered by name
	if support.LastSync == nil || support.Behind != 0 || support.LastError != "" || support.Owner == "" {
		t.Errorf("support = %+v, want a last sync, nothing behind, no error and its process", support)
	}
	if !strings.Contains(it.LastError, "NO") || !strings.Contains(it.LastError, "help@desk.example") || it.LastErrorAt == nil {
		t.Errorf("it = %+v, want the server's refusal with its time", it)
	}
	if !strings.Contains(st.SMTP.LastError, "535") || st.SMTP.LastErrorAt == nil || st.SMTP.LastSuccess != nil ||
		st.SMTP.Queued == 0 || st.SMTP.Deferred != 0 {
		t.Errorf("smtp = %+v, want the 535 with its time, no success, mail queued and none charged an attempt", st.SMTP)
	}
	if st.Breaker.Open || st.Quarantined != 0 {
		t.Errorf("breaker %+v, quarantined %d, want closed and none", st.Breaker, st.Quarantined)
	}
	for _, want := range []string{"mailin: IMAP login rejected", "mailout: SMTP login rejected"} {
		if !strings.Contains(logs.String(), "level=ERROR msg=\""+want) {
			t.Errorf("log has no ERROR %q:\n%s", want, logs.String())
		}
	}

	var text bytes.Buffer
	if err := run(ctx, []string{"status"}, &text, io.Discard); err != nil {
		t.Fatalf("status = %v", err)
	}
	t.Logf("status:\n%s", text.String())
	for _, want := range []string{"MAILBOX", "support  idle", "it       AUTHENTICATION FAILED", "NO", "smtp last error",
		"AUTHENTICATION FAILED", "535", "circuit breaker    closed", "quarantined        0"} {
		if !strings.Contains(text.String(), want) {
			t.Errorf("status printed\n%s\nwant %q in it", text.String(), want)
		}
	}
}

// TestStatusJSONShape pins the keys of status -json, a stable contract.
func TestStatusJSONShape(t *testing.T) {
	pool := useDatabase(t)
	if _, err := pool.Exec(context.Background(), `INSERT INTO mailboxes (name) VALUES ('support')`); err != nil {
		t.Fatal(err)
	}
	var raw bytes.Buffer
	if err := run(context.Background(), []string{"status", "-json"}, &raw, io.Discard); err != nil {
		t.Fatal(err)
	}
	var v map[string]any
	if err := json.Unmarshal(raw.Bytes(), &v); err != nil {
		t.Fatal(err)
	}
	keys := func(m any) string {
		mm, _ := m.(map[string]any)
		return strings.Join(slices.Sorted(maps.Keys(mm)), " ")
	}
	mbs, _ := v["mailboxes"].([]any)
	for _, c := range []struct{ what, got, want string }{
		{"top", keys(v), "breaker mailboxes quarantined smtp webhooks"},
		{"mailbox", keys(mbs[0]), "behind last_error last_error_at last_sync name owner since state updated"},
		{"smtp", keys(v["smtp"]), "auth_failed deferred last_error last_error_at last_success oldest_due queued"},
		{"breaker", keys(v["breaker"]), "open since until"},
	} {
		if c.got != c.want {
			t.Errorf("status -json %s keys = %q, want %q", c.what, c.got, c.want)
		}
	}
	if got := fmt.Sprint(mbs[0].(map[string]any)["state"]); got != "never" {
		t.Errorf("state of a mailbox never synced = %q, want never", got)
	}
}

// lockedBuffer is a bytes.Buffer for concurrent writers.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// TestStatusMarksMailboxNobodyHolds: the state of a mailbox whose process
// died without a word is shown as what it last recorded.
func TestStatusMarksMailboxNobodyHolds(t *testing.T) {
	now := time.Date(2026, 12, 7, 12, 0, 0, 0, time.UTC)
	then := now.Add(-3 * time.Hour)
	st := status{Mailboxes: []mailboxStatus{
		{Name: "dead", State: "idle", Since: &then, LastSync: &then},
		{Name: "live", State: "idle", Since: &then, LastSync: &then, Owner: "host/42"},
		{Name: "new", State: "never"},
	}}
	var out bytes.Buffer
	if err := printStatus(&out, st, now); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(out.String(), "\n")
	for _, c := range []struct {
		line int
		want string
		mark bool
	}{{1, "dead", true}, {2, "live", false}, {3, "new", false}} {
		if !strings.HasPrefix(lines[c.line], c.want) || strings.Contains(lines[c.line], "no process holds it") != c.mark {
			t.Errorf("line %d = %q, want %s marked %t as held by no process", c.line, lines[c.line], c.want, c.mark)
		}
	}
	if !strings.Contains(lines[1], "(3h ago)") {
		t.Errorf("line 1 = %q, want the age of its last sync", lines[1])
	}
}
