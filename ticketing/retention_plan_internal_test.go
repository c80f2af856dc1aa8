package ticketing

import (
	"context"
	"fmt"
	"testing"

	"github.com/deskgate/deskgate/internal/dbtest"
)

// TestRetentionReadsOnlyItsTicketsMail: whether mail still queued needs a
// closed ticket's files is read from that ticket's own outbox rows (and
// those of the tickets merged into it), never from the queue or the whole
// outbox, whatever the planner's statistics say: retention runs every hour
// in every process, beside a queue a backlog or an SMTP outage fills.
// (With the status tested as status = 'queued', the planner read the
// queue through outbox_due: 9,000 rows for each statement. Without the
// index tickets_merged_into, the tickets merged into each were looked for
// among all tickets: 66,000 rows.)
func TestRetentionReadsOnlyItsTicketsMail(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	pool := dbtest.Pool(t)
	// tickets closed long ago (merged: every fifth into the next), with
	// two sent emails each, and open tickets with three, sent or queued.
	addTickets := func(n int, closed bool, status string) {
		t.Helper()
		_, err := pool.Exec(ctx, `
WITH t AS (
    INSERT INTO tickets (subject, requester_addr, received_at, status, closed_at)
    SELECT 'Subject ' || i, 'r' || i || '@example.se', now(), CASE WHEN $2 THEN 'closed' ELSE 'open' END,
           CASE WHEN $2 THEN now() - interval '100 days' + i * interval '1 s' END
    FROM generate_series(1, $1) AS i
    RETURNING id
)
INSERT INTO outbox (ticket_id, event, automatic, recipient, status, message_id, from_name, from_addr, subject, text_body)
SELECT t.id, 'acknowledgement', true, 'r' || t.id || '@example.se', CASE WHEN $2 THEN 'sent' ELSE $3 END,
       'retain-' || t.id || '-' || k || '@desk.example', 'Desk', 'help@desk.example', 'Subject', 'text'
FROM t, generate_series(1, CASE WHEN $2 THEN 2 ELSE 3 END) AS k`, n, closed, status)
		if err != nil {
			t.Fatal(err)
		}
	}
	// The statistics are gathered while the desk is small and nothing is
	// queued...
	addTickets(5, true, "")
	addTickets(5, false, "sent")
	if _, err := pool.Exec(ctx, `ANALYZE tickets, outbox`); err != nil {
		t.Fatal(err)
	}
	// ... and the statements run after it grew, with a queue.
	addTickets(15, true, "")
	addTickets(3000, false, "queued")
	if _, err := pool.Exec(ctx, `UPDATE tickets t SET merged_into = t.id + 1 WHERE status = 'closed' AND t.id % 5 = 0`); err != nil {
		t.Fatal(err)
	}
	// Each ticket's mail, captured: retention reads the closed ones'.
	if _, err := pool.Exec(ctx, `INSERT INTO mailboxes (name) VALUES ('support');
		INSERT INTO inbound (mailbox, uidvalidity, uid, sha256, size, raw, status, ticket_id)
		SELECT 'support', 1, id, sha256(id::text::bytea), 3, 'raw'::bytea, 'ticketed', id FROM tickets`); err != nil {
		t.Fatal(err)
	}
	var ids []int64
	if err := pool.QueryRow(ctx, `SELECT array_agg(id) FROM tickets WHERE status = 'closed'`).Scan(&ids); err != nil {
		t.Fatal(err)
	}
	conn, err := pool.Acquire(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Release()
	for _, mode := range planModes {
		for _, s := range []struct {
			name, query string
			args        []any
		}{
			{"retainBatchSQL", retainBatchSQL, []any{7776000.0, retentionBatch}},
			{"retainSQL", retainSQL, []any{"2160h0m0s", ids}},
		} {
			name := fmt.Sprintf("retain_%d", planned.Add(1))
			if _, err := conn.Exec(ctx, "SET plan_cache_mode = "+mode+"; PREPARE "+name+" AS "+s.query); err != nil {
				t.Fatal(err)
			}
			outbox := dbtest.PlanReads(t, conn.Conn(), "outbox", name, s.args...)
			tickets := dbtest.PlanReads(t, conn.Conn(), "tickets", name, s.args...)
			if inbound := dbtest.PlanReads(t, conn.Conn(), "inbound", name, s.args...); inbound.Rows > 5*len(ids) {
				t.Errorf("%s: %s on %d closed tickets read %d inbound rows among 3,020 tickets' captured mail; want about their own",
					mode, s.name, len(ids), inbound.Rows)
			}
			// 20 closed tickets with 2 emails each, 4 of them merged
			// (their emails read again for the ticket they went into),
			// and the tickets merged into each.
			if outbox.Rows > 50 || tickets.Rows > 100 {
				t.Errorf("%s: %s on 20 closed tickets read %d outbox rows and %d tickets, with 9,000 emails queued for 3,000 open tickets; want the closed tickets' own (44 and 84)",
					mode, s.name, outbox.Rows, tickets.Rows)
			}
		}
	}
}
