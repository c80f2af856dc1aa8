package main

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/deskgate/deskgate/ticketing/report"
)

// TestReportCommands: deskgate report reads its days in the default SLA
// calendar's time zone (a ticket opened at 00:30 in Stockholm, 23:30 UTC
// the day before, counts on the Stockholm day), prints the API's body with
// -json, CSV with -csv and a table otherwise, and takes mistakes as usage
// errors.
func TestReportCommands(t *testing.T) {
	pool := useDatabase(t)
	ctx := context.Background()
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
	if _, err := pool.Exec(ctx, `INSERT INTO tickets (subject, requester_addr, received_at, created_at, team) VALUES
		('late', 'a@example.org', '2026-01-08 23:30Z', '2026-01-08 23:30Z', 'support'),
		('day before', 'b@example.org', '2026-01-08 12:00Z', '2026-01-08 12:00Z', 'sales')`); err != nil {
		t.Fatal(err)
	}

	var out bytes.Buffer
	if err := run(ctx, []string{"report", "volume", "-from", "2026-01-09", "-to", "2026-01-09", "-json"}, &out, io.Discard); err != nil {
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

	for _, args := range [][]string{
		{"report"},
		{"report", "weather"},
		{"report", "sla", "-from", "yesterday"},
		{"report", "sla", "-from", "2026-01-09", "-to", "2026-01-01"},
		{"report", "sla", "-by", "colour"},
		{"report", "sla", "-json", "-csv"},
		{"report", "volume", "-by", "team"},
		{"report", "backlog", "-at-risk", "0"},
	} {
		err := run(ctx, args, io.Discard, io.Discard)
		var u usageError
		if !errors.As(err, &u) {
			t.Errorf("deskgate %s = %v, want a usage error (exit status 2)", strings.Join(args, " "), err)
		}
	}
}
