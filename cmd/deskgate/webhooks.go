package main

import (
	"context"
	"log/slog"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/deskgate/deskgate/config"
	"github.com/deskgate/deskgate/webhook"
)

// webhooks records the configured endpoints, so that changes queue
// deliveries for them from now on, and returns their sender.
func webhooks(ctx context.Context, cfg *config.Config, pool *pgxpool.Pool, owner string, log *slog.Logger) (*webhook.Sender, error) {
	var eps []webhook.Endpoint
	for _, w := range cfg.Webhooks {
		eps = append(eps, webhook.Endpoint{Name: w.Name, URL: w.URL, Secret: w.Secret, Events: w.Events, MaxAge: w.MaxAge})
	}
	if err := webhook.Sync(ctx, pool, eps); err != nil {
		return nil, err
	}
	return &webhook.Sender{DB: pool, Endpoints: eps, Log: log, Owner: owner}, nil
}
