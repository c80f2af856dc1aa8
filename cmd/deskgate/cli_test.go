package main

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/mail"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/deskgate/deskgate/internal/dbtest"
)

func TestCommandLineMistakesAreUsageErrors(t *testing.T) {
	t.Setenv("DESKGATE_DATABASE_URL", dbtest.URL(t))
	for _, args := range [][]string{
		{},
		{"frobnicate"},
		{"ticket"},
		{"ticket", "list", "-status", "bogus"},
		{"ticket", "list", "-limit", "0"},
		{"ticket", "list", "extra"},
		{"ticket", "show"},
		{"ticket", "show", "one"},
		{"ticket", "show", "1", "2"},
		{"inbound", "list", "-status", "new"},
		{"quarantine", "retry"},
		{"quarantine", "retry", "3", "-all"},
		{"migrate", "extra"},
		{"contact", "erase"},
		{"contact", "erase", "a@example.com", "b@example.com"},
		{"version", "extra"},
	} {
		err := run(context.Background(), args, io.Discard, io.Discard)
		var u usageError
		if !errors.As(err, &u) {
			t.Errorf("deskgate %s = %v, want a usage error (exit status 2)", strings.Join(args, " "), err)
		}
	}
}

func TestFlagsBeforeOrAfterTheNumber(t *testing.T) {
	t.Setenv("DESKGATE_DATABASE_URL", dbtest.URL(t))
	for _, args := range [][]string{{"ticket", "show", "-json", "7"}, {"ticket", "show", "7", "-json"}} {
		err := run(context.Background(), args, io.Discard, io.Discard)
		if err == nil || !strings.Contains(err.Error(), "ticket #7: not found") {
			t.Errorf("deskgate %s = %v, want ticket #7: not found", strings.Join(args, " "), err)
		}
	}
}

func TestDatabaseWithoutSchemaSaysMigrate(t *testing.T) {
	t.Setenv("DESKGATE_DATABASE_URL", dbtest.EmptyURL(t))
	err := run(context.Background(), []string{"ticket", "list"}, io.Discard, io.Discard)
	if err == nil || !strings.Contains(err.Error(), "run deskgate migrate") {
		t.Fatalf("ticket list on an empty database = %v, want advice to run deskgate migrate", err)
	}
	var out bytes.Buffer
	if err := run(context.Background(), []string{"migrate"}, &out, io.Discard); err != nil || !strings.Contains(out.String(), "schema at version") {
		t.Fatalf("migrate = %v (%q), want the schema version", err, out.String())
	}
	if err := run(context.Background(), []string{"ticket", "list"}, io.Discard, io.Discard); err != nil {
		t.Fatalf("ticket list after migrate = %v", err)
	}
}

func TestTicketStatusAndMerge(t *testing.T) {
	pool := useDatabase(t)
	ctx := context.Background()
	if _, err := pool.Exec(ctx, `INSERT INTO tickets (subject, requester_addr, received_at)
		VALUES ('one', 'a@example.org', now()), ('two', 'b@example.org', now())`); err != nil {
		t.Fatal(err)
	}
	writeConfig(t)
	var out bytes.Buffer
	for _, args := range [][]string{
		{"ticket", "status", "1", "pending", "-why", "asked for logs"},
		{"ticket", "merge", "-why", "same printer", "1", "2"},
	} {
		if err := run(ctx, args, &out, io.Discard); err != nil {
			t.Fatalf("deskgate %s = %v", strings.Join(args, " "), err)
		}
	}
	if !strings.Contains(out.String(), "ticket #1 is now pending") || !strings.Contains(out.String(), "merged into #2") {
		t.Errorf("output = %q", out.String())
	}
	var event, to, status string
	if err := pool.QueryRow(ctx, `SELECT event, recipient, status FROM outbox WHERE ticket_id = 1`).Scan(&event, &to, &status); err != nil ||
		event != "status-pending" || to != "a@example.org" || status != "queued" {
		t.Errorf("outbox after ticket status pending = %s %s %s, %v; want status-pending to a@example.org queued", event, to, status, err)
	}
	err := run(ctx, []string{"ticket", "status", "1", "open"}, io.Discard, io.Discard)
	if err == nil || !strings.Contains(err.Error(), "not allowed") {
		t.Errorf("reopening a merged (closed) ticket = %v, want the lifecycle to refuse", err)
	}
	for _, args := range [][]string{{"ticket", "status", "1", "bogus"}, {"ticket", "status", "1"}, {"ticket", "merge", "1"}, {"ticket", "merge", "1", "x"}} {
		var u usageError
		if err := run(ctx, args, io.Discard, io.Discard); !errors.As(err, &u) {
			t.Errorf("deskgate %s = %v, want a usage error", strings.Join(args, " "), err)
		}
	}
}

