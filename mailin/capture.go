package mailin

import (
	"context"
	"crypto/sha256"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5/pgtype"
	"github.com/jackc/pgx/v5/pgxpool"
)

// fetchedMessage is one message as fetched from the server, ready to be
// captured.
type fetchedMessage struct {
	uid          uint32
	raw          []byte // the whole message, or only its header when truncated
	size         int64  // the real size (RFC822.SIZE for a truncated message)
	internalDate time.Time
	truncated    bool
}

// advanceCursorSQL moves the cursor, fenced by the lease: it updates no row
// unless we still hold an unexpired lease. It runs first in the capture
// transaction, so it also locks the mailbox row until commit.
const advanceCursorSQL = `
UPDATE mailboxes
   SET uidvalidity = $2, last_uid = $3, synced_at = now()
 WHERE name = $1 AND lease_owner = $4 AND lease_until > now()`

// insertInboundSQL records a batch in one statement. A message is skipped if
// its (uidvalidity, uid) is already recorded, or if a message with the same
// SHA-256 was captured from this mailbox before (a rescan after a
// UIDVALIDITY change); capture drops duplicates within the batch itself.
// The arrays come in UID order and a function scan keeps it, so inbound.id
// follows arrival order; there is deliberately no ORDER BY, which would sort
// the raw bytes (and spill them to disk beyond work_mem).
const insertInboundSQL = `
INSERT INTO inbound (mailbox, uidvalidity, uid, sha256, size, internal_date, raw, truncated)
SELECT $1, $2, m.uid, m.sha256, m.size, m.internal_date, m.raw, m.truncated
  FROM unnest($3::bigint[], $4::bytea[], $5::bigint[], $6::timestamptz[], $7::bytea[], $8::boolean[])
       AS m (uid, sha256, size, internal_date, raw, truncated)
 WHERE NOT EXISTS (SELECT 1 FROM inbound i WHERE i.mailbox = $1 AND i.sha256 = m.sha256)
ON CONFLICT (mailbox, uidvalidity, uid) DO NOTHING`

// capture records msgs and moves the cursor of mailbox to (uidValidity,
// lastUID) in one transaction, fenced by owner's lease. It returns how many
// messages were new, or errLeaseLost. beforeCommit, if not nil, runs inside
// the transaction; an error from it rolls the transaction back (tests use it
// to simulate a crash).
func capture(ctx context.Context, pool *pgxpool.Pool, mailbox, owner string, uidValidity, lastUID uint32,
	msgs []fetchedMessage, beforeCommit func() error) (int, error) {
	n := len(msgs)
	uids := make([]int64, 0, n)
	sums := make([][]byte, 0, n)
	sizes := make([]int64, 0, n)
	dates := make([]pgtype.Timestamptz, 0, n)
	raws := make([][]byte, 0, n)
	truncs := make([]bool, 0, n)
	seen := make(map[[sha256.Size]byte]bool, n)
	for _, m := range msgs {
		sum := sha256.Sum256(m.raw)
		if seen[sum] {
			continue // a byte-identical copy earlier in the batch
		}
		seen[sum] = true
		uids, sums, sizes = append(uids, int64(m.uid)), append(sums, sum[:]), append(sizes, m.size)
		raws, truncs = append(raws, m.raw), append(truncs, m.truncated)
		dates = append(dates, pgtype.Timestamptz{Time: m.internalDate, Valid: !m.internalDate.IsZero()})
	}
	tx, err := pool.Begin(ctx)
	if err != nil {
		return 0, fmt.Errorf("mailin: capture into %q: %w", mailbox, err)
	}
	defer tx.Rollback(context.WithoutCancel(ctx))
	tag, err := tx.Exec(ctx, advanceCursorSQL, mailbox, int64(uidValidity), int64(lastUID), owner)
	if err != nil {
		return 0, fmt.Errorf("mailin: advance cursor of %q: %w", mailbox, err)
	}
	if tag.RowsAffected() == 0 {
		return 0, errLeaseLost
	}
	var inserted int
	if n > 0 {
		tag, err = tx.Exec(ctx, insertInboundSQL, mailbox, int64(uidValidity), uids, sums, sizes, dates, raws, truncs)
		if err != nil {
			return 0, fmt.Errorf("mailin: capture %d messages into %q: %w", n, mailbox, err)
		}
		inserted = int(tag.RowsAffected())
	}
	if beforeCommit != nil {
		if err := beforeCommit(); err != nil {
			return 0, err
		}
	}
	if err := tx.Commit(ctx); err != nil {
		return 0, fmt.Errorf("mailin: commit capture into %q: %w", mailbox, err)
	}
	return inserted, nil
}
