package migrations_test

import (
	"context"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/deskgate/deskgate/internal/dbtest"
	"github.com/deskgate/deskgate/migrations"
)

// TestWebhookTotalsCountTheHistory: migration 00027 counts each endpoint's
// deliveries so far into webhook_totals, as Backlogs counted them from
// webhook_deliveries before (sent, given up, the last sent, the newest
// delivery's last error), so that status and /metrics show the same
// figures across the upgrade; its Down section removes what it added.
func TestWebhookTotalsCountTheHistory(t *testing.T) {
	ctx := context.Background()
	pool, err := pgxpool.New(ctx, dbtest.EmptyURL(t))
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()
	if err := migrations.UpTo(ctx, pool, 26); err != nil {
		t.Fatal(err)
	}
	lastSent := time.Date(2026, 11, 30, 9, 0, 0, 0, time.UTC)
	if _, err := pool.Exec(ctx, `
INSERT INTO webhook_deliveries (endpoint, event, payload, status, sent_at, last_error) VALUES
    ('crm', 'ticket.created', '{}', 'sent', $1::timestamptz - interval '1 hour', 'first error'),
    ('crm', 'ticket.created', '{}', 'sent', $1, ''),
    ('crm', 'ticket.created', '{}', 'given_up', NULL, 'newest error'),
    ('crm', 'ticket.created', '{}', 'sent', $1::timestamptz - interval '2 hours', ''),
    ('crm', 'ticket.created', '{}', 'queued', NULL, ''),
    ('erp', 'ticket.created', '{}', 'queued', NULL, 'refused')`, lastSent); err != nil {
		t.Fatal(err)
	}
	if err := migrations.UpTo(ctx, pool, 27); err != nil { // later ones give up queued deliveries of unknown endpoints
		t.Fatal(err)
	}
	type totals struct {
		sent, givenUp int64
		lastSent      *time.Time
		lastError     string
	}
	read := func() map[string]totals {
		t.Helper()
		rows, err := pool.Query(ctx, `SELECT endpoint, sent, given_up, last_sent, last_error FROM webhook_totals`)
		if err != nil {
			t.Fatal(err)
		}
		got := map[string]totals{}
		var name string
		var tt totals
		for rows.Next() {
			if err := rows.Scan(&name, &tt.sent, &tt.givenUp, &tt.lastSent, &tt.lastError); err != nil {
				t.Fatal(err)
			}
			got[name] = tt
		}
		if rows.Err() != nil {
			t.Fatal(rows.Err())
		}
		return got
	}
	got := read()
	crm, erp := got["crm"], got["erp"]
	if len(got) != 2 || crm.sent != 3 || crm.givenUp != 1 || crm.lastSent == nil || !crm.lastSent.Equal(lastSent) ||
		crm.lastError != "newest error" {
		t.Errorf("crm's totals after 00027 = %+v, want 3 sent, 1 given up, last sent %v, last error \"newest error\" (all: %+v)",
			crm, lastSent, got)
	}
	if erp.sent != 0 || erp.givenUp != 0 || erp.lastSent != nil || erp.lastError != "refused" {
		t.Errorf("erp's totals after 00027 = %+v, want nothing sent or given up and last error \"refused\"", erp)
	}

	if err := migrations.DownTo(ctx, pool, 26); err != nil {
		t.Fatalf("00027 down: %v", err)
	}
	var left int
	if err := pool.QueryRow(ctx, `SELECT count(*) FROM pg_class WHERE relname IN ('webhook_totals', 'webhook_deliveries_finished')`).Scan(&left); err != nil || left != 0 {
		t.Errorf("after 00027 down, %d of webhook_totals and its index remain (%v)", left, err)
	}
	if _, err := migrations.Up(ctx, pool, nil); err != nil {
		t.Fatalf("00027 up again: %v", err)
	}
	if again := read(); again["crm"].sent != 3 {
		t.Errorf("crm's totals after 00027 down and up = %+v, want 3 sent", again["crm"])
	}
}
