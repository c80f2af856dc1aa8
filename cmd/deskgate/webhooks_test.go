package main

import (
	"context"
	"log/slog"
	"slices"
	"strings"
	"testing"

	"github.com/deskgate/deskgate/config"
)

// TestWebhookRemovedLogged: serve started with an endpoint gone from
// webhooks: logs at WARN how many of its queued deliveries were given up;
// a second process starting with the same configuration logs nothing.
func TestWebhookRemovedLogged(t *testing.T) {
	ctx := context.Background()
	pool := useDatabase(t)
	configure := func(hooks string) *config.Config {
		t.Helper()
		cfg, err := config.Parse([]byte(demoYAML("127.0.0.1:1", "127.0.0.1:1", "help@desk.example", "pw")+"webhooks:\n"+hooks),
			"test configuration", nil)
		if err != nil {
			t.Fatal(err)
		}
		return cfg
	}
	const erp = "  - {name: erp, url: \"http://127.0.0.1:1\", secret: whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw, events: [ticket.created]}\n"
	const crm = "  - {name: crm, url: \"http://127.0.0.1:1\", secret: whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw, events: [ticket.created]}\n"
	start := func(cfg *config.Config) string {
		t.Helper()
		var log lockedBuffer
		if _, err := webhooks(ctx, cfg, pool, "test", slog.New(slog.NewTextHandler(&log, nil))); err != nil {
			t.Fatal(err)
		}
		return log.String()
	}
	if log := start(configure(crm + erp)); log != "" {
		t.Errorf("the first start logged %q, want nothing", log)
	}
	for _, q := range []string{
		`INSERT INTO tickets (id, subject, requester_addr, received_at) SELECT i, 'Subject ' || i, 'c' || i || '@example.se', now()
		 FROM generate_series(1, 4) AS i`,
		`INSERT INTO events (ticket_id, actor, kind, detail) SELECT i, 'deskgate', 'ticket.created', '{}' FROM generate_series(1, 4) AS i`,
	} {
		if _, err := pool.Exec(ctx, q); err != nil {
			t.Fatal(err)
		}
	}
	log := start(configure(erp))
	want := `level=WARN msg="webhook endpoint removed from the configuration; its queued deliveries were given up" endpoint=crm given_up=4`
	if !strings.Contains(log, want) || strings.Count(log, "\n") != 1 {
		t.Errorf("serve started without crm logged\n%s\nwant the one line %s", log, want)
	}
	if log := start(configure(erp)); log != "" {
		t.Errorf("a second process with the same configuration logged %q, want nothing", log)
	}
}

// TestWebhooksChangeNamedAtReload: serve syncs webhooks: at start only, so
// a reload that changes it says that serve must restart for it.
func TestWebhooksChangeNamedAtReload(t *testing.T) {
	base := demoYAML("127.0.0.1:1", "127.0.0.1:1", "help@desk.example", "pw")
	const crm = "webhooks:\n  - {name: crm, url: \"http://127.0.0.1:1\", secret: whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw, events: [ticket.created]}\n"
	parse := func(yaml string) *config.Config {
		t.Helper()
		cfg, err := config.Parse([]byte(yaml), "test configuration", nil)
		if err != nil {
			t.Fatal(err)
		}
		return cfg
	}
	if got := startOnly(parse(base+crm), parse(base)); !slices.Equal(got, []string{"webhooks"}) {
		t.Errorf("startOnly with crm removed = %q, want [webhooks]", got)
	}
	if got := startOnly(parse(base+crm), parse(base+crm)); len(got) != 0 {
		t.Errorf("startOnly of the same webhooks = %q, want none", got)
	}
}
