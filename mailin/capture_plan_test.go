package mailin

import (
	"context"
	"crypto/sha256"
	"fmt"
	"testing"

	"github.com/deskgate/deskgate/internal/dbtest"
)

// TestCapturedCheckReadsOnlyTheBatch: checking a batch for mail captured
// before must look up the batch's UIDs and hashes, not read the mailbox.
// A backlog fills inbound faster than autovacuum analyzes it, so the check
// is planned with statistics of a table nearly empty (a fresh desk's first
// import, or BenchmarkIngest): it then read every captured row of the
// mailbox, twice, for each batch, and ingest slowed as it went (15 ms a
// batch at 10,000 messages, 700 ms in all). capture runs it as an unnamed
// statement, planned for each batch as here: a generic plan made once
// while the table was small read the mailbox once per message.
func TestCapturedCheckReadsOnlyTheBatch(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	pool := dbtest.Pool(t)
	insert := func(from, to int) {
		t.Helper()
		_, err := pool.Exec(ctx, `
INSERT INTO inbound (mailbox, uidvalidity, uid, sha256, size, raw)
SELECT 'desk', 7, i, sha256(i::text::bytea), 10, '\x00' FROM generate_series($1::int, $2::int) AS i`, from, to)
		if err != nil {
			t.Fatal(err)
		}
	}
	if err := ensureMailbox(ctx, pool, "desk"); err != nil {
		t.Fatal(err)
	}
	insert(1, 20)
	if _, err := pool.Exec(ctx, `ANALYZE inbound`); err != nil {
		t.Fatal(err)
	}
	insert(21, 3000)
	// A batch of 200 new messages, and one seen before under another
	// UIDVALIDITY (found by its hash).
	uids, sums := []int64{}, [][]byte{}
	for i := 5001; i <= 5200; i++ {
		sum := sha256.Sum256(fmt.Appendf(nil, "%d", i))
		uids, sums = append(uids, int64(i)), append(sums, sum[:])
	}
	old := sha256.Sum256([]byte("7"))
	sums = append(sums, old[:])
	conn, err := pool.Acquire(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Release()
	if r := dbtest.QueryReads(t, conn.Conn(), "inbound", capturedSQL, "desk", int64(7), uids, sums); r.Rows > 10 {
		t.Errorf("checking 201 messages against 3,000 captured read %d inbound rows or index entries; want only matches", r.Rows)
	}
}
