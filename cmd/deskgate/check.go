package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"slices"
	"strings"
	"sync"

	"github.com/deskgate/deskgate/config"
	"github.com/deskgate/deskgate/mailin"
	"github.com/deskgate/deskgate/mailout"
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
	// Templates, calendars and rule conditions are checked by building
	// them; the OAuth2 certificate, key and service account files by
	// reading them, as serve does at start (no token is asked for).
	if _, err := deskConfig(cfg); err != nil {
		return err
	}
	if _, err := tokenSources(cfg, nil, slog.New(slog.DiscardHandler)); err != nil {
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
	checks, err := connectChecks(ctx, cfg)
	if err != nil {
		return err
	}
	for _, c := range checks {
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

// connectChecks connects to PostgreSQL, then logs in to every mailbox and
// the SMTP server with the functions and OAuth2 token sources serve uses,
// all at once; the results come in that order (mailboxes, smtp, database).
// A delegated OAuth2 login is read from the database, so without one those
// logins cannot be tried.
func connectChecks(ctx context.Context, cfg *config.Config) ([]check, error) {
	out := make([]check, len(cfg.Mailboxes)+2)
	failure := func(err error, auth func(error) bool) string {
		if auth(err) {
			return "login failed"
		}
		return "cannot connect"
	}
	db := check{target: "database", ok: "connected", failure: "cannot connect"}
	pool, err := openDB(ctx)
	if err == nil {
		defer pool.Close()
		var ready bool
		if ready, err = hasSchema(ctx, pool); err == nil && !ready {
			db.ok = "connected; no deskgate schema yet (serve creates it at start, or run deskgate migrate)"
		}
	}
	db.err = err
	out[len(out)-1] = db
	usable := cfg
	if db.err != nil { // token sources without the stored (delegated) logins
		c := *cfg
		c.Mailboxes = slices.Clone(cfg.Mailboxes)
		for i := range c.Mailboxes {
			if c.Mailboxes[i].OAuth2.Flow == config.FlowDelegated {
				c.Mailboxes[i].OAuth2 = config.OAuth2{}
			}
		}
		if c.SMTP.OAuth2.Flow == config.FlowDelegated {
			c.SMTP.OAuth2 = config.OAuth2{}
		}
		usable, pool = &c, nil
	}
	sources, err := tokenSources(usable, pool, slog.New(slog.DiscardHandler))
	if err != nil { // a certificate or key file that cannot be read
		return nil, err
	}
	noLogin := func(o config.OAuth2) error {
		if db.err != nil && o.Flow == config.FlowDelegated {
			return errors.New("the stored OAuth2 login cannot be read without the database")
		}
		return nil
	}
	var wg sync.WaitGroup
	for i, mb := range cfg.Mailboxes {
		wg.Go(func() {
			m := mailboxConfig(mb)
			if src, ok := sources[mb.Name]; ok {
				m.OAuth2 = src
			}
			err := noLogin(mb.OAuth2)
			if err == nil {
				err = mailin.CheckLogin(ctx, m)
			}
			out[i] = check{target: "mailbox " + mb.Name, err: err,
				ok: fmt.Sprintf("logged in to %s as %s, folder %s", mb.Addr(), mb.Username, mb.Folder)}
			if err != nil {
				out[i].failure = failure(err, mailin.AuthFailed)
			}
		})
	}
	wg.Go(func() {
		sc := senderConfig(cfg, "").SMTP
		if src, ok := sources[smtpTokenName]; ok {
			sc.OAuth2 = src
		}
		err := noLogin(cfg.SMTP.OAuth2)
		if err == nil {
			err = mailout.CheckLogin(ctx, sc)
		}
		c := check{target: "smtp", err: err, ok: fmt.Sprintf("connected to %s (%s)", cfg.SMTP.Addr(), cfg.SMTP.TLS)}
		if cfg.SMTP.Auth != config.AuthNone {
			c.ok = fmt.Sprintf("logged in to %s (%s) as %s", cfg.SMTP.Addr(), cfg.SMTP.TLS, cfg.SMTP.Username)
		}
		if err != nil {
			c.failure = failure(err, mailout.AuthFailed)
		}
		out[len(out)-2] = c
	})
	wg.Wait()
	for i := range out {
		if out[i].err != nil {
			out[i].err = fmt.Errorf("%s", strings.TrimPrefix(strings.TrimPrefix(out[i].err.Error(), "mailin: "), "mailout: "))
		}
	}
	return out, nil
}
