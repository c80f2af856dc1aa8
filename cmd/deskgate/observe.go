package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"

	"github.com/deskgate/deskgate/config"
	"github.com/deskgate/deskgate/httpserver"
	"github.com/deskgate/deskgate/mailin"
	"github.com/deskgate/deskgate/mailout"
	"github.com/deskgate/deskgate/metrics"
	"github.com/deskgate/deskgate/migrations"
)

// smtpFailingFor is how long the SMTP side may fail before serve is not
// ready.
const smtpFailingFor = 10 * time.Minute

// newLogger returns serve's logger as log.format and log.level say;
// DESKGATE_LOG_LEVEL, when set, overrides the level.
func newLogger(w io.Writer, lc config.Log) (*slog.Logger, error) {
	var level slog.Level
	if err := level.UnmarshalText([]byte(lc.Level)); err != nil {
		return nil, fmt.Errorf("log.level %q: %w", lc.Level, err)
	}
	if os.Getenv("DESKGATE_LOG_LEVEL") != "" {
		var err error
		if level, err = logLevel(); err != nil {
			return nil, err
		}
	}
	opts := &slog.HandlerOptions{Level: level}
	if lc.Format == "json" {
		return slog.New(slog.NewJSONHandler(w, opts)), nil
	}
	return slog.New(slog.NewTextHandler(w, opts)), nil
}

// newRegistry returns the registry /metrics serves: Go's and the process's
// collectors, deskgate's series (returned, for the parts to move) and the
// desk's state read from pool at each scrape.
func newRegistry(cfg *config.Config, pool *pgxpool.Pool, self string) (*prometheus.Registry, *metrics.Set) {
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	set := metrics.New(reg)
	metrics.RegisterState(reg, 5*time.Second, func(ctx context.Context) (metrics.Snapshot, error) {
		return snapshot(ctx, cfg, pool, self)
	})
	return reg, set
}

// snapshot reads the state the gauges show.
func snapshot(ctx context.Context, cfg *config.Config, pool *pgxpool.Pool, self string) (metrics.Snapshot, error) {
	var s metrics.Snapshot
	st, err := readStatus(ctx, pool)
	if err != nil {
		return s, err
	}
	for _, m := range configuredMailboxes(cfg, st.Mailboxes) {
		s.Mailboxes = append(s.Mailboxes, metrics.Mailbox{Name: m.Name, State: m.State, LeaseHeld: m.Owner == self,
			Behind: m.Behind, LastSync: deref(m.LastSync)})
	}
	s.OutboxQueued, s.OutboxDeferred = st.SMTP.Queued-st.SMTP.Deferred, st.SMTP.Deferred
	s.OldestDue, s.BreakerOpen, s.SMTPAuthFailed, s.Quarantined = deref(st.SMTP.OldestDue), st.Breaker.Open, st.SMTP.AuthFailed, st.Quarantined
	for _, w := range st.Webhooks {
		s.Webhooks = append(s.Webhooks, metrics.Webhook{Endpoint: w.Endpoint, Queued: w.Queued, Oldest: deref(w.Oldest),
			Sent: w.Sent, GivenUp: w.GivenUp})
	}
	return s, nil
}

// configuredMailboxes returns the configured mailboxes' recorded states,
// in the configuration's order; one without a row is never synced.
func configuredMailboxes(cfg *config.Config, recorded []mailboxStatus) []mailboxStatus {
	byName := map[string]mailboxStatus{}
	for _, m := range recorded {
		byName[m.Name] = m
	}
	var out []mailboxStatus
	for _, mb := range cfg.Mailboxes {
		m, ok := byName[mb.Name]
		if !ok {
			m = mailboxStatus{Name: mb.Name, State: string(mailin.StateNever)}
		}
		out = append(out, m)
	}
	return out
}

func deref(t *time.Time) time.Time {
	if t == nil {
		return time.Time{}
	}
	return *t
}

// readiness returns what keeps serve from being ready: the database
// unreachable or its schema not this binary's, a mailbox not synced (by
// any process) within its expected interval or failing, the SMTP side
// failing for longer than failingFor (smtpFailingFor in serve).
func readiness(cfg *config.Config, pool *pgxpool.Pool, started time.Time, failingFor time.Duration) func(context.Context) []string {
	return func(ctx context.Context) []string {
		v, err := migrations.Version(ctx, pool)
		if err != nil {
			return []string{"database: " + err.Error()}
		}
		var problems []string
		if latest := migrations.Latest(); v != latest {
			problems = append(problems, fmt.Sprintf("database: schema version %d, this binary needs %d (deskgate migrate)", v, latest))
		}
		mbs, err := mailin.MailboxStates(ctx, pool)
		if err != nil {
			return append(problems, "database: "+err.Error())
		}
		recorded := map[string]mailin.MailboxState{}
		for _, m := range mbs {
			recorded[m.Name] = m
		}
		now := time.Now()
		for _, mb := range cfg.Mailboxes {
			m := recorded[mb.Name]
			expected := 2*max(mb.PollInterval, mb.IdleRefresh) + time.Minute
			switch {
			case m.State == mailin.StateAuthFailed || m.State == mailin.StateUnreachable:
				problems = append(problems, fmt.Sprintf("mailbox %s: %s since %s: %s", mb.Name, m.State, m.Since.UTC().Format(time.RFC3339), m.LastError))
			case m.LastSync.IsZero():
				problems = append(problems, fmt.Sprintf("mailbox %s: never synced", mb.Name))
			case now.Sub(m.LastSync) > expected:
				problems = append(problems, fmt.Sprintf("mailbox %s: last synced %s, expected within %s", mb.Name, ago(now.Sub(m.LastSync)), expected))
			}
		}
		sm, err := mailout.ReadSMTPState(ctx, pool)
		if err != nil {
			return append(problems, "database: "+err.Error())
		}
		if sm.LastErrorAt.After(sm.LastOK) {
			since := sm.LastOK
			if since.Before(started) {
				since = started // failing since at least this process started
			}
			if now.Sub(since) > failingFor {
				problems = append(problems, fmt.Sprintf("smtp: failing for more than %s: %s", failingFor, sm.LastError))
			}
		}
		return problems
	}
}

// startHTTP starts serve's HTTP server on http.listen, unless it is empty
// (nil, nil).
func startHTTP(ctx context.Context, cfg *config.Config, pool *pgxpool.Pool, reg *prometheus.Registry, routes map[string]http.Handler,
	log *slog.Logger) (*httpserver.Server, error) {
	if cfg.HTTP.Listen == "" {
		return nil, nil
	}
	var addr atomic.Value
	dash, err := newDashboard(cfg, pool, &addr, log)
	if err != nil {
		return nil, err
	}
	all := dash.Routes()
	for pattern, h := range routes {
		all[pattern] = h
	}
	hs, err := httpserver.Start(ctx, httpserver.Options{Listen: cfg.HTTP.Listen, Registry: reg,
		Ready: readiness(cfg, pool, time.Now(), smtpFailingFor), Routes: all, Log: log})
	if hs != nil {
		addr.Store(hs.Addr())
	}
	return hs, err
}
