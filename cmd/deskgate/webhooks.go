package main

import (
	"context"
	"log/slog"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/deskgate/deskgate/config"
	"github.com/deskgate/deskgate/webhook"
)

// webhooks records the configured endpoints, so that changes queue
// deliveries for them from now on, and returns their sender. An endpoint
// gone from the configuration since the last start had its queued
// deliveries given up: that is logged at WARN, once, by the process that
// removed it.
func webhooks(ctx context.Context, cfg *config.Config, pool *pgxpool.Pool, owner string, log *slog.Logger) (*webhook.Sender, error) {
	var eps []webhook.Endpoint
	for _, w := range cfg.Webhooks {
		eps = append(eps, webhook.Endpoint{Name: w.Name, URL: w.URL, Secret: w.Secret, Events: w.Events, MaxAge: w.MaxAge})
	}
	removed, err := webhook.Sync(ctx, pool, eps)
	if err != nil {
		return nil, err
	}
	for _, r := range removed {
		log.Warn("webhook endpoint removed from the configuration; its queued deliveries were given up",
			"endpoint", r.Endpoint, "given_up", r.GivenUp)
	}
	return &webhook.Sender{DB: pool, Endpoints: eps, Log: log, Owner: owner}, nil
}
