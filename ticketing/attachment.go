package ticketing

import (
	"context"
	"crypto/sha256"
	"fmt"

	"github.com/jackc/pgx/v5"
)

const storeBlobSQL = `
INSERT INTO blobs (sha256, size, data) VALUES ($1, $2, $3) ON CONFLICT (sha256) DO NOTHING`

const storeAttachmentSQL = `
INSERT INTO attachments (message_id, sha256, filename, content_type, content_id, inline, size)
VALUES ($1, $2, $3, $4, $5, $6, $7)`

// attachmentSums hashes every attachment of the batch once.
func attachmentSums(ins []Inbound) [][][32]byte {
	sums := make([][][32]byte, len(ins))
	for i := range ins {
		for _, a := range ins[i].Attachments {
			sums[i] = append(sums[i], sha256.Sum256(a.Data))
		}
	}
	return sums
}

// storeAttachments records the attachments of each stored message
// (msgIDs[i] != 0), their content once per SHA-256, in one round trip.
func storeAttachments(ctx context.Context, tx pgx.Tx, ins []Inbound, sums [][][32]byte, msgIDs []int64) error {
	b := &pgx.Batch{}
	seen := map[[32]byte]bool{}
	for i := range ins {
		if msgIDs[i] == 0 {
			continue
		}
		for j, a := range ins[i].Attachments {
			sum := sums[i][j]
			if !seen[sum] {
				seen[sum] = true
				b.Queue(storeBlobSQL, sum[:], len(a.Data), a.Data)
			}
			b.Queue(storeAttachmentSQL, msgIDs[i], sum[:], a.Filename, a.ContentType, a.ContentID, a.Inline, len(a.Data))
		}
	}
	if b.Len() == 0 {
		return nil
	}
	if err := tx.SendBatch(ctx, b).Close(); err != nil {
		return fmt.Errorf("ticketing: storing attachments: %w", err)
	}
	return nil
}
