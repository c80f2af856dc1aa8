package ticketing

import (
	"bytes"
	"context"
	"fmt"
	"maps"
	"slices"

	"github.com/jackc/pgx/v5"
)

// storeBlobsSQL stores contents not stored yet, in the order given, and
// puts back those retention or erasure removed: content is shared by
// SHA-256, so without that a new mail carrying a file once removed (an
// order form, a logo) read it back empty. Only removed rows are updated,
// found by hash, so shared content stored alive is neither written nor
// locked (mailin stores a batch's content while the previous batch is
// applied). One statement for the batch: queued one per blob, pgx copied
// the batch's buffer again each time it grew by a quarter.
const storeBlobsSQL = `
WITH restored AS (
    UPDATE blobs SET data = ($3::bytea[])[r.n], removed_at = NULL
    FROM unnest($1::bytea[]) WITH ORDINALITY AS r (sha256, n)
    WHERE blobs.sha256 = r.sha256 AND blobs.removed_at IS NOT NULL
)
INSERT INTO blobs (sha256, size, data)
SELECT sha256, size, data FROM unnest($1::bytea[], $2::bigint[], $3::bytea[]) WITH ORDINALITY AS b (sha256, size, data, n)
ORDER BY n
ON CONFLICT (sha256) DO NOTHING`

const storeAttachmentSQL = `
INSERT INTO attachments (message_id, sha256, filename, content_type, content_id, inline, size)
VALUES ($1, $2, $3, $4, $5, $6, $7)`

// StoreBlobs stores the content of the attachments of ins in tx, ahead of
// Receive in the same transaction. mailin does it while the previous batch
// is applied, on another connection: Receive applies batches one after
// another, and writing a backlog's attachments there (a quarter of the
// bytes it writes) made every message wait. Receive then stores only the
// attachments' rows, and removes again what it stored no message for.
func StoreBlobs(ctx context.Context, tx pgx.Tx, ins []*Inbound) error {
	blobs := map[[32]byte][]byte{}
	for _, in := range ins {
		sums := in.attachmentSums()
		for j, a := range in.Attachments {
			blobs[sums[j]] = a.Data
		}
	}
	if len(blobs) > 0 {
		b := &pgx.Batch{}
		queueBlobs(b, blobs)
		if err := tx.SendBatch(ctx, b).Close(); err != nil {
			return fmt.Errorf("ticketing: storing attachments: %w", err)
		}
	}
	for _, in := range ins {
		in.derived.blobsStored = true
	}
	return nil
}

// queueBlobs queues the statement that stores blobs, in hash order:
// concurrent batches sharing content (a signature logo) then wait for each
// other instead of deadlocking.
func queueBlobs(b *pgx.Batch, blobs map[[32]byte][]byte) {
	keys := slices.SortedFunc(maps.Keys(blobs), func(x, y [32]byte) int { return bytes.Compare(x[:], y[:]) })
	hashes, sizes, datas := make([][]byte, len(keys)), make([]int64, len(keys)), make([][]byte, len(keys))
	for i, k := range keys {
		hashes[i], sizes[i], datas[i] = k[:], int64(len(blobs[k])), blobs[k]
	}
	b.Queue(storeBlobsSQL, hashes, sizes, datas)
}

// dropUnusedBlobsSQL removes content StoreBlobs stored for mail Receive
// then stored no message for (ignored, a duplicate), unless an attachment
// has it: erasure and retention find content only through attachments.
// Content whose row another transaction has locked, storing an attachment
// of it, is left.
const dropUnusedBlobsSQL = `
DELETE FROM blobs WHERE sha256 IN (
    SELECT b.sha256 FROM blobs b
    WHERE b.sha256 = ANY($1) AND NOT EXISTS (SELECT 1 FROM attachments a WHERE a.sha256 = b.sha256)
    ORDER BY b.sha256 FOR UPDATE SKIP LOCKED)`

// storeAttachments records the attachments of each stored message
// (msgIDs[i] != 0), their content once per SHA-256 unless StoreBlobs
// stored it, and drops what StoreBlobs stored for the others; in one round
// trip.
func storeAttachments(ctx context.Context, tx pgx.Tx, ins []Inbound, sums [][][32]byte, msgIDs []int64) error {
	b := &pgx.Batch{}
	blobs := map[[32]byte][]byte{}
	var unused [][]byte
	for i := range ins {
		for j, a := range ins[i].Attachments {
			switch {
			case msgIDs[i] == 0:
				if ins[i].derived.blobsStored {
					unused = append(unused, sums[i][j][:])
				}
				continue
			case !ins[i].derived.blobsStored:
				blobs[sums[i][j]] = a.Data
			}
			b.Queue(storeAttachmentSQL, msgIDs[i], sums[i][j][:], a.Filename, a.ContentType, a.ContentID, a.Inline, len(a.Data))
		}
	}
	if len(unused) > 0 {
		b.Queue(dropUnusedBlobsSQL, unused)
	}
	if b.Len() == 0 {
		return nil
	}
	bb := &pgx.Batch{}
	if len(blobs) > 0 {
		queueBlobs(bb, blobs)
	}
	bb.QueuedQueries = append(bb.QueuedQueries, b.QueuedQueries...)
	if err := tx.SendBatch(ctx, bb).Close(); err != nil {
		return fmt.Errorf("ticketing: storing attachments: %w", err)
	}
	return nil
}
