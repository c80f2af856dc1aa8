package migrations_test

import (
	"context"
	"testing"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/deskgate/deskgate/internal/dbtest"
	"github.com/deskgate/deskgate/migrations"
)

// TestDigestRecords: after migration 00029 a digest day may be recorded
// without an outbox row, and replies to digests are recorded; its Down
// section removes such days, makes the outbox row required again and
// drops digest_replies.
func TestDigestRecords(t *testing.T) {
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
	if _, err := pool.Exec(ctx, `INSERT INTO digest_replies (message_id, fingerprint) VALUES ('r1@desk.example', '\x01')`); err != nil {
		t.Fatalf("recording a reply to a digest after 00029: %v", err)
	}
	if err := migrations.DownTo(ctx, pool, 27); err != nil {
		t.Fatalf("00029 down: %v", err)
	}
	var days, replies int
	var nullable string
	if err := pool.QueryRow(ctx, `SELECT (SELECT count(*) FROM digests),
		(SELECT is_nullable FROM information_schema.columns WHERE table_name = 'digests' AND column_name = 'outbox_id'),
		(SELECT count(*) FROM pg_class WHERE relname = 'digest_replies')`).Scan(&days, &nullable, &replies); err != nil ||
		days != 0 || nullable != "NO" || replies != 0 {
		t.Errorf("after 00029 down: %d digest days, outbox_id nullable %q, digest_replies tables %d (%v); want 0, NO, 0", days, nullable, replies, err)
	}
	if _, err := migrations.Up(ctx, pool, nil); err != nil {
		t.Fatalf("00029 up again: %v", err)
	}
}
