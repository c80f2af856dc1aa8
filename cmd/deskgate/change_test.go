package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/deskgate/deskgate/api"
	"github.com/deskgate/deskgate/config"
	"github.com/deskgate/deskgate/internal/dbtest"
	"github.com/deskgate/deskgate/ticketing"
	"github.com/deskgate/deskgate/ticketing/search"
	"github.com/deskgate/deskgate/webhook"
)

// writeAgentConfig is writeConfig with the teams support (Maja) and
// network (Nils).
func writeAgentConfig(t *testing.T) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "deskgate.yaml")
	err := os.WriteFile(path, []byte(`desk: {name: Test Desk, address: help@desk.example, secrets: [{id: 1, secret: 0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef}]}
smtp: {host: 127.0.0.1, tls: plain}
mailboxes: [{name: support, host: 127.0.0.1, tls: plain, username: help@desk.example, password: pw}]
teams: [{name: support}, {name: network}]
agents:
  - {name: Maja, addresses: [maja@desk.example], teams: [support]}
  - {name: Nils, addresses: [nils@desk.example], teams: [network]}
`), 0o600)
	if err != nil {
		t.Fatal(err)
	}
	t.Setenv("DESKGATE_CONFIG", path)
}

func TestTicketSetReplyNoteList(t *testing.T) {
	pool := useDatabase(t)
	ctx := context.Background()
	if _, err := pool.Exec(ctx, `INSERT INTO tickets (subject, requester_addr, received_at, team, status)
		VALUES ('Printer jammed', 'a@example.org', now(), 'support', 'open'), ('Switch down', 'b@example.org', now(), 'network', 'open')`); err != nil {
		t.Fatal(err)
	}
	if _, err := pool.Exec(ctx, `INSERT INTO participants (ticket_id, address, role) VALUES (1, 'a@example.org', 'requester')`); err != nil {
		t.Fatal(err)
	}
	if _, err := pool.Exec(ctx, `INSERT INTO messages (ticket_id, direction, from_addr, subject, text_body, search) VALUES
		(1, 'in', 'a@example.org', 'Printer jammed', 'Paper everywhere.', $1), (2, 'in', 'b@example.org', 'Switch down', 'All dark.', $2)`,
		search.Vector("Printer jammed", "Paper everywhere.").String(), search.Vector("Switch down", "All dark.").String()); err != nil {
		t.Fatal(err)
	}
	writeAgentConfig(t)
	t.Setenv("DESKGATE_AGENT", "maja@desk.example")
	var out bytes.Buffer
	for _, args := range [][]string{
		{"ticket", "set", "1", "priority=High", "assignee=maja@desk.example", "tags=+vip,+printer"},
		{"ticket", "note", "1", "Known", "issue"},
		{"ticket", "reply", "1", "-as", "maja@desk.example", "Restart", "it", "please"},
	} {
		if err := run(ctx, args, &out, io.Discard); err != nil {
			t.Fatalf("deskgate %s = %v", strings.Join(args, " "), err)
		}
	}
	tk, err := ticketing.GetTicket(ctx, pool, 1)
	if err != nil {
		t.Fatal(err)
	}
	if tk.Priority != "High" || tk.Assignee != "maja@desk.example" || len(tk.Tags) != 2 || len(tk.Thread) != 3 {
		t.Fatalf("ticket 1 = priority %q assignee %q tags %v, %d messages", tk.Priority, tk.Assignee, tk.Tags, len(tk.Thread))
	}
	for _, e := range tk.Events {
		if e.Kind == "fields.changed" && e.Actor != "maja@desk.example" {
			t.Errorf("fields.changed by %q, want maja@desk.example", e.Actor)
		}
	}
	// Another team's ticket is refused; so is a lifecycle the table forbids.
	err = run(ctx, []string{"ticket", "set", "2", "priority=Low"}, io.Discard, io.Discard)
	if !errors.Is(err, ticketing.ErrForbidden) {
		t.Errorf("ticket set 2 as maja = %v, want not allowed", err)
	}
	err = run(ctx, []string{"ticket", "set", "1", "status=new"}, io.Discard, io.Discard)
	if err == nil || !strings.Contains(err.Error(), "status") {
		t.Errorf("ticket set 1 status=new = %v, want the status refused", err)
	}
	out.Reset()
	if err := run(ctx, []string{"ticket", "list", "-json", "-team", "support", "-assignee", "maja@desk.example", "-tag", "vip"}, &out, io.Discard); err != nil {
		t.Fatal(err)
	}
	var ts []ticketing.TicketSummary
	if err := json.Unmarshal(out.Bytes(), &ts); err != nil || len(ts) != 1 || ts[0].Number != 1 {
		t.Errorf("ticket list -team support -assignee maja -tag vip = %s (%v), want ticket 1", out.String(), err)
	}
	out.Reset()
	if err := run(ctx, []string{"ticket", "list", "-search", "switch", "-limit", "5"}, &out, io.Discard); err != nil ||
		!strings.Contains(out.String(), "Switch down") || strings.Contains(out.String(), "Printer") {
		t.Errorf("ticket list -search switch = %v\n%s", err, out.String())
	}
	for _, args := range [][]string{
		{"ticket", "set", "1"},
		{"ticket", "set", "1", "colour=red"},
		{"ticket", "note", "1"},
		{"ticket", "list", "-sort", "sideways"},
		{"ticket", "list", "-created", "yesterday"},
		{"token", "create"},
		{"token", "create", "-agent", "maja@desk.example", "-scope", "admin"},
	} {
		var u usageError
		if err := run(ctx, args, io.Discard, io.Discard); !errors.As(err, &u) {
			t.Errorf("deskgate %s = %v, want a usage error", strings.Join(args, " "), err)
		}
	}
	t.Setenv("DESKGATE_AGENT", "")
	var u usageError
	if err := run(ctx, []string{"ticket", "reply", "1", "hello"}, io.Discard, io.Discard); !errors.As(err, &u) {
		t.Errorf("ticket reply without an agent = %v, want a usage error", err)
	}
}