// writeConfig writes a minimal deskgate.yaml and points $DESKGATE_CONFIG at it.
func writeConfig(t *testing.T) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "deskgate.yaml")
	err := os.WriteFile(path, []byte(`desk: {name: Test Desk, address: help@desk.example}
smtp: {host: 127.0.0.1, tls: plain}
mailboxes: [{name: support, host: 127.0.0.1, tls: plain, username: help@desk.example, password: pw}]
`), 0o600)
	if err != nil {
		t.Fatal(err)
	}
	t.Setenv("DESKGATE_CONFIG", path)
	return path
}

func TestTemplatesCheckAndPreview(t *testing.T) {
	writeConfig(t)
	var out bytes.Buffer
	if err := run(context.Background(), []string{"templates", "check"}, &out, io.Discard); err != nil || !strings.Contains(out.String(), "templates OK") {
		t.Fatalf("templates check = %v, output %q", err, out.String())
	}
	out.Reset()
	if err := run(context.Background(), []string{"templates", "preview", "status-resolved", "-lang", "da"}, &out, io.Discard); err != nil {
		t.Fatalf("templates preview = %v", err)
	}
	msg, err := mail.ReadMessage(&out)
	if err != nil {
		t.Fatalf("templates preview printed no message: %v", err)
	}
	for h, want := range map[string]string{"From": `"Test Desk" <help@desk.example>`, "Auto-Submitted": "auto-replied",
		"X-Auto-Response-Suppress": "All", "Content-Language": "da"} {
		if got := msg.Header.Get(h); got != want {
			t.Errorf("preview %s: %q, want %q", h, got, want)
		}
	}
	if !strings.HasPrefix(msg.Header.Get("Content-Type"), "multipart/alternative") {
		t.Errorf("preview Content-Type = %q, want multipart/alternative", msg.Header.Get("Content-Type"))
	}
	var u usageError
	for _, args := range [][]string{{"templates"}, {"templates", "preview"}, {"templates", "preview", "ticket-received", "-lang", "fr"}} {
		if err := run(context.Background(), args, io.Discard, io.Discard); !errors.As(err, &u) {
			t.Errorf("deskgate %s = %v, want a usage error", strings.Join(args, " "), err)
		}
	}
	if err := run(context.Background(), []string{"templates", "preview", "no-such-event"}, io.Discard, io.Discard); err == nil {
		t.Errorf("templates preview of an unknown event succeeded")
	}
}

func TestConfigCheckCompilesRulesAndCalendars(t *testing.T) {
	t.Setenv("IMAP_PASSWORD", "x")
	t.Setenv("M365_CLIENT_SECRET", "y")
	t.Setenv("SMTP_PASSWORD", "z")
	t.Setenv("DESKGATE_SECRET_1", strings.Repeat("ab", 32))
	t.Setenv("CRM_WEBHOOK_SECRET", "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw")
	var out bytes.Buffer
	if err := run(context.Background(), []string{"config", "check", "-config", "../../deskgate.example.yaml"}, &out, io.Discard); err != nil {
		t.Fatalf("config check of the example = %v", err)
	}
	if !strings.Contains(out.String(), "6 rule(s)") {
		t.Errorf("config check said %q, want the example's 6 rules", out.String())
	}
	path := filepath.Join(t.TempDir(), "bad.yaml")
	bad := `desk: {name: D, address: help@desk.example}
smtp: {host: 127.0.0.1, tls: plain}
mailboxes: [{name: s, host: 127.0.0.1, tls: plain, username: u, password: p}]
rules:
  - name: typo
    when: 'frm.domain == "x"'
    then: {urgency: High}
`
	if err := os.WriteFile(path, []byte(bad), 0o600); err != nil {
		t.Fatal(err)
	}
	err := run(context.Background(), []string{"config", "check", "-config", path}, io.Discard, io.Discard)
	if err == nil || !strings.Contains(err.Error(), `"typo"`) || !strings.Contains(err.Error(), "frm") {
		t.Errorf("config check with an unknown name in a condition = %v, want an error naming the rule and frm", err)
	}
}

