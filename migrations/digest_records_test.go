package migrations_test

import (
	"context"
	"testing"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/deskgate/deskgate/internal/dbtest"
	"github.com/deskgate/deskgate/migrations"
)

// TestDigestDaysWithoutMail: after migration 00029 a digest day may be
// recorded without an outbox row; its Down section removes such days and
// makes the outbox row required again.
func TestDigestDaysWithoutMail(t *testing.T) {
	ctx := context.Background()
	pool, err := pgxpool.New(ctx, dbtest.EmptyURL(t))
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()
	if err := migrations.UpTo(ctx, pool, 29); err != nil {
		t.Fatal(err)
	}
	if _, err := pool.Exec(ctx, `INSERT INTO digests (agent, day, outbox_id) VALUES ('ada@desk.example', '2026-12-07', NULL)`); err != nil {
		t.Fatalf("recording a day without mail after 00029: %v", err)
	}
	if err := migrations.DownTo(ctx, pool, 27); err != nil {
		t.Fatalf("00029 down: %v", err)
	}
	var days int
	var nullable string
	if err := pool.QueryRow(ctx, `SELECT (SELECT count(*) FROM digests),
		(SELECT is_nullable FROM information_schema.columns WHERE table_name = 'digests' AND column_name = 'outbox_id')`).Scan(&days, &nullable); err != nil ||
		days != 0 || nullable != "NO" {
		t.Errorf("after 00029 down: %d digest days, outbox_id nullable %q (%v); want 0, NO", days, nullable, err)
	}
	if _, err := migrations.Up(ctx, pool, nil); err != nil {
		t.Fatalf("00029 up again: %v", err)
	}
}
