package ticketing

import (
	"bytes"
	"context"
	"fmt"
	"maps"
	"slices"

	"github.com/jackc/pgx/v5"
)

// storeBlobsSQL stores contents not stored yet, in the order given. One
// statement for the batch: queued one per blob, pgx copied the batch's
// buffer again each time it grew by a quarter.
const storeBlobsSQL = `
INSERT INTO blobs (sha256, size, data)
SELECT sha256, size, data FROM unnest($1::bytea[], $2::bigint[], $3::bytea[]) WITH ORDINALITY AS b (sha256, size, data, n)
ORDER BY n
ON CONFLICT (sha256) DO NOTHING`

const storeAttachmentSQL = `
INSERT INTO attachments (message_id, sha256, filename, content_type, content_id, inline, size)
VALUES ($1, $2, $3, $4, $5, $6, $7)`

// storeAttachments records the attachments of each stored message
// (msgIDs[i] != 0), their content once per SHA-256, in one round trip.
func storeAttachments(ctx context.Context, tx pgx.Tx, ins []Inbound, sums [][][32]byte, msgIDs []int64) error {
	b := &pgx.Batch{}
	blobs := map[[32]byte][]byte{}
	for i := range ins {
		if msgIDs[i] == 0 {
			continue
		}
		for j, a := range ins[i].Attachments {
			blobs[sums[i][j]] = a.Data
			b.Queue(storeAttachmentSQL, msgIDs[i], sums[i][j][:], a.Filename, a.ContentType, a.ContentID, a.Inline, len(a.Data))
		}
	}
	if b.Len() == 0 {
		return nil
	}
	// Blobs first, in hash order: concurrent batches sharing content (a
	// signature logo) then wait for each other instead of deadlocking.
	keys := slices.SortedFunc(maps.Keys(blobs), func(x, y [32]byte) int { return bytes.Compare(x[:], y[:]) })
	hashes, sizes, datas := make([][]byte, len(keys)), make([]int64, len(keys)), make([][]byte, len(keys))
	for i, k := range keys {
		hashes[i], sizes[i], datas[i] = k[:], int64(len(blobs[k])), blobs[k]
	}
	bb := &pgx.Batch{}
	bb.Queue(storeBlobsSQL, hashes, sizes, datas)
	bb.QueuedQueries = append(bb.QueuedQueries, b.QueuedQueries...)
	if err := tx.SendBatch(ctx, bb).Close(); err != nil {
		return fmt.Errorf("ticketing: storing attachments: %w", err)
	}
	return nil
}