func TestRulesTest(t *testing.T) {
	pool := useDatabase(t)
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "deskgate.yaml")
	if err := os.WriteFile(path, []byte(`desk: {name: Test Desk, address: help@desk.example}
smtp: {host: 127.0.0.1, tls: plain}
mailboxes: [{name: support, host: 127.0.0.1, tls: plain, username: help@desk.example, password: pw}]
categories: [{name: Hardware}]
rules:
  - name: printers
    when: 'subject matches "(?i)printer"'
    then: {category: Hardware, urgency: High}
  - name: never
    when: 'from.domain == "nowhere.example"'
    then: {add_tags: [x]}
`), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv("DESKGATE_CONFIG", path)
	var out bytes.Buffer
	if err := run(ctx, []string{"rules", "test", "-message", "../../internal/demo/mail/01-outlook-en.eml"}, &out, io.Discard); err != nil {
		t.Fatalf("rules test -message = %v", err)
	}
	for _, want := range []string{"✓ printers: category=Hardware", "· never: not matched", `category "Hardware", impact Low, urgency High, priority Normal`, "resolution clock: due "} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("rules test output lacks %q:\n%s", want, out.String())
		}
	}
	// Replay: the same message was ticketed before the rule existed.
	raw, err := os.ReadFile("../../internal/demo/mail/01-outlook-en.eml")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := pool.Exec(ctx, `INSERT INTO mailboxes (name) VALUES ('support');
		INSERT INTO tickets (subject, requester_addr, received_at, impact, urgency, priority) VALUES ('Printer', 'alice@northwind.example', now(), 'Low', 'Normal', 'Medium')`); err != nil {
		t.Fatal(err)
	}
	if _, err := pool.Exec(ctx, `INSERT INTO inbound (mailbox, uidvalidity, uid, sha256, size, raw, status, subject, ticket_id)
		VALUES ('support', 1, 1, sha256($1), length($1), $1, 'ticketed', 'Printer', 1)`, raw); err != nil {
		t.Fatal(err)
	}
	if _, err := pool.Exec(ctx, `INSERT INTO events (ticket_id, inbound_id, actor, kind, detail) VALUES (1, 1, 'deskgate', 'priority.set',
		'{"priority": "Medium", "impact": "Low", "urgency": "Normal", "category": "", "team": "", "sla_policy": "standard"}')`); err != nil {
		t.Fatal(err)
	}
	// Later changes to the ticket are not what the rules decided.
	if _, err := pool.Exec(ctx, `UPDATE tickets SET priority = 'High', team = 'escalated' WHERE id = 1`); err != nil {
		t.Fatal(err)
	}
	out.Reset()
	if err := run(ctx, []string{"rules", "test", "-replay", "10"}, &out, io.Discard); err != nil {
		t.Fatalf("rules test -replay = %v", err)
	}
	if !strings.Contains(out.String(), `category: "" → "Hardware"`) || !strings.Contains(out.String(), `priority: "Medium" → "Normal"`) ||
		strings.Contains(out.String(), "team") ||
		!strings.Contains(out.String(), "1 of 1 messages would be treated differently") {
		t.Errorf("rules test -replay output:\n%s\nwant the category and priority changes", out.String())
	}
	var tickets int
	if err := pool.QueryRow(ctx, `SELECT count(*) FROM tickets`).Scan(&tickets); err != nil || tickets != 1 {
		t.Errorf("tickets after rules test = %d, %v; want 1 (it writes nothing)", tickets, err)
	}
	var u usageError
	for _, args := range [][]string{{"rules"}, {"rules", "test"}, {"rules", "test", "-message", "x", "-replay", "1"}} {
		if err := run(ctx, args, io.Discard, io.Discard); !errors.As(err, &u) {
			t.Errorf("deskgate %s = %v, want a usage error", strings.Join(args, " "), err)
		}
	}
}

func TestTicketAccept(t *testing.T) {
	pool := useDatabase(t)
	ctx := context.Background()
	if _, err := pool.Exec(ctx, `INSERT INTO tickets (subject, requester_addr, received_at) VALUES ('one', 'a@example.org', now());
		INSERT INTO messages (ticket_id, direction, from_addr, held, visibility, text_body, search)
		VALUES (1, 'in', 'Mallory@Evil.example', true, 'internal', 'let me in', '')`); err != nil {
		t.Fatal(err)
	}
	writeConfig(t)
	var out bytes.Buffer
	if err := run(ctx, []string{"ticket", "show", "1"}, &out, io.Discard); err != nil || !strings.Contains(out.String(), "HELD") {
		t.Errorf("ticket show = %v, %q; want the held message marked", err, out.String())
	}
	out.Reset()
	if err := run(ctx, []string{"ticket", "accept", "1"}, &out, io.Discard); err != nil || out.String() != "ticket #1: mallory@evil.example now take part\n" {
		t.Fatalf("ticket accept 1 = %v, %q", err, out.String())
	}
	var held bool
	var role string
	if err := pool.QueryRow(ctx, `SELECT m.held, p.role FROM messages m, participants p WHERE p.ticket_id = 1 AND p.address = 'mallory@evil.example'`).Scan(&held, &role); err != nil || held || role != "cc" {
		t.Errorf("after accept: held %v, role %q (%v); want released and in cc", held, role, err)
	}
	if err := run(ctx, []string{"ticket", "accept", "1"}, io.Discard, io.Discard); err == nil || !strings.Contains(err.Error(), "no held mail") {
		t.Errorf("ticket accept with nothing held = %v, want it refused", err)
	}
}

