package ticketing

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
)

// retentionBatch bounds the tickets one retention transaction handles.
const retentionBatch = 500

// Retained is what one run of Retain removed.
type Retained struct {
	Tickets         int64 // closed tickets handled
	RawMessages     int64 // captured messages whose raw bytes were removed
	RawBytes        int64 // their size
	Attachments     int64 // attachment contents removed (stored once per SHA-256)
	AttachmentBytes int64 // their size
}

// The batch of closed tickets (t), marked as handled, the raw bytes of
// their captured mail (the inbound rows of their messages, and those that
// joined them without a message), the content of their attachments that no
// ticket still kept shares, and one event on each. The statement's CTEs
// share one snapshot, so a ticket of this batch still reads as kept in the
// blob check: hence its NOT IN t. A merged ticket's inbound rows are found
// through the messages that moved to the ticket it was merged into.
const retainSQL = `
WITH t AS (
    SELECT id, merged_into FROM tickets
    WHERE status = 'closed' AND retained_at IS NULL AND closed_at < now() - $1::float8 * interval '1 second'
    ORDER BY closed_at LIMIT $3 FOR UPDATE SKIP LOCKED
), marked AS (
    UPDATE tickets SET retained_at = now() WHERE id IN (SELECT id FROM t) RETURNING id
), raw AS (
    UPDATE inbound SET raw = '', raw_removed_at = now(), raw_removed_by = 'retention'
    WHERE raw_removed_at IS NULL
      AND (id IN (SELECT inbound_id FROM messages WHERE ticket_id IN (SELECT id FROM t))
           OR ticket_id IN (SELECT id FROM t WHERE merged_into IS NULL))
    RETURNING size
), blob AS (
    UPDATE blobs b SET data = '', removed_at = now()
    WHERE b.removed_at IS NULL
      AND b.sha256 IN (SELECT a.sha256 FROM attachments a JOIN messages m ON m.id = a.message_id
                       WHERE m.ticket_id IN (SELECT id FROM t))
      AND NOT EXISTS (SELECT 1 FROM attachments a JOIN messages m ON m.id = a.message_id JOIN tickets k ON k.id = m.ticket_id
                      WHERE a.sha256 = b.sha256 AND k.retained_at IS NULL AND k.id NOT IN (SELECT id FROM t))
    RETURNING size
), ev AS (
    INSERT INTO events (ticket_id, actor, kind, detail)
    SELECT id, 'deskgate', 'retention', jsonb_build_object('why', 'closed for longer than ' || $2::text,
        'removed', 'raw mail and attachment content')
    FROM marked
)
SELECT (SELECT count(*) FROM marked), (SELECT count(*) FROM raw), coalesce((SELECT sum(size) FROM raw), 0)::bigint,
       (SELECT count(*) FROM blob), coalesce((SELECT sum(size) FROM blob), 0)::bigint`

// Retain removes the raw bytes of the captured mail and the content of
// the attachments of tickets closed longer than after ago, in batches,
// keeping the tickets, their messages' text, participants and events, and
// each inbound row's sha256, UIDVALIDITY and UID, by which mail fetched
// again is recognised as captured. Each ticket gets a retention event.
// Several processes may run it at once: each ticket is handled once.
func Retain(ctx context.Context, db Beginner, after time.Duration) (Retained, error) {
	var total Retained
	for {
		var r Retained
		err := pgx.BeginFunc(ctx, db, func(tx pgx.Tx) error {
			return tx.QueryRow(ctx, retainSQL, after.Seconds(), after.String(), retentionBatch).
				Scan(&r.Tickets, &r.RawMessages, &r.RawBytes, &r.Attachments, &r.AttachmentBytes)
		})
		if err != nil {
			return total, fmt.Errorf("ticketing: retention: %w", err)
		}
		total.Tickets += r.Tickets
		total.RawMessages += r.RawMessages
		total.RawBytes += r.RawBytes
		total.Attachments += r.Attachments
		total.AttachmentBytes += r.AttachmentBytes
		if r.Tickets < retentionBatch {
			return total, nil
		}
	}
}
