// Package bigdesk fills a deskgate database with the history of a desk that
// has been in use for years - a million tickets by default, with their
// participants, messages (1-2 KB of text, no raw mail), events, SLA clocks
// and sent notifications - so that benchmarks can show what a large
// database costs. Start keeps a cluster holding it in the user's cache,
// keyed by the schema, so that only the first run pays for building it.
package bigdesk

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

// Version changes whenever Seed writes something different, so that a
// cached fixture built by an older Seed is not reused.
const Version = 5

// The statements run in order with $1 = the number of tickets. Everything
// is generated inside PostgreSQL (INSERT ... SELECT generate_series), which
// is faster than COPY from the client since no row crosses the socket. Text
// is a row's own MD5 repeated to its length: rows of 1-2 KB stay below
// PostgreSQL's compression threshold, so they take the space real text
// would, and each row costs one MD5 (cutting text from a shared corpus made
// PostgreSQL read the whole corpus again for every row). Ticket g was
// received 30 seconds after ticket g-1, ending now; 85% are closed, 5%
// resolved, 5% open and 5% pending, except that of the tickets older than
// 30 days (86,400 tickets) only one in 250 is still open or pending, the
// rest closed: a desk in use has a backlog of a few days' intake and a tail
// of forgotten tickets (about 12,300 open of a million), not every tenth
// ticket of the past year still open. A resolved or closed ticket's status
// event is its agent's resolution, an hour after it was received (its
// closing, later, is not logged), so that the agents report counts them.
var seedSQL = []string{
	`INSERT INTO tickets (id, subject, requester_name, requester_addr, status, queue, received_at,
	                      created_at, updated_at, resolved_at, closed_at, language, team, assignee,
	                      category, impact, urgency, priority, sla_policy)
	 SELECT g, 'Fixture ' || g || ': ' || (ARRAY['VPN drops every hour', 'Printer jams on tray 2',
	            'Password reset', 'Laptop is slow', 'Mail to a customer bounces'])[1 + g % 5],
	        'Requester ' || g % 200000, 'requester' || g % 200000 || '@customer' || g % 5000 || '.example',
	        s.status, 'support', at, at, at + interval '2 hours',
	        CASE WHEN s.status IN ('closed', 'resolved') THEN at + interval '1 hour' END,
	        CASE WHEN s.status = 'closed' THEN at + interval '2 hours' END,
	        'en', (ARRAY['support', 'network'])[1 + g % 2], 'agent' || g % 10 || '@desk.example',
	        (ARRAY['Network', 'Hardware', 'Access', 'Hardware', 'Mail'])[1 + g % 5],
	        'Low', 'Medium', 'Normal', 'standard'
	 FROM generate_series(1, $1::bigint) g,
	      LATERAL (SELECT now() - ($1::bigint - g) * interval '30 seconds' AS at) t,
	      LATERAL (SELECT CASE WHEN g % 20 < 17 THEN 'closed' WHEN g % 20 = 17 THEN 'resolved'
	                           WHEN $1::bigint - g >= 86400 AND g % 500 NOT IN (18, 19) THEN 'closed'
	                           WHEN g % 20 = 18 THEN 'open' ELSE 'pending' END AS status) s`,

	`INSERT INTO contacts (address, language)
	 SELECT DISTINCT requester_addr, 'en' FROM tickets`,

	`INSERT INTO participants (ticket_id, address, name, role, added_at)
	 SELECT id, requester_addr, requester_name, 'requester', received_at FROM tickets`,

	// Two messages a ticket: the requester's, and the agent's answer. Their
	// search vectors come from to_tsvector, which gives text of plain words
	// the words ticketing/search gives it (search's TestPlainWordsAsPostgres),
	// except a hex word that begins like a number in scientific notation
	// (8e296a…), which it splits in two: about one text in fifteen holds
	// one. The index has the size and shape deskgate's would; api's
	// BenchmarkAPI searches a word it holds whole.
	`INSERT INTO messages (id, ticket_id, direction, message_id, in_reply_to, refs, from_name, from_addr,
	                       subject, sent_at, text_body, class, fingerprint, created_at, visibility, agent, search)
	 SELECT m.*, to_tsvector('simple', m.subject || ' ' || m.text_body) FROM (
	 SELECT 2 * k.id - 1 + d, k.id, (ARRAY['in', 'out'])[1 + d],
	        CASE d WHEN 0 THEN 'fixture-' || k.id || '@customer.example' ELSE 'dg.fixture-' || k.id || '@desk.example' END,
	        CASE d WHEN 0 THEN '' ELSE 'fixture-' || k.id || '@customer.example' END,
	        CASE d WHEN 0 THEN '{}'::text[] ELSE ARRAY['fixture-' || k.id || '@customer.example'] END,
	        CASE d WHEN 0 THEN k.requester_name ELSE 'Agent' END,
	        CASE d WHEN 0 THEN k.requester_addr ELSE k.assignee END,
	        CASE d WHEN 0 THEN k.subject ELSE 'Re: ' || k.subject || ' [#' || k.id || ']' END AS subject,
	        k.received_at + d * interval '1 hour',
	        left(repeat(md5((2 * k.id + d)::text) || ' ', 60), 1000 + ((k.id + d) % 1000)::int) AS text_body,
	        'human', sha256((k.id * 2 + d)::text::bytea), k.received_at + d * interval '1 hour',
	        'public', CASE d WHEN 0 THEN '' ELSE k.assignee END
	 FROM tickets k, generate_series(0, 1) d) m`,

	`INSERT INTO events (ticket_id, at, actor, kind, detail)
	 SELECT k.id, k.received_at + e.after, e.actor, e.kind, e.detail
	 FROM tickets k, LATERAL (VALUES
	     (interval '0', k.requester_addr, 'ticket.created',
	      jsonb_build_object('why', 'new message: no thread evidence links it to an existing ticket',
	                         'from', k.requester_addr, 'mailbox', 'support')),
	     (interval '0', 'deskgate', 'priority.set',
	      jsonb_build_object('impact', k.impact, 'urgency', k.urgency, 'priority', k.priority, 'team', k.team)),
	     (interval '1 hour', k.assignee, 'agent.reply', jsonb_build_object('note', false, 'relay', 'queued')),
	     (CASE WHEN k.resolved_at IS NULL THEN interval '2 hours' ELSE interval '1 hour' END, k.assignee, 'status.changed',
	      jsonb_build_object('from', 'open', 'to', CASE WHEN k.resolved_at IS NULL THEN k.status ELSE 'resolved' END,
	                         'why', 'by email'))) e(after, actor, kind, detail)`,

	// Clocks still running past their warning or deadline were warned of
	// and breached when that time came, as the escalation sweep does.
	`INSERT INTO sla_clocks (ticket_id, kind, calendar, target, started, elapsed, running, running_since,
	                         stopped, deadline, warn_at)
	 SELECT k.id, c.kind, 'office', c.target, k.received_at, c.used, k.status IN ('open', 'pending') AND c.kind = 'resolution',
	        CASE WHEN k.status IN ('open', 'pending') AND c.kind = 'resolution' THEN k.received_at END,
	        CASE WHEN k.status IN ('open', 'pending') AND c.kind = 'resolution' THEN NULL ELSE k.received_at + interval '1 hour' END,
	        CASE WHEN k.status IN ('open', 'pending') AND c.kind = 'resolution' THEN k.received_at + interval '8 hours' END,
	        CASE WHEN k.status IN ('open', 'pending') AND c.kind = 'resolution' THEN k.received_at + interval '6 hours' END
	 FROM tickets k, (VALUES ('response', 7200000000000::bigint, 3600000000000::bigint),
	                         ('resolution', 28800000000000::bigint, 3600000000000::bigint)) c(kind, target, used)`,
	`UPDATE sla_clocks SET warned_at = CASE WHEN warn_at < now() THEN warn_at END,
	                       breached_at = CASE WHEN deadline < now() THEN deadline END
	 WHERE running`,

	// Two sent notifications a ticket: the acknowledgement and the relayed answer.
	`INSERT INTO outbox (id, ticket_id, event, automatic, recipient, status, language, message_id, from_name,
	                     from_addr, reply_to, to_addrs, subject, auto_submitted, text_body, attempts,
	                     next_attempt_at, reply, created_at, sent_at)
	 SELECT 2 * k.id - 1 + d, k.id, (ARRAY['ticket-received', 'agent-reply'])[1 + d], d = 0,
	        k.requester_addr, 'sent', 'en', 'dg.fixture-' || k.id || '-' || d || '@desk.example', 'Fixture Desk',
	        'help@desk.example', 'help@desk.example', jsonb_build_array(k.requester_addr),
	        'Re: ' || k.subject || ' [#' || k.id || ']', CASE d WHEN 0 THEN 'auto-replied' ELSE '' END,
	        left(repeat(md5((k.id - d)::text) || ' ', 30), 600 + (k.id % 400)::int), 1,
	        k.received_at + d * interval '1 hour', '250 2.0.0 OK: queued',
	        k.received_at + d * interval '1 hour', k.received_at + d * interval '1 hour'
	 FROM tickets k, generate_series(0, 1) d`,

	`SELECT setval(pg_get_serial_sequence('tickets', 'id'), $1::bigint)`,
	`SELECT setval(pg_get_serial_sequence('messages', 'id'), 2 * $1::bigint)`,
	`SELECT setval(pg_get_serial_sequence('outbox', 'id'), 2 * $1::bigint)`,
}

