package main

import (
	"context"
	"log/slog"
	"strings"
	"sync/atomic"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/deskgate/deskgate/config"
	"github.com/deskgate/deskgate/dashboard"
)

// newDashboard builds serve's dashboard. Its sign-in links start with
// http.public_url, or, without one, with the address the HTTP server
// listens on, which addr holds once it does.
func newDashboard(cfg *config.Config, pool *pgxpool.Pool, addr *atomic.Value, log *slog.Logger) (*dashboard.Dashboard, error) {
	rd, err := reportDesk(cfg)
	if err != nil {
		return nil, err
	}
	var agents []string
	for _, a := range cfg.Agents {
		for _, ad := range a.Addresses {
			agents = append(agents, strings.ToLower(ad))
		}
	}
	base := func() string {
		if cfg.HTTP.PublicURL != "" {
			return cfg.HTTP.PublicURL
		}
		a, _ := addr.Load().(string)
		return "http://" + a
	}
	return dashboard.New(dashboard.Options{DB: pool, Agents: agents, PublicURL: base, Secure: cfg.HTTP.SecureCookies(),
		FromName: cfg.Desk.Name, FromAddr: cfg.Desk.Address, Report: rd, Log: log})
}

// demoAgent is the demo's agent whom demo -keep signs in to the dashboard.
const demoAgent = "maja@desk.example"

// demoSignInLink stores a sign-in link for the demo's agent on the
// dashboard served at addr, for demo -keep to print instead of mailing it.
func demoSignInLink(ctx context.Context, cfg *config.Config, pool *pgxpool.Pool, addr string, log *slog.Logger) (string, error) {
	var a atomic.Value
	a.Store(addr)
	d, err := newDashboard(cfg, pool, &a, log)
	if err != nil {
		return "", err
	}
	return d.SignInLink(ctx, demoAgent)
}
