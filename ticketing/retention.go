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

// mailWaitsSQL is true for a ticket tk whose files an email not yet
// settled still needs: a queued outbox row that carries a stored message's
// files (message_ref), whose content the sender reads only when it sends
// it (LoadAttachments), perhaps days later: retries, the circuit breaker
// and the rate limits hold mail back. The row is about the ticket whose
// message it carries, or about a ticket since merged into that one (a
// merge moves the messages, not the mail about them), at any depth. The
// status is tested as stillQueued so that the rows are found through
// outbox_ticket, a ticket's few, and never by reading the queue.
const mailWaitsSQL = `EXISTS (
    WITH RECURSIVE merged (id) AS (
        SELECT tk.id
        UNION
        SELECT c.id FROM tickets c JOIN merged ON c.merged_into = merged.id
    )
    SELECT 1 FROM merged JOIN outbox o ON o.ticket_id = merged.id
    WHERE o.message_ref IS NOT NULL AND o.` + stillQueued + `)`

// retainBatchSQL locks the next batch: up to $2 tickets closed longer
// than $1 seconds ago and not yet retained, oldest first, leaving those
// another process holds and those whose files mail still waits for
// (which would otherwise fill every batch while it waits). Such a ticket
// keeps its raw mail too, which the sender does not need, so that a
// ticket is retained whole or not at all: a later run retains it once the
// mail is sent, failed or suppressed (mailout gives up after its
// attempts or age), and nothing of it is left behind.
const retainBatchSQL = `
SELECT id FROM tickets tk
WHERE status = 'closed' AND retained_at IS NULL AND closed_at < now() - $1::float8 * interval '1 second'
    AND NOT ` + mailWaitsSQL + `
ORDER BY closed_at LIMIT $2 FOR UPDATE SKIP LOCKED`

// retainSQL retains the batch of closed tickets retainBatchSQL locked
// ($2): of those whose files no mail waits for (t), marked as handled, the
// raw bytes of their captured mail (the inbound rows of their messages,
// and those that joined them without a message), the content of their
// attachments that no ticket still kept shares, and one event on each.
// The statement's CTEs share one snapshot, so a ticket of this batch still
// reads as kept in the blob check: hence its NOT IN t. A merged ticket's
// inbound rows are found through the messages that moved to the ticket it
// was merged into. The two ways to a ticket's inbound rows are a UNION, not
// an OR, which kept the planner from either index and read every captured
// message at each batch (TestRetentionReadsOnlyItsTicketsMail).
//
// Mail can still be queued for a closed ticket: an agent's reply, by email
// or through Post, is relayed with its files (a closed ticket is never
// reopened, but its agents may still write). Whatever queues mail with a
// ticket's files holds the ticket's row lock (FOR NO KEY UPDATE:
// ticketStatesSQL, lockTicket) until it commits; a merge locks both
// tickets, and nothing is merged into a closed one. So the check is made
// again here, in a second statement: under READ COMMITTED its snapshot is
// taken after retainBatchSQL's locks (FOR UPDATE) were held, so it sees
// every such mail committed before them, and none can be queued until this
// transaction commits. retainBatchSQL's check alone would miss a reply
// committed between its snapshot and its lock. marked names the batch
// ($2) again so that it finds the tickets by their primary key whatever
// the statistics say (TestRetentionReadsOnlyItsTicketsMail).
const retainSQL = `
WITH t AS (
    SELECT id, merged_into FROM tickets tk WHERE id = ANY($2) AND NOT ` + mailWaitsSQL + `
), marked AS (
    UPDATE tickets SET retained_at = now() WHERE id = ANY($2) AND id IN (SELECT id FROM t) RETURNING id
), raw AS (
    UPDATE inbound SET raw = '', raw_removed_at = now(), raw_removed_by = 'retention'
    WHERE raw_removed_at IS NULL
      AND id IN (SELECT inbound_id FROM messages WHERE ticket_id IN (SELECT id FROM t)
                 UNION
                 SELECT i.id FROM inbound i WHERE i.ticket_id IN (SELECT id FROM t WHERE merged_into IS NULL))
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
    SELECT id, 'deskgate', 'retention', jsonb_build_object('why', 'closed for longer than ' || $1::text,
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
// A ticket whose files mail still queued carries is left for a later run,
// until that mail is settled. Several processes may run it at once: each
// ticket is handled once.
func Retain(ctx context.Context, db Beginner, after time.Duration) (Retained, error) {
	var total Retained
	for {
		var r Retained
		var batch int
		err := pgx.BeginFunc(ctx, db, func(tx pgx.Tx) error {
			rows, err := tx.Query(ctx, retainBatchSQL, after.Seconds(), retentionBatch)
			if err != nil {
				return err
			}
			ids, err := pgx.CollectRows(rows, pgx.RowTo[int64])
			if err != nil || len(ids) == 0 {
				return err
			}
			batch = len(ids)
			return tx.QueryRow(ctx, retainSQL, after.String(), ids).
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
		if batch < retentionBatch {
			return total, nil
		}
	}
}