// seededTables are the tables the statements fill.
var seededTables = []string{"tickets", "contacts", "participants", "messages", "events", "sla_clocks", "outbox"}

// Seed writes the history of n tickets into an empty, migrated database.
// It needs a superuser (as in a pgtemp cluster): foreign keys are not
// checked row by row (session_replication_role = replica; the statements
// make them hold), and the seeded tables' secondary indexes are dropped
// first and built again at the end, which is several times faster than
// keeping them up to date row by row.
func Seed(ctx context.Context, pool *pgxpool.Pool, n int, progress func(format string, args ...any)) error {
	if progress == nil {
		progress = func(string, ...any) {}
	}
	conn, err := pool.Acquire(ctx)
	if err != nil {
		return fmt.Errorf("bigdesk: %w", err)
	}
	defer conn.Release()
	step := func(what, q string, args ...any) error {
		start := time.Now()
		if _, err := conn.Exec(ctx, q, args...); err != nil {
			return fmt.Errorf("bigdesk: %s: %w", what, err)
		}
		progress("bigdesk: %s in %v", what, time.Since(start).Round(time.Millisecond))
		return nil
	}
	rows, err := conn.Query(ctx, `
		SELECT format('%I', i.indexname), i.indexdef FROM pg_indexes i
		WHERE i.schemaname = current_schema() AND i.tablename = ANY($1)
		  AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = format('%I', i.indexname)::regclass)`,
		seededTables)
	if err != nil {
		return fmt.Errorf("bigdesk: listing indexes: %w", err)
	}
	type index struct{ name, def string }
	indexes, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (index, error) {
		var ix index
		return ix, r.Scan(&ix.name, &ix.def)
	})
	if err != nil {
		return fmt.Errorf("bigdesk: listing indexes: %w", err)
	}
	if err := step("session settings", `SET session_replication_role = replica; SET maintenance_work_mem = '512MB'`); err != nil {
		return err
	}
	for _, ix := range indexes {
		if err := step("dropping index "+ix.name, "DROP INDEX "+ix.name); err != nil {
			return err
		}
	}
	for i, q := range seedSQL {
		var args []any
		if strings.Contains(q, "$1") {
			args = []any{n}
		}
		if err := step(fmt.Sprintf("statement %d of %d", i+1, len(seedSQL)), q, args...); err != nil {
			return err
		}
	}
	for _, ix := range indexes {
		if err := step("building index "+ix.name, ix.def); err != nil {
			return err
		}
	}
	if err := step("session settings reset", `RESET session_replication_role; RESET maintenance_work_mem`); err != nil {
		return err
	}
	return step("vacuum", `VACUUM (ANALYZE)`)
}
