package main

import (
	"context"
	"log/slog"
	"os"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/deskgate/deskgate/config"
	"github.com/deskgate/deskgate/internal/demo"
	"github.com/deskgate/deskgate/internal/imapmem"
)

// TestReloadOnSIGHUP: a reload whose rule does not compile is refused and
// the running rules stay; a good one applies its new rule to the next
// message, and names the settings that need a restart.
func TestReloadOnSIGHUP(t *testing.T) {
	pool := useDatabase(t)
	srv, err := imapmem.Start(imapmem.Options{Username: "help@desk.example", Password: "pw"})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	if _, err := srv.Append("IT", demo.Messages()[0].Raw); err != nil {
		t.Fatal(err)
	}
	smtp := testSMTP(t)
	yaml := demoYAML(srv.Addr(), smtp, "help@desk.example", "pw")
	var mu sync.Mutex
	next := yaml
	reload := func() (*config.Config, error) {
		mu.Lock()
		defer mu.Unlock()
		return config.Parse([]byte(next), "deskgate.yaml", nil)
	}
	var logs lockedBuffer
	hup := make(chan os.Signal, 1)
	ctx, cancel := context.WithCancel(context.Background())
	served := make(chan error, 1)
	go func() {
		served <- serveWith(ctx, demoConfig(srv.Addr(), smtp, "help@desk.example", "pw"), pool,
			slog.New(slog.NewTextHandler(&logs, nil)), serveHooks{hup: hup, reload: reload})
	}()
	defer func() {
		cancel()
		if err := <-served; err != nil {
			t.Errorf("serve = %v", err)
		}
	}()
	waitLog := func(want string) {
		t.Helper()
		deadline := time.Now().Add(30 * time.Second)
		for !strings.Contains(logs.String(), want) {
			if time.Now().After(deadline) {
				t.Fatalf("serve never logged %q:\n%s", want, logs.String())
			}
			time.Sleep(10 * time.Millisecond)
		}
	}
	const intranet = "  - name: Intranet\n    when: 'subject matches \"(?i)intranet\"'\n    then: {category: Network}\n"
	mu.Lock()
	next = yaml + strings.Replace(intranet, `subject matches "(?i)intranet"`, "subject matches", 1)
	mu.Unlock()
	hup <- syscall.SIGHUP
	waitLog("reload refused; the running configuration stays")

	mu.Lock()
	next = strings.Replace(yaml, "ingest: {workers: 2}", "ingest: {workers: 1}", 1) + intranet
	mu.Unlock()
	hup <- syscall.SIGHUP
	waitLog("reloaded the configuration's templates and rules")
	waitLog("changed=ingest")

	if _, err := srv.Append("INBOX", demo.Late); err != nil {
		t.Fatal(err)
	}
	if err := waitProcessed(ctx, pool, 2, served); err != nil {
		t.Fatal(err)
	}
	var category string
	if err := pool.QueryRow(ctx, `SELECT t.category FROM inbound i JOIN tickets t ON t.id = i.ticket_id
		WHERE i.mailbox = 'support'`).Scan(&category); err != nil {
		t.Fatal(err)
	}
	if category != "Network" {
		t.Errorf("the ticket of a message after the reload has category %q, want Network from the reloaded rule", category)
	}
}
