package main

import (
	"os"
	"testing"

	"deskgate/internal/dbtest"
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
