package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/deskgate/deskgate/api"
	"github.com/deskgate/deskgate/config"
	"github.com/deskgate/deskgate/internal/demo"
	"github.com/deskgate/deskgate/internal/imapmem"
)

// TestReloadOnSIGHUP: a reload whose rule does not compile is refused and
// the running rules stay; a good one applies its new rules to the next
// message and to the API's next change, and names the settings that need a
// restart.
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
	httpAddr := make(chan string, 1)
	go func() {
		served <- serveWith(ctx, demoConfig(srv.Addr(), smtp, "help@desk.example", "pw"), pool,
			slog.New(slog.NewTextHandler(&logs, nil)), serveHooks{hup: hup, reload: reload, listening: func(a string) { httpAddr <- a }})
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
	const intranet = "  - name: Intranet\n    when: 'subject matches \"(?i)intranet\"'\n    then: {category: Network}\n" +
		"  - name: Waiting\n    on: ticket.updated\n    when: 'ticket.status == \"pending\"'\n    then: {add_tags: [waiting]}\n"
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

	// The API changes tickets with the reloaded rules too.
	_, tok, err := api.CreateToken(ctx, pool, "maja@desk.example", api.ScopeWrite, 0)
	if err != nil {
		t.Fatal(err)
	}
	var number int64
	if err := pool.QueryRow(ctx, `SELECT ticket_id FROM inbound WHERE mailbox = 'support'`).Scan(&number); err != nil {
		t.Fatal(err)
	}
	req, err := http.NewRequestWithContext(ctx, "PATCH", fmt.Sprintf("http://%s%s/tickets/%d", <-httpAddr, api.Prefix, number),
		strings.NewReader(`{"status": "pending"}`))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+tok)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("PATCH status pending = %d %s", resp.StatusCode, body)
	}
	var tags []string
	if err := pool.QueryRow(ctx, `SELECT tags FROM tickets WHERE id = $1`, number).Scan(&tags); err != nil {
		t.Fatal(err)
	}
	if !slices.Contains(tags, "waiting") {
		t.Errorf("after the API set the ticket pending its tags are %q, want waiting from the reloaded ticket.updated rule", tags)
	}
}