// TestWorldReadableConfigWarns: config check and serve warn of a file
// anyone may read that writes out a secret, and accept it.
func TestWorldReadableConfigWarns(t *testing.T) {
	t.Setenv("DESKGATE_DATABASE_URL", "")
	path := filepath.Join(t.TempDir(), "deskgate.yaml")
	if err := os.WriteFile(path, []byte(`desk: {name: D, address: help@desk.example}
smtp: {host: 127.0.0.1, tls: plain, username: desk, password: hunter2}
mailboxes: [{name: s, host: 127.0.0.1, tls: plain, username: u, password: "${IMAP_PASSWORD}"}]
`), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv("IMAP_PASSWORD", "pw")
	want := "is readable by every user of this machine (mode 0644) and writes out secrets: smtp.password (line 2)"
	for _, mode := range []os.FileMode{0o600, 0o644} {
		if err := os.Chmod(path, mode); err != nil {
			t.Fatal(err)
		}
		var out, errs bytes.Buffer
		if err := run(context.Background(), []string{"config", "check", "-config", path}, &out, io.Discard); err != nil {
			t.Fatalf("config check (mode %04o) = %v, want it accepted", mode, err)
		}
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		_ = run(ctx, []string{"serve", "-config", path}, io.Discard, &errs)
		if warned := strings.Contains(out.String(), "warning: "+path+" "+want); warned != (mode == 0o644) {
			t.Errorf("config check (mode %04o) said:\n%s\nwant a warning %t", mode, out.String(), mode == 0o644)
		}
		if warned := strings.Contains(errs.String(), "level=WARN") && strings.Contains(errs.String(), want); warned != (mode == 0o644) {
			t.Errorf("serve (mode %04o) logged:\n%s\nwant a warning %t", mode, errs.String(), mode == 0o644)
		}
	}
}

// TestTicketChangesNeedNoMailSecrets: a command that changes a ticket
// reads the configuration but connects to no mailbox or SMTP server, so
// their secrets may be unset; the desk's signing secret may not. A report
// needs no secret at all.
func TestTicketChangesNeedNoMailSecrets(t *testing.T) {
	pool := useDatabase(t)
	ctx := context.Background()
	if _, err := pool.Exec(ctx, `INSERT INTO tickets (subject, requester_addr, received_at) VALUES ('one', 'a@example.org', now())`); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "deskgate.yaml")
	if err := os.WriteFile(path, []byte(`desk: {name: Test Desk, address: help@desk.example, secrets: [{id: 1, secret: "${TEST_DESK_SECRET}"}]}
smtp: {host: 127.0.0.1, tls: plain, username: help@desk.example, password: "${TEST_UNSET_SMTP_PASSWORD}"}
mailboxes: [{name: support, host: 127.0.0.1, tls: plain, username: help@desk.example, password: "${TEST_UNSET_IMAP_PASSWORD}"}]
`), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv("DESKGATE_CONFIG", path)
	err := run(ctx, []string{"ticket", "status", "1", "open"}, io.Discard, io.Discard)
	if err == nil || !strings.Contains(err.Error(), "desk.secrets[0]") {
		t.Errorf("ticket status without the desk's secret = %v, want an error naming desk.secrets[0]", err)
	}
	if err := run(ctx, []string{"report", "volume"}, io.Discard, io.Discard); err != nil {
		t.Errorf("report volume with no secret set = %v, want it done: a report signs nothing", err)
	}
	t.Setenv("TEST_DESK_SECRET", demoSecret)
	if err := run(ctx, []string{"ticket", "status", "1", "open"}, io.Discard, io.Discard); err != nil {
		t.Errorf("ticket status with the mailbox and SMTP passwords unset = %v, want it done", err)
	}
	if err := run(ctx, []string{"config", "check"}, io.Discard, io.Discard); err == nil {
		t.Error("config check with unset variables passed; serve needs them, so it must not")
	}
}
