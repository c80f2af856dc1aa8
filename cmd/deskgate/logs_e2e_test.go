package main

import (
	"context"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/deskgate/deskgate/internal/demo"
	"github.com/deskgate/deskgate/internal/imapmem"
)

// TestServeLogs runs serve with log.format json and log.level warn,
// overridden by DESKGATE_LOG_LEVEL=info: every line is a JSON object, each
// processed batch and each mailbox's change of state has its INFO line,
// and no line carries a message's body or the mailbox password; a real
// SIGHUP, after the file gained a rule that does not compile, logs the
// refused reload.
func TestServeLogs(t *testing.T) {
	pool := useDatabase(t)
	srv, err := imapmem.Start(imapmem.Options{Username: "help@desk.example", Password: "imap-s3cret"})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	for _, folder := range []string{"INBOX", "IT"} {
		if _, err := srv.Append(folder, demo.Late); err != nil {
			t.Fatal(err)
		}
	}
	// a message as a deskgate before migration 00026 indexed it, which
	// serve rewrites beside the mail
	storeOldIndexed(t, pool, "Old", "old@example.com", "Mail old@example.com")
	path := filepath.Join(t.TempDir(), "deskgate.yaml")
	yaml := demoYAML(srv.Addr(), testSMTP(t), "help@desk.example", "imap-s3cret") + "log: {format: json, level: warn}\n"
	if err := os.WriteFile(path, []byte(yaml), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv("DESKGATE_LOG_LEVEL", "info")
	var logs lockedBuffer
	ctx, cancel := context.WithCancel(context.Background())
	served := make(chan error, 1)
	go func() { served <- run(ctx, []string{"serve", "-config", path}, io.Discard, &logs) }()
	if err := waitProcessed(ctx, pool, 2, served); err != nil {
		t.Fatal(err)
	}
	waitLine := func(want string) {
		t.Helper()
		for deadline := time.Now().Add(30 * time.Second); !strings.Contains(logs.String(), want); time.Sleep(10 * time.Millisecond) {
			if time.Now().After(deadline) {
				t.Fatalf("serve never logged %q:\n%s", want, logs.String())
			}
		}
	}
	waitLine("mailin: processed a batch")
	waitLine(`"msg":"search vectors rewritten","messages":1`)
	// A real SIGHUP after the file gained a rule that does not compile:
	// refused, and logged.
	if err := os.WriteFile(path, []byte(yaml+"  - {name: Broken, when: 'subject matches', then: {category: Network}}\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := syscall.Kill(os.Getpid(), syscall.SIGHUP); err != nil {
		t.Fatal(err)
	}
	waitLine("reload refused; the running configuration stays")
	cancel()
	if err := <-served; err != nil {
		t.Fatalf("serve = %v", err)
	}
	seen := map[string]map[string]any{}
	for line := range strings.Lines(logs.String()) {
		var rec map[string]any
		if err := json.Unmarshal([]byte(line), &rec); err != nil {
			t.Errorf("log line is not JSON: %v\n%s", err, line)
			continue
		}
		seen[rec["msg"].(string)] = rec
		for _, secret := range []string{"intranet affiche", "imap-s3cret"} {
			if strings.Contains(line, secret) {
				t.Errorf("log line carries %q:\n%s", secret, line)
			}
		}
	}
	for _, want := range []struct {
		level, msg string
		keys       []string
	}{
		{"INFO", "mailin: processed a batch", []string{"messages", "took", "human"}},
		{"INFO", "mailin: mailbox state changed", []string{"mailbox", "state", "previous"}},
		{"INFO", "http: serving /healthz, /readyz, /metrics and /api/v1", []string{"addr"}},
		{"ERROR", "reload refused; the running configuration stays", []string{"err"}},
	} {
		rec := seen[want.msg]
		if rec == nil || rec["level"] != want.level {
			t.Errorf("serve logged no %s line %q:\n%s", want.level, want.msg, logs.String())
			continue
		}
		for _, k := range want.keys {
			if _, ok := rec[k]; !ok {
				t.Errorf("log line %q has no %s: %v", want.msg, k, rec)
			}
		}
	}
}
