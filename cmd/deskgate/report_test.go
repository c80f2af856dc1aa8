package main

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/deskgate/deskgate/api"
	"github.com/deskgate/deskgate/ticketing/report"
)

// reportConfig writes a configuration whose one calendar, the default, is
// an office's (Monday to Friday 08:00-17:00) in Stockholm, and makes it
// the commands' (DESKGATE_CONFIG).
func reportConfig(t *testing.T) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "deskgate.yaml")
	err := os.WriteFile(path, []byte(`desk: {name: Test Desk, address: help@desk.example}
smtp: {host: 127.0.0.1, tls: plain}
mailboxes: [{name: support, host: 127.0.0.1, tls: plain, username: help@desk.example, password: pw}]
calendars: [{name: sthlm, time_zone: Europe/Stockholm}]
`), 0o600)
	if err != nil {
		t.Fatal(err)
	}
	t.Setenv("DESKGATE_CONFIG", path)
	return path
}

// TestReportCommands: deskgate report reads its days in the default SLA
// calendar's time zone (a ticket opened at 00:30 in Stockholm, 23:30 UTC
// the day before, counts on the Stockholm day), prints the API's body with
// -json, CSV with -csv and a table otherwise, and takes mistakes as usage
// errors.
func TestReportCommands(t *testing.T) {
	pool := useDatabase(t)
	ctx := context.Background()
	reportConfig(t)
	if _, err := pool.Exec(ctx, `INSERT INTO tickets (subject, requester_addr, received_at, created_at, team) VALUES
		('late', 'a@example.org', '2026-01-08 23:30Z', '2026-01-08 23:30Z', 'support'),
		('day before', 'b@example.org', '2026-01-08 12:00Z', '2026-01-08 12:00Z', 'sales')`); err != nil {
		t.Fatal(err)
	}

	var out bytes.Buffer
	err := run(ctx, []string{"report", "volume", "-from", "2026-01-09", "-to", "2026-01-09", "-json"}, &out, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	var v report.Volume
	if err := json.Unmarshal(out.Bytes(), &v); err != nil {
		t.Fatalf("report volume -json printed %q: %v", out.String(), err)
	}
	if len(v.Days) != 1 || v.Days[0].Date != "2026-01-09" || v.Days[0].Opened != 1 {
		t.Errorf("report volume -from 2026-01-09 -to 2026-01-09 -json = %s, want one day with one ticket opened", out.String())
	}

	out.Reset()
	if err := run(ctx, []string{"report", "sla", "-from", "2026-01-08", "-to", "2026-01-09", "-by", "team", "-csv"}, &out, io.Discard); err != nil {
		t.Fatal(err)
	}
	rows, err := csv.NewReader(&out).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 4 || rows[0][0] != "GROUP" || rows[1][0] != "sales" || rows[2][0] != "support" || rows[3][0] != "TOTAL" || rows[3][1] != "2" {
		t.Errorf("report sla -by team -csv = %q, want a header, sales, support and a total of 2 tickets", rows)
	}

	for _, args := range [][]string{{"backlog"}, {"agents", "-from", "2026-01-01", "-to", "2026-01-31"}} {
		out.Reset()
		if err := run(ctx, append([]string{"report"}, args...), &out, io.Discard); err != nil {
			t.Fatalf("report %s = %v", strings.Join(args, " "), err)
		}
		if !strings.Contains(out.String(), "TOTAL") && !strings.Contains(out.String(), "AGENT") {
			t.Errorf("report %s printed %q, want a table", strings.Join(args, " "), out.String())
		}
	}

	for _, c := range []struct {
		args []string
		want string // what the message says, for the query's mistakes
	}{
		{[]string{"report"}, ""},
		{[]string{"report", "weather"}, ""},
		{[]string{"report", "sla", "-from", "yesterday"}, `-from "yesterday" is not a date YYYY-MM-DD`},
		{[]string{"report", "sla", "-from", "2026-01-09", "-to", "2026-01-01"}, "-to 2026-01-01 is before from 2026-01-09"},
		{[]string{"report", "sla", "-by", "colour"}, `-by "colour" is not one of team, queue`},
		{[]string{"report", "sla", "-json", "-csv"}, ""},
		{[]string{"report", "volume", "-by", "team"}, ""},
		{[]string{"report", "backlog", "-at-risk", "0"}, "-at-risk 0 business hours: want more than 0"},
	} {
		err := run(ctx, c.args, io.Discard, io.Discard)
		var u usageError
		if !errors.As(err, &u) || !strings.Contains(err.Error(), c.want) {
			t.Errorf("deskgate %s = %v, want a usage error (exit status 2) saying %q", strings.Join(c.args, " "), err, c.want)
		}
	}
}

// TestReportJSONIsAPIBody: deskgate report X -json prints exactly the body
// the API answers for the same query, on the same database at the same
// instant, with the API given the reports' desk as serve gives it (here the
// Stockholm office calendar, whose time zone decides where a day begins and
// whose hours the backlog's ages count), the defaults included.
func TestReportJSONIsAPIBody(t *testing.T) {
	pool := useDatabase(t)
	ctx := context.Background()
	path := reportConfig(t)
	for _, sql := range []string{
		`INSERT INTO tickets (id, subject, requester_addr, status, received_at, created_at, team, priority) VALUES
			(1, 'late', 'a@example.org', 'new', '2026-01-08 23:30Z', '2026-01-08 23:30Z', 'support', 'High'),
			(2, 'vpn', 'b@example.org', 'open', '2026-01-07 09:00Z', '2026-01-07 09:00Z', 'network', 'Normal'),
			(3, 'printer', 'c@example.org', 'resolved', '2026-01-05 15:00Z', '2026-01-05 15:00Z', 'support', 'Low')`,
		`INSERT INTO sla_clocks (ticket_id, kind, calendar, target, started, elapsed, running, stopped, deadline, breached_at) VALUES
			(2, 'response', 'sthlm', 7200, '2026-01-07 09:00Z', 10800, false, '2026-01-07 12:00Z', NULL, '2026-01-07 11:00Z'),
			(2, 'resolution', 'sthlm', 28800, '2026-01-07 09:00Z', 3600, true, NULL, '2026-01-09 15:00Z', NULL),
			(3, 'response', 'sthlm', 28800, '2026-01-05 15:00Z', 5400, false, '2026-01-06 08:30Z', NULL, NULL)`,
		`INSERT INTO messages (ticket_id, direction, from_addr, created_at, agent, visibility, search) VALUES
			(2, 'in', 'cy@desk.example', '2026-01-07 12:00Z', 'cy@desk.example', 'public', ''),
			(3, 'in', 'ada@desk.example', '2026-01-06 08:30Z', 'ada@desk.example', 'public', '')`,
		`INSERT INTO events (ticket_id, at, actor, kind, detail) VALUES
			(3, '2026-01-06 09:00Z', 'ada@desk.example', 'status.changed', '{"from": "open", "to": "resolved"}')`,
	} {
		if _, err := pool.Exec(ctx, sql); err != nil {
			t.Fatal(err)
		}
	}
	cfg, err := loadConfig(path)
	if err != nil {
		t.Fatal(err)
	}
	var live running
	if err := live.use(cfg, nil); err != nil { // the reports need no ticketing.Desk
		t.Fatal(err)
	}
	o := live.apiOptions(pool, slog.New(slog.DiscardHandler))
	now := time.Date(2026, 1, 9, 13, 0, 0, 0, time.UTC)
	clock := func() time.Time { return now }
	o.Now = clock
	h, err := api.New(o)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(h)
	defer srv.Close()
	_, tok, err := api.CreateToken(ctx, pool, "ada@desk.example", api.ScopeRead, 0)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct{ args, path string }{
		{"sla -from 2026-01-05 -to 2026-01-11 -by team", "/sla?from=2026-01-05&to=2026-01-11&by=team"},
		{"sla", "/sla"},
		{"volume -from 2026-01-05 -to 2026-01-11", "/volume?from=2026-01-05&to=2026-01-11"},
		{"volume -to 2026-01-08", "/volume?to=2026-01-08"},
		{"backlog -by priority -at-risk 2.5", "/backlog?by=priority&at_risk=2.5"},
		{"backlog", "/backlog"},
		{"agents -from 2026-01-05 -to 2026-01-11", "/agents?from=2026-01-05&to=2026-01-11"},
		{"agents", "/agents"},
	} {
		var cli bytes.Buffer
		if err := reportCmd(ctx, append(strings.Fields(c.args), "-json"), &cli, clock); err != nil {
			t.Fatalf("report %s -json = %v", c.args, err)
		}
		req, err := http.NewRequest("GET", srv.URL+api.Prefix+"/reports"+c.path, nil)
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Authorization", "Bearer "+tok)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		body, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		if err != nil {
			t.Fatal(err)
		}
		if resp.StatusCode != http.StatusOK || !bytes.Equal(cli.Bytes(), body) {
			t.Errorf("report %s -json printed\n%s\nGET %s answered %d\n%s\nwant the same bytes", c.args, cli.Bytes(),
				api.Prefix+"/reports"+c.path, resp.StatusCode, body)
		}
	}
}
