package main

import (
	"context"
	"log/slog"
	"strconv"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/deskgate/deskgate/config"
	"github.com/deskgate/deskgate/ticketing"
	"github.com/deskgate/deskgate/ticketing/sla"
)

// digestConfig maps the digest settings: who gets one, with the calendar
// of their first team that has one, else the default SLA policy's.
func digestConfig(cfg *config.Config, pc ticketing.PolicyConfig) ticketing.DigestConfig {
	h, _ := strconv.Atoi(cfg.Digest.Time[:2]) // validated HH:MM
	m, _ := strconv.Atoi(cfg.Digest.Time[3:])
	dc := ticketing.DigestConfig{At: time.Duration(h)*time.Hour + time.Duration(m)*time.Minute, DueWithin: cfg.Digest.DueWithin}
	for i := range cfg.Agents {
		a := &cfg.Agents[i]
		if !cfg.DigestFor(a) || len(a.Addresses) == 0 {
			continue
		}
		cal := pc.Policies[pc.DefaultPolicy].Calendar
		for _, t := range a.Teams {
			if c := pc.TeamCalendars[t]; c != nil {
				cal = c
				break
			}
		}
		if cal == nil {
			cal = sla.Always()
		}
		dc.Agents = append(dc.Agents, ticketing.DigestAgent{Address: a.Addresses[0], Lead: a.Role == config.RoleLead, Calendar: cal})
	}
	return dc
}

// everyMinute yields the time now and then every minute until ctx is done:
// serve's clock for the digests (tests give serveAt their own times).
func everyMinute(ctx context.Context) <-chan time.Time {
	ch := make(chan time.Time)
	go func() {
		t := time.NewTicker(time.Minute)
		defer t.Stop()
		for now := time.Now(); ; {
			select {
			case ch <- now:
			case <-ctx.Done():
				return
			}
			select {
			case now = <-t.C:
			case <-ctx.Done():
				return
			}
		}
	}()
	return ch
}

// sendDigests queues the agents' daily digests due at each time ticks
// gives until ctx is done. Every process may run it: each digest is sent
// once.
func sendDigests(ctx context.Context, desks *atomic.Pointer[ticketing.Desk], pool *pgxpool.Pool, ticks <-chan time.Time, log *slog.Logger) error {
	for {
		select {
		case <-ctx.Done():
			return nil
		case now := <-ticks:
			n, err := desks.Load().Digests(ctx, pool, now)
			switch {
			case err != nil && ctx.Err() == nil:
				log.Error("sending agents' digests", "err", err)
			case n > 0:
				log.Info("agents' digests queued", "count", n)
			}
		}
	}
}
