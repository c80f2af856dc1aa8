package mailin

import (
	"cmp"
	"context"
	"crypto/sha256"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
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
	reason       string // why a truncated message is only a stub; stored in inbound.reason
	// handling is how the message is handled, and handlingReason which
	// rule decided it and why (Syncer.decide).
	handling       Handling
	handlingReason string
}

// advanceCursorSQL moves the cursor, fenced by the lease: it updates no row
// unless we still hold an unexpired lease. It runs first in the capture
// transaction, so it also locks the mailbox row until commit.
const advanceCursorSQL = `
UPDATE mailboxes
   SET uidvalidity = $2, last_uid = $3, synced_at = now()
 WHERE name = $1 AND lease_owner = $4 AND lease_until > now()`

// capturedSQL finds which of a batch are already recorded: by (uidvalidity,
// uid), or by SHA-256 from this mailbox before (a rescan after a
// UIDVALIDITY change). Each of the batch is looked up on its own, through
// the unique key and inbound_mailbox_sha256, in a plan made for the batch
// (an unnamed statement): filtered as one set, with statistics from before
// a backlog, the lookups read the whole mailbox for each batch; a generic
// plan, made once while the table was small, could read it once per
// message (TestCapturedCheckReadsOnlyTheBatch).
const capturedSQL = `
SELECT uid, sum FROM (
    SELECT u.uid, (SELECT sha256 FROM inbound WHERE mailbox = $1 AND uidvalidity = $2 AND uid = u.uid) AS sum
    FROM unnest($3::bigint[]) AS u (uid)
) AS known WHERE sum IS NOT NULL
UNION ALL
SELECT -1, sum FROM unnest($4::bytea[]) AS s (sum)
WHERE (SELECT true FROM inbound WHERE mailbox = $1 AND sha256 = s.sum LIMIT 1)`

var inboundColumns = []string{"mailbox", "uidvalidity", "uid", "sha256", "size", "internal_date", "raw", "truncated", "reason",
	"handling", "handling_reason"}

// capture records msgs and moves the cursor of mailbox to (uidValidity,
// lastUID) in one transaction, fenced by owner's lease. It returns how many
// messages were new, or errLeaseLost. beforeCommit, if not nil, runs inside
// the transaction; an error from it rolls the transaction back (tests use it
// to simulate a crash). What it recorded is put in h for this process's
// processor.
func capture(ctx context.Context, pool *pgxpool.Pool, h *Handoff, mailbox, owner string, uidValidity, lastUID uint32,
	msgs []fetchedMessage, beforeCommit func() error) (int, error) {
	n := len(msgs)
	sums := make([][sha256.Size]byte, n)
	for i, m := range msgs {
		sums[i] = sha256.Sum256(m.raw)
	}
	tx, err := pool.Begin(ctx)
	if err != nil {
		return 0, dbErr(fmt.Errorf("mailin: capture into %q: %w", mailbox, err))
	}
	defer tx.Rollback(context.WithoutCancel(ctx))
	tag, err := tx.Exec(ctx, advanceCursorSQL, mailbox, int64(uidValidity), int64(lastUID), owner)
	if err != nil {
		return 0, dbErr(fmt.Errorf("mailin: advance cursor of %q: %w", mailbox, err))
	}
	if tag.RowsAffected() == 0 {
		return 0, errLeaseLost
	}
	// The cursor update locked the mailbox row, so no other capture of this
	// mailbox can record anything between this check and the COPY; the
	// unique (mailbox, uidvalidity, uid) constraint remains the backstop.
	rows, err := filterCaptured(ctx, tx, mailbox, uidValidity, msgs, sums)
	if err != nil {
		return 0, dbErr(err)
	}
	if len(rows) > 0 {
		if _, err := tx.CopyFrom(ctx, pgx.Identifier{"inbound"}, inboundColumns, pgx.CopyFromRows(rows)); err != nil {
			return 0, dbErr(fmt.Errorf("mailin: capture %d messages into %q: %w", len(rows), mailbox, err))
		}
	}
	inserted := len(rows)
	if beforeCommit != nil {
		if err := beforeCommit(); err != nil {
			return 0, dbErr(err) // stands for a failure of the transaction
		}
	}
	if err := tx.Commit(ctx); err != nil {
		return 0, dbErr(fmt.Errorf("mailin: commit capture into %q: %w", mailbox, err))
	}
	for _, r := range rows {
		h.put(mailbox, r[1].(int64), r[2].(int64), r[6].([]byte))
	}
	return inserted, nil
}

// filterCaptured returns the rows to record: msgs less those already
// captured and byte-identical copies earlier in the batch, in UID order.
// A stub with no bytes at all (the server returned not even its header) is
// recognised by its UID only: every such stub has the same SHA-256, and
// telling them apart matters more than recognising one after a UIDVALIDITY
// change.
func filterCaptured(ctx context.Context, tx pgx.Tx, mailbox string, uidValidity uint32,
	msgs []fetchedMessage, sums [][sha256.Size]byte) ([][]any, error) {
	uids := make([]int64, len(msgs))
	hashes := make([][]byte, 0, len(msgs))
	for i := range msgs {
		uids[i] = int64(msgs[i].uid)
		if len(msgs[i].raw) > 0 {
			hashes = append(hashes, sums[i][:])
		}
	}
	known, err := tx.Query(ctx, capturedSQL, pgx.QueryExecModeDescribeExec, mailbox, int64(uidValidity), uids, hashes)
	if err != nil {
		return nil, fmt.Errorf("mailin: checking %q for captured mail: %w", mailbox, err)
	}
	seenUID := map[int64]bool{}
	seenSum := map[[sha256.Size]byte]bool{}
	var uid int64
	var sum []byte
	_, err = pgx.ForEachRow(known, []any{&uid, &sum}, func() error {
		if uid >= 0 {
			seenUID[uid] = true
		} else {
			seenSum[[sha256.Size]byte(sum)] = true
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("mailin: checking %q for captured mail: %w", mailbox, err)
	}
	rows := make([][]any, 0, len(msgs))
	for i, m := range msgs {
		empty := len(m.raw) == 0
		if seenUID[int64(m.uid)] || (!empty && seenSum[sums[i]]) {
			continue
		}
		if !empty {
			seenSum[sums[i]] = true // a byte-identical copy later in the batch
		}
		raw := m.raw
		if raw == nil {
			raw = []byte{} // raw is NOT NULL
		}
		date := pgtype.Timestamptz{Time: m.internalDate, Valid: !m.internalDate.IsZero()}
		rows = append(rows, []any{mailbox, int64(uidValidity), int64(m.uid), sums[i][:], m.size, date, raw, m.truncated, m.reason,
			string(cmp.Or(m.handling, HandleNormal)), m.handlingReason})
	}
	return rows, nil
}
