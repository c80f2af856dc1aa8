package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"strings"
	"sync"

	"deskgate/config"
	"deskgate/mailin"
	"deskgate/mailout"
)

func configCmd(ctx context.Context, args []string, stdout io.Writer) error {
	if len(args) == 0 || args[0] != "check" {
		return usageError("config: want check")
	}
	flags := flag.NewFlagSet("config check", flag.ContinueOnError)
	path := configFlag(flags)
	connect := flags.Bool("connect", false, "also log in to every mailbox and the SMTP server, and connect to PostgreSQL")
	if _, err := parseArgs(flags, args[1:], noNumber); err != nil {
		return err
	}
	cfg, err := loadConfig(*path)
	if err != nil {
		return err
	}
	// Templates, calendars and rule conditions are checked by building them.
	if _, err := deskConfig(cfg); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "%s: OK: desk %s <%s>, %d mailbox(es), %d rule(s)\n", *path, cfg.Desk.Name, cfg.Desk.Address, len(cfg.Mailboxes), len(cfg.Rules))
	for _, mb := range cfg.Mailboxes {
		auth := "password"
		switch {
		case mb.OAuth2.Provider != "":
			auth = "OAuth2 " + mb.OAuth2.Provider + " " + mb.OAuth2.Flow
		case mb.OAuth2Token != "":
			auth = "XOAUTH2 token"
		}
		fmt.Fprintf(stdout, "  %-12s %s (%s, %s as %s) folder %s -> queue %s\n", mb.Name, mb.Addr(), mb.TLS, auth, mb.Username, mb.Folder, mb.Queue)
	}
	for _, w := range cfg.Warnings() {
		fmt.Fprintf(stdout, "warning: %s\n", w)
	}
	if !*connect {
		return nil
	}
	failed := 0
	for _, c := range connectChecks(ctx, cfg) {
		if c.err != nil {
			failed++
			fmt.Fprintf(stdout, "%s: %s: %v\n", c.target, c.failure, c.err)
		} else {
			fmt.Fprintf(stdout, "%s: OK: %s\n", c.target, c.ok)
		}
	}
	if failed > 0 {
		return fmt.Errorf("config check: %d of %d connection checks failed", failed, len(cfg.Mailboxes)+2)
	}
	return nil
}

// check is the outcome of one connection check.
type check struct {
	target  string // "mailbox support", "smtp", "database"
	ok      string // what worked
	failure string // "login failed" or "cannot connect", with err
	err     error
}

// connectChecks logs in to every mailbox and the SMTP server with the
// functions serve uses, and connects to PostgreSQL, all at once; the
// results come in that order.
func connectChecks(ctx context.Context, cfg *config.Config) []check {
	out := make([]check, len(cfg.Mailboxes)+2)
	failure := func(err error, auth func(error) bool) string {
		if auth(err) {
			return "login failed"
		}
		return "cannot connect"
	}
	var wg sync.WaitGroup
	for i, mb := range cfg.Mailboxes {
		wg.Go(func() {
			err := mailin.CheckLogin(ctx, mailboxConfig(mb))
			out[i] = check{target: "mailbox " + mb.Name, err: err,
				ok: fmt.Sprintf("logged in to %s as %s, folder %s", mb.Addr(), mb.Username, mb.Folder)}
			if err != nil {
				out[i].failure = failure(err, mailin.AuthFailed)
			}
		})
	}
	wg.Go(func() {
		sc := senderConfig(cfg, "").SMTP
		err := mailout.CheckLogin(ctx, sc)
		c := check{target: "smtp", err: err, ok: fmt.Sprintf("connected to %s (%s)", cfg.SMTP.Addr(), cfg.SMTP.TLS)}
		if cfg.SMTP.Auth != config.AuthNone {
			c.ok = fmt.Sprintf("logged in to %s (%s) as %s", cfg.SMTP.Addr(), cfg.SMTP.TLS, cfg.SMTP.Username)
		}
		if err != nil {
			c.failure = failure(err, mailout.AuthFailed)
		}
		out[len(out)-2] = c
	})
	wg.Go(func() {
		c := check{target: "database", ok: "connected"}
		pool, err := openDB(ctx)
		if err == nil {
			var ready bool
			ready, err = hasSchema(ctx, pool)
			if !ready {
				c.ok = "connected; no deskgate schema yet (serve creates it at start, or run deskgate migrate)"
			}
			pool.Close()
		}
		c.err = err
		c.failure = "cannot connect"
		out[len(out)-1] = c
	})
	wg.Wait()
	for i := range out {
		if out[i].err != nil {
			out[i].err = fmt.Errorf("%s", strings.TrimPrefix(strings.TrimPrefix(out[i].err.Error(), "mailin: "), "mailout: "))
		}
	}
	return out
}