func TestTokenCommands(t *testing.T) {
	pool := useDatabase(t)
	ctx := context.Background()
	var out bytes.Buffer
	if err := run(ctx, []string{"token", "create", "--agent", "maja@desk.example", "--scope", "write", "--expires", "720h"}, &out, io.Discard); err != nil {
		t.Fatal(err)
	}
	secret := strings.TrimSpace(out.String())
	if !strings.HasPrefix(secret, "dg_") || strings.Contains(secret, "\n") {
		t.Fatalf("token create printed %q, want the token alone", out.String())
	}
	var stored int
	if err := pool.QueryRow(ctx, `SELECT count(*) FROM api_tokens WHERE position($1::bytea in hash) > 0`, []byte(secret)).Scan(&stored); err != nil || stored != 0 {
		t.Errorf("the token is stored as it is (%v)", err)
	}
	out.Reset()
	if err := run(ctx, []string{"token", "list", "-json"}, &out, io.Discard); err != nil {
		t.Fatal(err)
	}
	var ts []api.Token
	if err := json.Unmarshal(out.Bytes(), &ts); err != nil || len(ts) != 1 || ts[0].Agent != "maja@desk.example" || ts[0].Scope != "write" || ts[0].ExpiresAt == nil {
		t.Fatalf("token list -json = %s (%v)", out.String(), err)
	}
	if strings.Contains(out.String(), secret) {
		t.Error("token list shows the secret")
	}
	if err := run(ctx, []string{"token", "revoke", "1"}, io.Discard, io.Discard); err != nil {
		t.Fatal(err)
	}
	out.Reset()
	if err := run(ctx, []string{"token", "list"}, &out, io.Discard); err != nil || !strings.Contains(out.String(), "revoked") {
		t.Errorf("token list after revoke = %v\n%s", err, out.String())
	}
	if err := run(ctx, []string{"token", "revoke", "9"}, io.Discard, io.Discard); !errors.Is(err, ticketing.ErrNotFound) {
		t.Errorf("token revoke 9 = %v, want not found", err)
	}
}

