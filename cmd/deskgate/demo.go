package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"strconv"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"deskgate/config"
	"deskgate/internal/demo"
	"deskgate/internal/imapmem"
	"deskgate/internal/pgtemp"
	"deskgate/mailin"
	"deskgate/migrations"
	"deskgate/ticketing"
)

// demoCmd runs the real pipeline end to end on embedded sample mail: a
// throwaway PostgreSQL, an in-process IMAP server with two desk mailboxes,
// and `serve` itself; then it prints what happened.
func demoCmd(ctx context.Context, args []string, stdout io.Writer, log *slog.Logger) error {
	fs := flag.NewFlagSet("demo", flag.ContinueOnError)
	verbose := fs.Bool("v", false, "show deskgate's log while it runs")
	if _, err := parseArgs(fs, args, noNumber); err != nil {
		return err
	}
	if !*verbose {
		log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	say := func(format string, a ...any) { fmt.Fprintf(stdout, format+"\n", a...) }

	say("== Starting a throwaway PostgreSQL from the local binaries")
	cluster, err := pgtemp.Start(ctx, pgtemp.Options{})
	if err != nil {
		return err
	}
	defer cluster.Stop()
	url, err := cluster.CreateDatabase(ctx, "deskgate", "")
	if err != nil {
		return err
	}
	pool, err := pgxpool.New(ctx, url)
	if err != nil {
		return err
	}
	defer pool.Close()
	v, err := migrations.Up(ctx, pool, nil)
	if err != nil {
		return err
	}
	say("   %s (schema version %d)", url, v)

	const user, password = "help@desk.example", "demo"
	srv, err := imapmem.Start(imapmem.Options{Username: user, Password: password})
	if err != nil {
		return err
	}
	defer srv.Close()
	say("\n== In-process IMAP server on %s with two desk mailboxes: support (INBOX) and it (folder IT)", srv.Addr())
	delivered := 0
	for _, m := range demo.Messages() {
		if _, err := srv.Append("INBOX", m.Raw); err != nil {
			return err
		}
		delivered++
		say("   delivered %-32s to support", m.Name)
		if m.Name == "02-apple-sv.eml" {
			// The same message also reached the IT team's address: a
			// second copy, with its own trace header.
			copy := append([]byte("Delivered-To: it@desk.example\r\n"), m.Raw...)
			if _, err := srv.Append("IT", copy); err != nil {
				return err
			}
			delivered++
			say("   delivered %-32s to it (same message, second mailbox)", m.Name)
		}
	}

	cfg := demoConfig(srv.Addr(), user, password)
	runCtx, stopServe := context.WithCancel(ctx)
	served := make(chan error, 1)
	go func() { served <- serve(runCtx, cfg, pool, log) }()
	var serveErr error
	stopped := false
	stop := func() error {
		if !stopped {
			stopped = true
			stopServe()
			serveErr = <-served
		}
		return serveErr
	}
	defer stop()

	say("\n== deskgate serve: syncing both mailboxes (IMAP IDLE) and processing")
	start := time.Now()
	if err := waitProcessed(ctx, pool, delivered, served); err != nil {
		return err
	}
	say("   %d messages captured and processed in %v", delivered, time.Since(start).Round(time.Millisecond))

	say("\n== A new message arrives while deskgate is idling")
	start = time.Now()
	if _, err := srv.Append("INBOX", demo.Late); err != nil {
		return err
	}
	if err := waitProcessed(ctx, pool, delivered+1, served); err != nil {
		return err
	}
	say("   ticketed %v after it reached the mailbox", time.Since(start).Round(time.Millisecond))
	if err := stop(); err != nil {
		return err
	}

	say("\n== Tickets (deskgate ticket list)")
	ts, err := ticketing.ListTickets(ctx, pool, "", 100)
	if err != nil {
		return err
	}
	if err := printTickets(stdout, ts); err != nil {
		return err
	}
	say("\n== Every captured message and what became of it (deskgate inbound list)")
	rs, err := mailin.ListInbound(ctx, pool, "", 100)
	if err != nil {
		return err
	}
	if err := printInbound(stdout, rs); err != nil {
		return err
	}
	if len(ts) > 0 {
		first := ts[len(ts)-1].Number
		say("\n== The first ticket in full (deskgate ticket show %d)", first)
		t, err := ticketing.GetTicket(ctx, pool, first)
		if err != nil {
			return err
		}
		if err := printTicket(stdout, t); err != nil {
			return err
		}
	}
	say("\nThe demo database and IMAP server are thrown away now. Point deskgate at your own")
	say("mailbox with deskgate.yaml (see deskgate.example.yaml and the README).")
	return nil
}

func demoConfig(addr, user, password string) *config.Config {
	host, port := splitHostPort(addr)
	mb := func(name, folder string) config.Mailbox {
		return config.Mailbox{Name: name, Host: host, Port: port, TLS: config.TLSPlain,
			Username: user, Password: password, Folder: folder, Queue: name,
			PollInterval: time.Second, IdleRefresh: 10 * time.Minute, CommandTimeout: 30 * time.Second,
			Mark: config.MarkKeyword, Keyword: "$Deskgate", MaxMessageSize: 25 << 20}
	}
	return &config.Config{
		Desk:      config.Desk{Name: "Demo IT Service Desk", Address: "help@desk.example", Domain: "desk.example", Language: "en"},
		Ingest:    config.Ingest{Workers: 2, BatchSize: 200, MaxMessageSize: 25 << 20},
		Mailboxes: []config.Mailbox{mb("support", "INBOX"), mb("it", "IT")},
	}
}

// waitProcessed waits until want messages are captured and none is pending.
func waitProcessed(ctx context.Context, pool *pgxpool.Pool, want int, served <-chan error) error {
	deadline := time.After(30 * time.Second)
	for {
		var total, pending int
		err := pool.QueryRow(ctx, `SELECT count(*), count(*) FILTER (WHERE status = 'pending') FROM inbound`).Scan(&total, &pending)
		if err != nil {
			return err
		}
		if total >= want && pending == 0 {
			return nil
		}
		select {
		case err := <-served:
			return fmt.Errorf("deskgate serve stopped early: %v", err)
		case <-deadline:
			return fmt.Errorf("demo: after 30s only %d of %d messages were captured (%d pending)", total, want, pending)
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(10 * time.Millisecond):
		}
	}
}

func splitHostPort(addr string) (string, int) {
	host, p, _ := net.SplitHostPort(addr) // addr comes from a listener
	port, _ := strconv.Atoi(p)
	return host, port
}
