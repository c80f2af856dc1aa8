package ticketing

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
)

// bounceSQL marks the notification a delivery report names as bounced,
// logs it on its ticket and, for a permanent failure, suppresses automatic
// mail to the failed address until $6. It changes nothing when no
// notification of ours has that Message-ID.
const bounceSQL = `
WITH o AS (
    UPDATE outbox SET status = CASE WHEN $3 THEN 'bounced' ELSE status END,
        reason = CASE WHEN $3 THEN $4 ELSE reason END
    WHERE message_id = $1 AND status IN ('sent', 'queued', 'bounced')
    RETURNING id, ticket_id, recipient
), c AS (
    INSERT INTO contacts (address, suppressed_until, suppressed_reason)
    SELECT coalesce(nullif($5, ''), o.recipient), $6, $4 FROM o WHERE $6::timestamptz IS NOT NULL
    ON CONFLICT (address) DO UPDATE SET suppressed_until = greatest(contacts.suppressed_until, EXCLUDED.suppressed_until),
        suppressed_reason = EXCLUDED.suppressed_reason
    RETURNING address
)
INSERT INTO events (ticket_id, inbound_id, actor, kind, detail)
SELECT o.ticket_id, $2, 'deskgate', CASE WHEN $3 THEN 'notification.bounced' ELSE 'notification.delayed' END,
    jsonb_build_object('outbox', o.id, 'message_id', $1::text, 'to', coalesce(nullif($5, ''), o.recipient),
        'report', $4::text, 'suppressed_until', $6::timestamptz)
FROM o WHERE o.ticket_id IS NOT NULL
RETURNING id`

// recordBounces feeds delivery reports about our own mail back to the
// outbox: a failure marks the notification bounced and shows on its
// ticket; a permanent one (5.x.x) also stops automatic mail to that
// address for the configured time. A delay is only logged.
func (d *Desk) recordBounces(ctx context.Context, tx pgx.Tx, ins []Inbound) error {
	b := &pgx.Batch{}
	for i := range ins {
		in := &ins[i]
		if in.Class != ClassBounce || in.OriginalMessageID == "" {
			continue
		}
		ds := in.Deliveries
		if len(ds) == 0 {
			ds = []Delivery{{Action: "failed", Diagnostic: "a delivery report without a machine-readable status: " + in.ClassReason}}
		}
		for _, dl := range ds {
			delayed := dl.Action == "delayed"
			failed := !delayed && (dl.Action == "failed" || dl.Permanent())
			if !delayed && !failed {
				continue // delivered, relayed, expanded: nothing went wrong
			}
			report := strings.TrimSpace(strings.Join(nonEmpty(dl.Status, dl.Diagnostic), " "))
			var until any
			if failed && dl.Permanent() && len(in.Deliveries) > 0 && d.suppressFor > 0 {
				until = time.Now().Add(d.suppressFor)
			}
			b.Queue(bounceSQL, in.OriginalMessageID, in.CaptureID, failed, report, lower(dl.Recipient), until)
		}
	}
	err := runBatch(ctx, tx, b, func(_ int, row pgx.Row) error {
		if err := row.Scan(new(int64)); err != nil && err != pgx.ErrNoRows {
			return err
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("ticketing: recording delivery reports: %w", err)
	}
	return nil
}

func nonEmpty(ss ...string) []string {
	var out []string
	for _, s := range ss {
		if s != "" {
			out = append(out, s)
		}
	}
	return out
}
