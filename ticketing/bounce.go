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
// mail to its recipient until $6. The report must name the address the
// notification went to ($5), so a forged report can neither mark someone
// else's mail nor silence an arbitrary address; mail not yet sent cannot
// bounce. It changes nothing when no notification of ours matches.
const bounceSQL = `
WITH o AS (
    UPDATE outbox SET status = CASE WHEN $3 THEN 'bounced' ELSE status END,
        reason = CASE WHEN $3 THEN $4 ELSE reason END
    WHERE message_id = $1 AND status IN ('sent', 'bounced') AND recipient = $5
    RETURNING id, ticket_id, recipient
), c AS (
    UPDATE contacts SET suppressed_until = greatest(suppressed_until, $6), suppressed_reason = $4
    WHERE address = (SELECT recipient FROM o) AND $6::timestamptz IS NOT NULL
)
INSERT INTO events (ticket_id, inbound_id, actor, kind, detail)
SELECT o.ticket_id, $2, 'deskgate', CASE WHEN $3 THEN 'notification.bounced' ELSE 'notification.delayed' END,
    jsonb_build_object('outbox', o.id, 'message_id', $1::text, 'to', o.recipient,
        'report', $4::text, 'suppressed_until', $6::timestamptz)
FROM o WHERE o.ticket_id IS NOT NULL
RETURNING id`

// bounced lists the deliveries of in that report on our mail, with the
// recipient each names: only those can change anything.
func bounced(in *Inbound) []Delivery {
	if in.Class != ClassBounce || in.OriginalMessageID == "" {
		return nil
	}
	var out []Delivery
	for _, dl := range in.Deliveries {
		if dl.Recipient != "" && (dl.Action == "delayed" || dl.Action == "failed" || dl.Permanent()) {
			dl.Recipient = lower(dl.Recipient)
			out = append(out, dl)
		}
	}
	return out
}

// bounceAddresses are the recipients the delivery reports among ins name,
// for notify to lock with every other contact, in one order.
func bounceAddresses(ins []Inbound) []string {
	var out []string
	for i := range ins {
		for _, dl := range bounced(&ins[i]) {
			out = append(out, dl.Recipient)
		}
	}
	return out
}

// recordBounces feeds delivery reports about our own mail back to the
// outbox: a failure marks the notification bounced and shows on its
// ticket; a permanent one (5.x.x) also stops automatic mail to that
// address for the configured time. A delay is only logged. A report that
// names no recipient changes nothing: it cannot say whose mail failed.
// The contacts it touches were locked by notify, in order with the rest.
func (d *Desk) recordBounces(ctx context.Context, tx pgx.Tx, ins []Inbound) error {
	b := &pgx.Batch{}
	for i := range ins {
		in := &ins[i]
		for _, dl := range bounced(in) {
			failed := dl.Action != "delayed"
			report := strings.TrimSpace(strings.Join(nonEmpty(dl.Status, dl.Diagnostic), " "))
			var until any
			if failed && dl.Permanent() && d.suppressFor > 0 {
				until = time.Now().Add(d.suppressFor)
			}
			b.Queue(bounceSQL, in.OriginalMessageID, in.CaptureID, failed, report, dl.Recipient, until)
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
