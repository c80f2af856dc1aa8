package ticketing

import (
	"context"
	"crypto/sha256"
	"fmt"
	"testing"

	"github.com/deskgate/deskgate/internal/dbtest"
)

// TestStoringBlobsReadsOnlyTheirRows: putting back content that retention
// removed must not read the stored content to find it. mailin stores each
// batch's files with the planner's statistics of whenever blobs was last
// analyzed, perhaps when nearly empty; among 20,000 stored files, half
// removed, a batch of 50 (half of them new) reads about its own rows.
func TestStoringBlobsReadsOnlyTheirRows(t *testing.T) {
	t.Parallel()
	pool := dbtest.Pool(t)
	ctx := context.Background()
	if _, err := pool.Exec(ctx, `INSERT INTO blobs (sha256, size, data) SELECT sha256(i::text::bytea), 5, 'stale'::bytea FROM generate_series(1, 10) i;
		ANALYZE blobs;
		INSERT INTO blobs (sha256, size, data, removed_at)
		SELECT sha256(i::text::bytea), 5, CASE WHEN i % 2 = 0 THEN ''::bytea ELSE 'alive'::bytea END, CASE WHEN i % 2 = 0 THEN now() END
		FROM generate_series(11, 20000) i`); err != nil {
		t.Fatal(err)
	}
	var hashes, datas [][]byte
	var sizes []int64
	for i := 19976; i < 20026; i++ { // 25 stored (13 removed), 25 new
		sum := sha256.Sum256(fmt.Appendf(nil, "%d", i))
		hashes, sizes, datas = append(hashes, sum[:]), append(sizes, 5), append(datas, []byte("fresh"))
	}
	for _, mode := range []string{"force_custom_plan", "force_generic_plan"} {
		t.Run(mode, func(t *testing.T) {
			tx, err := pool.Begin(ctx)
			if err != nil {
				t.Fatal(err)
			}
			defer tx.Rollback(ctx)
			if _, err := tx.Exec(ctx, KeyLookupsSQL); err != nil { // as mailin's and Receive's transactions run
				t.Fatal(err)
			}
			if _, err := tx.Exec(ctx, "SELECT set_config('plan_cache_mode', $1, true)", mode); err != nil {
				t.Fatal(err)
			}
			name := "store_blobs_" + mode
			if _, err := tx.Exec(ctx, "PREPARE "+name+" AS "+storeBlobsSQL); err != nil {
				t.Fatal(err)
			}
			if r := dbtest.PlanReads(t, tx, "blobs", name, hashes, sizes, datas); r.Rows > 4*len(hashes) {
				t.Errorf("storing %d files read %d blobs rows and index entries, want at most %d", len(hashes), r.Rows, 4*len(hashes))
			}
		})
	}
}
