package main

import (
	"bytes"
	"context"
	"encoding/hex"
	"io"
	"os/exec"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/deskgate/deskgate/internal/pgtemp"
)

// dump is pg_dump's text of the whole database at url, lower-cased.
func dump(t *testing.T, url string) string {
	t.Helper()
	pgDump, err := pgtemp.Tool("pg_dump")
	if err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(pgDump, "--no-owner", "-d", url).Output()
	if err != nil {
		t.Fatalf("pg_dump: %v", err)
	}
	return strings.ToLower(string(out))
}

// TestContactErase runs the demo's mail through serve, with one more
// message copying Åsa Lindström, erases her, and finds neither her address
// nor her name anywhere in a dump of the database: as text, as the hex of
// raw bytes, or encoded in a header. Everyone else's data stays.
func TestContactErase(t *testing.T) {
	pool := useDatabase(t)
	ctx := context.Background()
	cc := "From: Per Berg <per.berg@exempel.example>\r\nTo: help@desk.example\r\n" +
		"Cc: =?utf-8?Q?=C3=85sa_Lindstr=C3=B6m?= <asa.lindstrom@exempel.example>\r\nSubject: The shared drive\r\n" +
		"Message-ID: <drive-1@exempel.example>\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n" +
		"Åsa Lindström and I cannot open the shared drive since Monday.\r\n"
	demoDesk(t, pool, []byte(cc))

	const address, name = "asa.lindstrom@exempel.example", "Åsa Lindström"
	traces := map[string]string{
		"her address":            address,
		"her name":               strings.ToLower(name),
		"her address, as hex":    hex.EncodeToString([]byte(address)),
		"her name, as hex":       hex.EncodeToString([]byte(strings.ToLower(name))),
		"her name, Q-encoded":    "=c3=85sa_lindstr=c3=b6m",
		"her name, hex of Q-enc": hex.EncodeToString([]byte("=C3=85sa_Lindstr=C3=B6m")),
	}
	url := dbURL(t, pool)
	before := dump(t, url)
	for what, s := range map[string]string{"her address": address, "her name": strings.ToLower(name), "her address, as hex": traces["her address, as hex"]} {
		if !strings.Contains(before, s) {
			t.Fatalf("before erasure the dump lacks %s (%s): the test looks in the wrong place", what, s)
		}
	}
	tickets := count(t, pool, `SELECT count(*) FROM tickets`)

	var out bytes.Buffer
	if err := run(ctx, []string{"contact", "erase", "Asa.Lindstrom@exempel.example"}, &out, io.Discard); err != nil {
		t.Fatalf("contact erase = %v", err)
	}
	t.Log(out.String())
	after := dump(t, url)
	for what, s := range traces {
		if i := strings.Index(after, s); i >= 0 {
			t.Errorf("after erasure the dump still holds %s: …%s…", what, after[max(0, i-200):min(len(after), i+100)])
		}
	}
	for _, kept := range []string{"j.weiss@firma-de.example", "per.berg@exempel.example", "cannot open the shared drive"} {
		if !strings.Contains(after, kept) {
			t.Errorf("after erasure the dump lacks %q, which is not hers", kept)
		}
	}
	if n := count(t, pool, `SELECT count(*) FROM tickets`); n != tickets {
		t.Errorf("%d tickets after erasure, want still %d", n, tickets)
	}
	if n := count(t, pool, `SELECT count(*) FROM events WHERE kind = 'contact.erased' AND ticket_id IS NOT NULL`); n != 2 {
		t.Errorf("%d contact.erased events on tickets, want 2 (her VPN ticket and Per's, where she was copied)", n)
	}
}

func count(t *testing.T, pool *pgxpool.Pool, q string) int {
	t.Helper()
	var n int
	if err := pool.QueryRow(context.Background(), q).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

func dbURL(t *testing.T, pool *pgxpool.Pool) string {
	t.Helper()
	c := pool.Config().ConnConfig
	return "postgres://" + c.User + "@" + c.Host + ":" + itoa(int64(c.Port)) + "/" + c.Database + "?sslmode=disable"
}
