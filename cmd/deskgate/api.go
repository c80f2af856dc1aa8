package main

import (
	"log/slog"
	"sync/atomic"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/deskgate/deskgate/api"
	"github.com/deskgate/deskgate/config"
	"github.com/deskgate/deskgate/ticketing"
	"github.com/deskgate/deskgate/ticketing/report"
)

// running is what serve acts with, and a reload (SIGHUP) replaces: the
// desk, which mail, the sweeps and the API share, and the reports'
// calendar as deskgate report reads it, so that the API's reports are the
// CLI's.
type running struct {
	desks   atomic.Pointer[ticketing.Desk]
	reports atomic.Pointer[report.Desk]
}

// use makes d, built from cfg, the desk acted with from now on.
func (r *running) use(cfg *config.Config, d *ticketing.Desk) error {
	rd, err := reportDesk(cfg)
	if err != nil {
		return err
	}
	r.reports.Store(&rd)
	r.desks.Store(d)
	return nil
}

// apiOptions are serve's API options: each request acts with the desk and
// calendar in use when it comes.
func (r *running) apiOptions(pool *pgxpool.Pool, log *slog.Logger) api.Options {
	return api.Options{DB: pool, Desk: r.desks.Load, Report: func() report.Desk { return *r.reports.Load() }, Log: log}
}
