package dbtest

import (
	"context"
	"errors"
	"os"
	"testing"

	"github.com/deskgate/deskgate/migrations"
)

func TestMain(m *testing.M) { os.Exit(Main(m)) }

func TestFreshDatabaseIsMigrated(t *testing.T) {
	t.Parallel()
	pool := Pool(t)
	var n int
	if err := pool.QueryRow(context.Background(), `SELECT count(*) FROM tickets`).Scan(&n); err != nil {
		t.Fatalf("query tickets: %v", err)
	}
	if n != 0 {
		t.Fatalf("tickets in a fresh database = %d, want 0", n)
	}
}

func TestMigrateRefusesNewerSchema(t *testing.T) {
	t.Parallel()
	pool := Pool(t)
	ctx := context.Background()
	if _, err := pool.Exec(ctx, `INSERT INTO goose_db_version (version_id, is_applied) VALUES (999999, true)`); err != nil {
		t.Fatal(err)
	}
	_, err := migrations.Up(ctx, pool, nil)
	if err == nil || !errors.Is(err, migrations.ErrSchemaTooNew) {
		t.Fatalf("migrations.Up on a newer schema = %v, want ErrSchemaTooNew", err)
	}
}

func TestConcurrentMigrateIsSafe(t *testing.T) {
	t.Parallel()
	pool := Pool(t)
	ctx := context.Background()
	errs := make(chan error, 4)
	for range 4 {
		go func() { _, err := migrations.Up(ctx, pool, nil); errs <- err }()
	}
	for range 4 {
		if err := <-errs; err != nil {
			t.Fatalf("concurrent migrations.Up: %v", err)
		}
	}
}
