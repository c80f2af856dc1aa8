package main

import (
	"context"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/deskgate/deskgate/migrations"
)

// TestReadinessProblems sets each condition /readyz checks in the database
// and reads the problems: a mailbox never synced, one whose last sync is
// older than its interval, one whose login was refused, the SMTP side
// failing for longer than the threshold (and not yet, for a shorter
// failure), and a schema older than the binary's.
func TestReadinessProblems(t *testing.T) {
	pool := useDatabase(t)
	ctx := context.Background()
	cfg := demoConfig("127.0.0.1:1", "127.0.0.1:2", "help@desk.example", "pw")
	cfg.Mailboxes = append(cfg.Mailboxes, cfg.Mailboxes[0])
	cfg.Mailboxes[2].Name = "hr"
	ready := readiness(cfg, pool, time.Now().Add(-time.Hour), 10*time.Minute)
	for _, sql := range []string{
		`INSERT INTO mailboxes (name, state, state_since, last_ok_at) VALUES
		   ('support', 'idle', now(), now()), ('it', 'idle', now(), now() - interval '1 hour')`,
		`UPDATE smtp_state SET last_ok_at = now() - interval '5 minutes', last_error = '451 4.3.0 try later', last_error_at = now()`,
	} {
		if _, err := pool.Exec(ctx, sql); err != nil {
			t.Fatal(err)
		}
	}
	want := []string{"mailbox it: last synced 1h ago, expected within 21m0s", "mailbox hr: never synced"}
	if got := ready(ctx); !slices.Equal(got, want) {
		t.Errorf("readiness = %q, want %q", got, want)
	}

	for _, sql := range []string{
		`UPDATE mailboxes SET state = 'auth_failed', state_since = '2026-12-01T10:00:00Z', last_error = 'login rejected' WHERE name = 'it'`,
		`INSERT INTO mailboxes (name, state, state_since, last_ok_at) VALUES ('hr', 'idle', now(), now())`,
		`UPDATE smtp_state SET last_ok_at = now() - interval '11 minutes'`,
		`DELETE FROM goose_db_version WHERE version_id = (SELECT max(version_id) FROM goose_db_version)`,
	} {
		if _, err := pool.Exec(ctx, sql); err != nil {
			t.Fatal(err)
		}
	}
	latest := migrations.Latest()
	var older int64 // the migration before the latest, whose number may be more than one lower
	if err := pool.QueryRow(ctx, `SELECT max(version_id) FROM goose_db_version`).Scan(&older); err != nil {
		t.Fatal(err)
	}
	want = []string{
		"database: schema version " + strconv.FormatInt(older, 10) + ", this binary needs " + strconv.FormatInt(latest, 10) + " (deskgate migrate)",
		"mailbox it: auth_failed since 2026-12-01T10:00:00Z: login rejected",
		"smtp: failing for more than 10m0s: 451 4.3.0 try later",
	}
	if got := ready(ctx); !slices.Equal(got, want) {
		t.Errorf("readiness = %q, want %q", got, want)
	}
}
