package main

import (
	"context"
	"os"
	"testing"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/deskgate/deskgate/internal/dbtest"
	"github.com/deskgate/deskgate/internal/smtpmem"
)

// TestMain also lets the benchmark re-run this test binary as a separate
// IMAP server process or as `deskgate serve` (see ingest_bench_test.go).
func TestMain(m *testing.M) {
	switch os.Getenv(benchRoleEnv) {
	case "imap":
		os.Exit(benchIMAPServer())
	case "serve":
		os.Exit(benchServe())
	}
	os.Exit(dbtest.Main(m))
}

// useDatabase points the commands at a fresh, migrated database, as
// DESKGATE_DATABASE_URL does for a user, and returns a pool on it.
func useDatabase(t *testing.T) *pgxpool.Pool {
	t.Helper()
	url := dbtest.URL(t)
	t.Setenv("DESKGATE_DATABASE_URL", url)
	pool, err := pgxpool.New(context.Background(), url)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pool.Close)
	return pool
}

// testSMTP starts an in-process SMTP server for serve's mail, closed when
// the test ends, and returns its address.
func testSMTP(t testing.TB) string {
	t.Helper()
	s, err := smtpmem.Start(smtpmem.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s.Addr()
}
