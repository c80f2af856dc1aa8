package main

import (
	"log/slog"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/deskgate/deskgate/api"
	"github.com/deskgate/deskgate/config"
	"github.com/deskgate/deskgate/ticketing"
)

// apiOptions are serve's API options: its desk, and the reports' calendar
// as deskgate report reads it, so that the API's reports are the CLI's.
func apiOptions(cfg *config.Config, pool *pgxpool.Pool, desk *ticketing.Desk, log *slog.Logger) (api.Options, error) {
	rd, err := reportDesk(cfg)
	if err != nil {
		return api.Options{}, err
	}
	return api.Options{DB: pool, Desk: desk, Report: rd, Log: log}, nil
}