// storeOldIndexed stores a ticket with one message indexed as a deskgate
// before migration 00026 indexed it (to_tsvector), and what 00026
// records of such messages.
func storeOldIndexed(t *testing.T, pool *pgxpool.Pool, subject, from, text string) {
	t.Helper()
	if _, err := pool.Exec(context.Background(), `
		WITH t AS (INSERT INTO tickets (subject, requester_addr, received_at) VALUES ($1, $2, now()) RETURNING id),
		m AS (INSERT INTO messages (ticket_id, direction, from_addr, subject, text_body, search)
			SELECT id, 'in', $2, $1, $3, to_tsvector('simple', $1 || ' ' || $3) FROM t
			RETURNING id)
		INSERT INTO search_reindex (upto, next) SELECT id, 0 FROM m`, subject, from, text); err != nil {
		t.Fatal(err)
	}
}

// TestMigrateRewritesSearchVectors: the vectors PostgreSQL's parser
// wrote before migration 00026 (an address one word only, ÄRENDE not folded in
// a database whose LC_CTYPE is C) are rewritten by migrate with deskgate's
// words, so both are found; and since deskgate folds case itself, the
// database's locale no longer matters to search (migrate still warns of it,
// for erasure).
func TestMigrateRewritesSearchVectors(t *testing.T) {
	ctx := context.Background()
	admin, err := pgxpool.New(ctx, dbtest.EmptyURL(t))
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close()
	name := fmt.Sprintf("ctype_c_%d", os.Getpid())
	if _, err := admin.Exec(ctx, `CREATE DATABASE `+name+` LC_CTYPE 'C' LC_COLLATE 'C' TEMPLATE template0`); err != nil {
		t.Fatal(err)
	}
	u, err := url.Parse(admin.Config().ConnString())
	if err != nil {
		t.Fatal(err)
	}
	u.Path = "/" + name
	t.Setenv("DESKGATE_DATABASE_URL", u.String())
	var first bytes.Buffer
	if err := migrateCmd(ctx, nil, io.Discard, slog.New(slog.NewTextHandler(&first, nil))); err != nil {
		t.Fatal(err)
	}
	// erasure's case-insensitive match folds ASCII only there: said once
	if !strings.Contains(first.String(), "level=WARN") || !strings.Contains(first.String(), "LC_CTYPE") {
		t.Errorf("migrate on a database whose LC_CTYPE is C did not warn:\n%s", first.String())
	}
	pool, err := pgxpool.New(ctx, u.String())
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()
	storeOldIndexed(t, pool, "ÄRENDE", "alice@example.com", "Write to alice@example.com")
	found := func(q string) bool {
		ts, _, err := ticketing.FindTickets(ctx, pool, ticketing.Filter{Query: q, Limit: 10})
		if err != nil {
			t.Fatal(err)
		}
		return len(ts) == 1
	}
	if found("ärende") || found("example") {
		t.Fatal("the old vector already finds what it should not: the test shows nothing")
	}
	var log bytes.Buffer
	if err := migrateCmd(ctx, nil, io.Discard, slog.New(slog.NewTextHandler(&log, nil))); err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{"ärende", "ÄRENDE", "alice@example.com", "example"} {
		if !found(q) {
			t.Errorf("after migrate, %q does not find the ticket", q)
		}
	}
	if !strings.Contains(log.String(), "search vectors rewritten") || !strings.Contains(log.String(), "messages=1") {
		t.Errorf("migrate's log:\n%s", log.String())
	}
	var left int
	if err := pool.QueryRow(ctx, `SELECT count(*) FROM search_reindex`).Scan(&left); err != nil || left != 0 {
		t.Errorf("search_reindex holds %d rows (%v), want none", left, err)
	}
	t.Setenv("DESKGATE_DATABASE_URL", dbtest.EmptyURL(t)) // C.UTF-8: nothing to warn of
	log.Reset()
	if err := migrateCmd(ctx, nil, io.Discard, slog.New(slog.NewTextHandler(&log, nil))); err != nil || strings.Contains(log.String(), "level=WARN") {
		t.Errorf("migrate on a UTF-8 database: %v\n%s", err, log.String())
	}
}

// TestWebhookEventsAgree checks that config accepts exactly the events the
// webhook package sends (config keeps its own list: it imports nothing of
// ours but ticketing/token).
func TestWebhookEventsAgree(t *testing.T) {
	if !slices.Equal(config.WebhookEvents, webhook.Events) {
		t.Errorf("config.WebhookEvents = %v, webhook.Events = %v", config.WebhookEvents, webhook.Events)
	}
}
