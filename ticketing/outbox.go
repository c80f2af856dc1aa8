package ticketing

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

// Outbox statuses: where one outgoing email stands.
const (
	OutboxQueued     = "queued"     // waiting to be sent or retried
	OutboxSent       = "sent"       // accepted by the SMTP server
	OutboxFailed     = "failed"     // rejected for good, or out of attempts
	OutboxSuppressed = "suppressed" // never sent; Reason says why
	OutboxBounced    = "bounced"    // sent, then reported undeliverable
)

// OutboxChannel is the PostgreSQL notification channel a commit that queues
// mail signals, so that senders wake at once instead of at their next poll.
const OutboxChannel = "deskgate_outbox"

// Notification is one composed email in the outbox, as a sender claims it.
// Every header value is plain UTF-8 without control characters; the sender
// encodes them.
type Notification struct {
	ID        int64
	TicketID  int64 // 0 for mail about no ticket
	Event     string
	Automatic bool // automatic mail carries Auto-Submitted and is rate-limited

	MessageID  string // without angle brackets; stable across retries
	From       Address
	ReplyTo    string // a bare address; "" for none
	To         []Address
	Cc         []Address
	InReplyTo  string   // without angle brackets
	References []string // without angle brackets, oldest first
	Subject    string
	// ThreadIndex and ThreadTopic continue the conversation in Outlook.
	ThreadIndex string
	ThreadTopic string
	// AutoSubmitted is the RFC 3834 value: auto-replied, auto-generated or
	// "" for mail a person wrote (a relayed agent reply).
	AutoSubmitted string
	Language      string // BCP 47 tag of the text
	Text          string
	HTML          string

	Attempts  int       // including the current one
	CreatedAt time.Time // when it was queued
	// Attachments are the files the email carries, as stored: an agent's
	// relayed to the requester, a requester's to agents. LoadAttachments
	// reads them.
	Attachments []Attachment

	// Recipient is the lower-cased address the email is for (the first
	// To, usually the requester): it is "delivered" once the server
	// accepts it for this address.
	Recipient string
	// Accepted and Refused are the lower-cased recipients a previous
	// attempt already settled (the server accepted, or refused for good):
	// this attempt leaves them out.
	Accepted []string
	Refused  []Refusal
	// Compact > 0: a server refused the email for its size, so it goes out
	// as the smaller version with at most Compact bytes of text (see
	// mailout).
	Compact int
	// Expired names the owner of an earlier claim that ran out without a
	// result: that sender stopped (or lost the database) while the email
	// was in its hands, which may have sent it already.
	Expired string

	messageRef int64
	attachIDs  []int64 // of messageRef's files, those it carries; nil: all
	// renderData is what the bodies are rendered from, as JSON
	// (renderData), until they are: "" once Text and HTML are fixed.
	renderData string
}

// claimSQL leases up to $3 due notifications to owner $1 for $2, counting
// the attempt. The lease is committed before any network I/O, so a crash
// while sending leaves the row to be claimed again after the lease ends
// (or sooner, when a successor takes over; see ReleaseClaims). It returns,
// for a row whose earlier lease ran out, that lease's owner.
// %s narrows the choice; each variant has its own partial index, so a claim
// reads only rows it may take, however many others wait. A row that waits
// for another (after_id: a status mail for its relayed reply) is skipped
// while that one is queued and not yet accepted for its recipient.
const claimSQL = `
UPDATE outbox o SET lease_owner = $1, lease_until = now() + $2::interval, attempts = attempts + 1
FROM (
    SELECT id, lease_owner FROM outbox
    WHERE status = 'queued' %s AND next_attempt_at <= now() AND (lease_until IS NULL OR lease_until < now())
        AND (after_id IS NULL OR NOT EXISTS (
            SELECT 1 FROM outbox a WHERE a.id = outbox.after_id AND a.` + stillQueued + `
                AND NOT EXISTS (SELECT 1 FROM outbox_recipients r
                                WHERE r.outbox_id = a.id AND r.address = a.recipient AND r.status = 'accepted')))
    ORDER BY next_attempt_at, id
    LIMIT $3
    FOR UPDATE SKIP LOCKED
) due
WHERE o.id = due.id
RETURNING o.id, coalesce(o.ticket_id, 0), o.event, o.automatic, o.message_id, o.from_name, o.from_addr,
    o.reply_to, o.to_addrs, o.cc_addrs, o.in_reply_to, o.refs, o.subject, o.thread_index, o.thread_topic,
    o.auto_submitted, o.language, o.text_body, o.html_body, o.attempts, o.created_at, coalesce(o.message_ref, 0),
    o.attachment_ids, o.recipient, o.compact, coalesce(o.render_data, ''),
    (SELECT coalesce(jsonb_agg(jsonb_build_object('status', r.status, 'address', r.address, 'reply', r.reply)), '[]')
     FROM outbox_recipients r WHERE r.outbox_id = o.id),
    coalesce(due.lease_owner, '')`

var (
	claimAnySQL      = fmt.Sprintf(claimSQL, "")
	claimPersonalSQL = fmt.Sprintf(claimSQL, "AND NOT automatic")
)

// claimPlanSQL holds a claim to the one plan that reads only what it
// takes: its partial index in order, stopping at the limit. During a
// backlog the outbox grows faster than autovacuum analyzes it, so the
// planner believes the queue nearly empty and, left to itself, reads every
// queued row and sorts them all for each claim (TestClaimReadsOnlyTheRowsItTakes;
// measured in BenchmarkIngest: 20 ms a claim at 20,000 queued, growing
// with the queue).
const claimPlanSQL = `SELECT set_config('enable_bitmapscan', 'off', true), set_config('enable_sort', 'off', true),
    set_config('enable_seqscan', 'off', true)`

// genericPlanSQL makes the statements after it in its transaction use
// their generic plan. recordResultsSQL needs it: its arrays hold a few
// results, fewer than the planner assumes of an array parameter, so every
// custom plan looked cheaper than the generic one and PostgreSQL planned
// the statement afresh at each call (BenchmarkIngest: 4,559 plans in 4,555
// calls, 3.1 s of planning against 2.1 s of execution). The generic plan
// is the one TestRecordingAResultReadsOnlyItsRow checks.
const genericPlanSQL = `SELECT set_config('plan_cache_mode', 'force_generic_plan', true)`

// Batcher sends statements in one round trip: a *pgxpool.Pool, a
// *pgx.Conn or a pgx.Tx.
type Batcher interface {
	SendBatch(ctx context.Context, b *pgx.Batch) pgx.BatchResults
}

// plannedBatch starts a batch whose statements run with the planner settings
// planSQL sets for its transaction: sent on a pool or a connection, a
// batch is one transaction (pgx ends it with a single Sync), so the
// settings hold for the statements queued after it and end with it
// (TestPlannedBatchSettingsHoldForTheBatchOnly); sent in a pgx.Tx, they
// last to the end of that transaction. One round trip, where BEGIN, the
// settings, the statement and COMMIT took four; a sender records each
// email it sends this way.
func plannedBatch(planSQL string) *pgx.Batch {
	b := &pgx.Batch{}
	b.Queue(planSQL)
	return b
}

// ClaimNotifications leases up to limit due notifications to owner for
// lease and returns them, oldest due first. Rows leased by another owner,
// or not yet due, are skipped; so two senders never hold the same row.
// With automatic false, only mail a person wrote is claimed (the circuit
// breaker is open).
func ClaimNotifications(ctx context.Context, db Batcher, owner string, lease time.Duration, limit int, automatic bool) ([]Notification, error) {
	query := claimAnySQL
	if !automatic {
		query = claimPersonalSQL
	}
	var ns []Notification
	b := plannedBatch(claimPlanSQL)
	b.Queue(query, owner, lease, limit).Query(func(rows pgx.Rows) error {
		var err error
		ns, err = collectNotifications(rows)
		return err
	})
	err := db.SendBatch(ctx, b).Close()
	if err != nil {
		return nil, fmt.Errorf("ticketing: claiming notifications: %w", err)
	}
	return ns, nil
}

// collectNotifications reads what a claim query claimed.
func collectNotifications(rows pgx.Rows) ([]Notification, error) {
	ns, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (Notification, error) {
		var n Notification
		var to, cc, settled []byte
		err := row.Scan(&n.ID, &n.TicketID, &n.Event, &n.Automatic, &n.MessageID, &n.From.Name, &n.From.Address,
			&n.ReplyTo, &to, &cc, &n.InReplyTo, &n.References, &n.Subject, &n.ThreadIndex, &n.ThreadTopic,
			&n.AutoSubmitted, &n.Language, &n.Text, &n.HTML, &n.Attempts, &n.CreatedAt, &n.messageRef,
			&n.attachIDs, &n.Recipient, &n.Compact, &n.renderData, &settled, &n.Expired)
		if err == nil {
			err = n.settle(settled)
		}
		if err == nil {
			err = json.Unmarshal(to, &n.To)
		}
		if err == nil {
			err = json.Unmarshal(cc, &n.Cc)
		}
		return n, err
	})
	if err != nil {
		return nil, err
	}
	return ns, nil
}

// LoadAttachments reads the files n carries (a relayed reply's, a
// requester's to agents) into n.Attachments. ClaimNotifications leaves
// them out: a sender reads them one email at a time, just before sending
// it, so that a claimed batch holds at most one email's files (up to the
// attachment budget) however many of its emails carry them.
func (n *Notification) LoadAttachments(ctx context.Context, db DB) error {
	if n.messageRef == 0 || n.Attachments != nil {
		return nil
	}
	rows, err := db.Query(ctx, attachmentsOfSQL, n.messageRef, n.attachIDs)
	if err == nil {
		n.Attachments, err = pgx.CollectRows(rows, func(row pgx.CollectableRow) (Attachment, error) {
			var a Attachment
			err := row.Scan(&a.Filename, &a.ContentType, &a.ContentID, &a.Inline, &a.Data)
			return a, err
		})
	}
	if err != nil {
		return fmt.Errorf("ticketing: reading the attachments of notification %d: %w", n.ID, err)
	}
	return nil
}

// attachmentsOfSQL reads a stored message's attachments with their
// content: those of $2, or all when $2 is NULL.
const attachmentsOfSQL = `
SELECT a.filename, a.content_type, a.content_id, a.inline, b.data
FROM attachments a JOIN blobs b ON b.sha256 = a.sha256
WHERE a.message_id = $1 AND ($2::bigint[] IS NULL OR a.id = ANY ($2)) ORDER BY a.id`

// Delivery results a sender reports for a claimed notification.
const (
	ResultSent   = "sent"
	ResultRetry  = "retry"
	ResultFailed = "failed"
)

// settle reads the recipients earlier attempts settled, as claimSQL
// returns them.
func (n *Notification) settle(settled []byte) error {
	var rs []struct{ Status, Address, Reply string }
	if err := json.Unmarshal(settled, &rs); err != nil {
		return err
	}
	for _, r := range rs {
		if r.Status == RecipientAccepted {
			n.Accepted = append(n.Accepted, r.Address)
		} else {
			n.Refused = append(n.Refused, Refusal{Address: r.Address, Reply: r.Reply})
		}
	}
	return nil
}

// What became of one recipient of an email (outbox_recipients.status).
const (
	RecipientAccepted = "accepted"
	RecipientRefused  = "refused" // for good
)

// Refusal is a recipient the server refused for good, with its reply.
type Refusal struct {
	Address string // lower-cased
	Reply   string // "<addr> code text"
}

// SendResult is the outcome of one delivery attempt.
type SendResult struct {
	ID int64
	// Attempt is the claim's attempt count (Notification.Attempts): a
	// result applies only to the claim that produced it, even within one
	// process.
	Attempt int
	Result  string    // ResultSent, ResultRetry or ResultFailed
	Reply   string    // the SMTP server's reply or the network error, for the record
	Retry   time.Time // for ResultRetry: when to try again
	// Untried marks a claimed row handed back without an attempt (at
	// shutdown, or when the lease runs short): it does not count.
	Untried bool
	// Accepted are the recipients the server accepted in this attempt
	// when others are still to be tried (ResultRetry): the next attempt
	// leaves them out. Refused are those refused for good in this
	// attempt; a 5.1.x refusal suppresses the address like a failed
	// email's. Both are lower-cased.
	Accepted []string
	Refused  []Refusal
	// Delivered reports that this attempt's server accepted the email for
	// its Recipient; for mail a person wrote (a relayed reply) it is
	// logged on the ticket as notification.delivered.
	Delivered bool
	// Compact, when positive, makes the smaller version (see
	// Notification.Compact) the one sent from now on.
	Compact int
}

// stillQueued is "status = 'queued'" for statements that find their rows
// by id, written so that the planner cannot use the partial index
// outbox_due (WHERE status = 'queued') instead of the primary key: its
// statistics, gathered when almost nothing is queued, make outbox_due look
// nearly empty, and during a backlog it holds a row for every queued email.
// Measured in a million-ticket database with 20,000 queued: recording one
// result took 15.8 ms through outbox_due and 0.37 ms through the lease.
// TestStillQueuedIsQueued keeps the list in step with the status CHECK.
const stillQueued = "status NOT IN ('sent', 'failed', 'suppressed', 'bounced')"

// leasedQueued is "status = 'queued'" for the statements that find claims
// by owner, which run every few seconds, not per email: they read the
// queue through outbox_due. An index on lease_owner would serve them
// better but every email's record worse: the planner chose it for
// recordResultsSQL, whose rows it then found among an entry for every
// email the owner had settled since the last vacuum
// (TestRecordingAResultReadsOnlyItsRow: 3,403 entries read for one row),
// and each claim and record wrote to it.
const leasedQueued = "status = 'queued'"

// recordResultsSQL applies a batch of results, only to rows still leased to
// owner $1: a sender whose lease ran out (and whose row another sender
// took) cannot overwrite the newer outcome. A failure, and the delivery of
// mail a person wrote, is logged on the ticket; every outcome shows in its
// outbox row. rc are the recipients settled in these attempts ($9–$12);
// those of rows still leased are stored, so a retry leaves them out.
const recordResultsSQL = `
WITH r AS (
    SELECT * FROM unnest($2::bigint[], $3::text[], $4::text[], $5::timestamptz[], $7::int[], $8::bool[], $13::bool[], $14::int[])
        AS r (id, result, reply, retry, attempt, untried, delivered, compact)
), u AS (
    UPDATE outbox o SET
        status = CASE r.result WHEN 'retry' THEN 'queued' ELSE r.result END,
        reply = r.reply,
        next_attempt_at = CASE r.result WHEN 'retry' THEN r.retry ELSE o.next_attempt_at END,
        sent_at = CASE r.result WHEN 'sent' THEN now() ELSE o.sent_at END,
        attempts = o.attempts - CASE WHEN r.untried THEN 1 ELSE 0 END,
        compact = greatest(o.compact, r.compact),
        lease_owner = NULL, lease_until = NULL
    FROM r
    WHERE o.id = r.id AND o.lease_owner = $1 AND o.attempts = r.attempt AND o.` + stillQueued + `
    RETURNING o.id, o.ticket_id, o.event, o.automatic, o.recipient, o.message_id, o.attempts, r.result, r.reply, r.delivered
), rc AS (
    SELECT rc.* FROM unnest($9::bigint[], $10::text[], $11::text[], $12::text[]) AS rc (id, address, status, reply)
    WHERE rc.id IN (SELECT id FROM u)
), stored AS (
    INSERT INTO outbox_recipients (outbox_id, address, status, reply)
    SELECT id, address, status, reply FROM rc
    ON CONFLICT DO NOTHING
), s AS (
    -- A mailbox or domain that does not exist gets no more automatic mail
    -- for a while: bad mailbox (5.1.1), bad system (5.1.2), bad syntax
    -- (5.1.3), moved (5.1.6), null MX (5.1.10); not 5.1.7 and 5.1.8,
    -- which are about our own sender address. The address is the refused
    -- recipient, or the email's recipient when the whole email failed.
    INSERT INTO contacts (address, suppressed_until, suppressed_reason)
    SELECT DISTINCT ON (f.address) f.address, now() + $6 * interval '1 second', f.reply FROM (
        SELECT u.recipient AS address, u.reply FROM u
        WHERE u.result = 'failed' AND NOT EXISTS (SELECT 1 FROM rc WHERE rc.id = u.id)
        UNION ALL
        SELECT rc.address, rc.reply FROM rc WHERE rc.status = 'refused'
    ) f
    WHERE $6 > 0 AND f.address <> '' AND f.reply ~ '(^|[^0-9.])5\.1\.(1|2|3|6|10)($|[^0-9])'
    ON CONFLICT (address) DO UPDATE SET suppressed_reason = EXCLUDED.suppressed_reason,
        suppressed_until = greatest(contacts.suppressed_until, EXCLUDED.suppressed_until)
)
INSERT INTO events (ticket_id, actor, kind, detail)
SELECT u.ticket_id, 'deskgate', CASE WHEN u.result = 'failed' THEN 'notification.failed' ELSE 'notification.delivered' END,
       jsonb_build_object('outbox', u.id, 'event', u.event, 'to', u.recipient, 'message_id', u.message_id,
                          'attempts', u.attempts, 'reply', u.reply)
FROM u WHERE u.ticket_id IS NOT NULL AND (u.result = 'failed' OR (u.delivered AND NOT u.automatic))`

// RecordResults stores the outcomes of delivery attempts by owner in one
// statement. Results for rows no longer leased to owner are ignored. A
// permanent failure naming a bad mailbox or domain (5.1.x), of the email or
// of one recipient, suppresses automatic mail to that address for
// suppressFor (0: never).
func RecordResults(ctx context.Context, db Batcher, owner string, rs []SendResult, suppressFor time.Duration) error {
	if len(rs) == 0 {
		return nil
	}
	ids := make([]int64, len(rs))
	results := make([]string, len(rs))
	replies := make([]string, len(rs))
	retries := make([]time.Time, len(rs))
	attempts := make([]int32, len(rs))
	untried := make([]bool, len(rs))
	delivered := make([]bool, len(rs))
	compact := make([]int32, len(rs))
	var rc settledRecipients
	for i, r := range rs {
		untried[i], delivered[i], compact[i] = r.Untried, r.Delivered, int32(r.Compact)
		ids[i], results[i], replies[i], retries[i], attempts[i] = r.ID, r.Result, r.Reply, r.Retry, int32(r.Attempt)
		if r.Retry.IsZero() {
			retries[i] = time.Now()
		}
		rc.add(r.ID, r.Accepted, r.Refused)
	}
	b := plannedBatch(genericPlanSQL)
	b.Queue(recordResultsSQL, owner, ids, results, replies, retries, suppressFor.Seconds(), attempts, untried,
		rc.ids, rc.addrs, rc.statuses, rc.replies, delivered, compact)
	if err := db.SendBatch(ctx, b).Close(); err != nil {
		return fmt.Errorf("ticketing: recording delivery results: %w", err)
	}
	return nil
}

// settledRecipients are per-recipient outcomes as parallel arrays.
type settledRecipients struct {
	ids                      []int64
	addrs, statuses, replies []string
}

func (s *settledRecipients) add(id int64, accepted []string, refused []Refusal) {
	for _, a := range accepted {
		s.ids, s.addrs, s.statuses, s.replies = append(s.ids, id), append(s.addrs, a), append(s.statuses, RecipientAccepted), append(s.replies, "")
	}
	for _, f := range refused {
		s.ids, s.addrs, s.statuses, s.replies = append(s.ids, id), append(s.addrs, f.Address), append(s.statuses, RecipientRefused), append(s.replies, f.Reply)
	}
}

// recordProgressSQL stores recipients settled so far in an attempt that
// goes on, if the row is still leased to owner $1 for attempt $3, with the
// version being sent ($8, see Notification.Compact); when the email's
// recipient was among those accepted ($7), mail a person wrote logs its
// delivery.
const recordProgressSQL = `
WITH o AS (
    UPDATE outbox SET compact = greatest(compact, $8)
    WHERE id = $2 AND lease_owner = $1 AND attempts = $3 AND ` + stillQueued + `
    RETURNING id, ticket_id, event, automatic, recipient, message_id, attempts
), stored AS (
    INSERT INTO outbox_recipients (outbox_id, address, status, reply)
    SELECT o.id, rc.address, rc.status, rc.reply FROM o, unnest($4::text[], $5::text[], $6::text[]) AS rc (address, status, reply)
    ON CONFLICT DO NOTHING
)
INSERT INTO events (ticket_id, actor, kind, detail)
SELECT o.ticket_id, 'deskgate', 'notification.delivered',
       jsonb_build_object('outbox', o.id, 'event', o.event, 'to', o.recipient, 'message_id', o.message_id,
                          'attempts', o.attempts, 'reply', $9::text)
FROM o WHERE $7 AND o.ticket_id IS NOT NULL AND NOT o.automatic`

// RecordProgress stores, during an attempt by owner that sends one email in
// several SMTP transactions, the recipients settled so far (r.Accepted,
// r.Refused) and the version being sent (r.Compact), so that a crash
// before the attempt's result is recorded sends neither them the email
// again nor the others a different version. With r.Delivered (the email's
// Recipient was accepted, r.Reply the server's answer) mail a person wrote
// logs its delivery here. Only these fields and r.ID and r.Attempt are
// read.
func RecordProgress(ctx context.Context, db DB, owner string, r SendResult) error {
	var rc settledRecipients
	rc.add(r.ID, r.Accepted, r.Refused)
	if _, err := db.Exec(ctx, recordProgressSQL, owner, r.ID, int32(r.Attempt), rc.addrs, rc.statuses, rc.replies,
		r.Delivered, int32(r.Compact), r.Reply); err != nil {
		return fmt.Errorf("ticketing: recording delivery progress of notification %d: %w", r.ID, err)
	}
	return nil
}

// automaticSinceSQL counts automatic mail queued since $1, up to $2, for
// the circuit breaker. Counting all of it read every row of a backlog's
// minute, once a second: 20 ms a count with 30,000 queued in
// BenchmarkIngest.
const automaticSinceSQL = `
SELECT count(*) FROM (SELECT FROM outbox WHERE automatic AND status <> 'suppressed' AND created_at >= $1 LIMIT $2) AS recent`

// AutomaticSince returns how many automatic notifications were queued since
// t, in all processes, counting no further than upTo.
func AutomaticSince(ctx context.Context, db DB, t time.Time, upTo int) (int, error) {
	var n int
	if err := db.QueryRow(ctx, automaticSinceSQL, t, upTo).Scan(&n); err != nil {
		return 0, fmt.Errorf("ticketing: counting automatic mail: %w", err)
	}
	return n, nil
}

// renewClaimsSQL extends the leases owner $1 holds to $2 from now. It
// locks them in the order of their ids, as RenderClaimed does the claims
// whose bodies it stores: locked in the order of an index instead, the
// two deadlocked (BenchmarkIngest, once a run), and skipping locked rows
// let a claim run out while its sender believed it renewed.
const renewClaimsSQL = `
UPDATE outbox SET lease_until = now() + $2::interval
WHERE id IN (SELECT id FROM outbox WHERE lease_owner = $1 AND ` + leasedQueued + ` ORDER BY id FOR NO KEY UPDATE)`

// RenewClaims extends every claim owner holds to lease from now, and
// returns how many it holds. It runs after KeyLookupsSQL: planned with
// statistics from when the outbox was small, it read the whole outbox,
// history included, every few seconds (TestRenewingReadsOnlyTheQueue).
func RenewClaims(ctx context.Context, db Batcher, owner string, lease time.Duration) (int, error) {
	var n int64
	b := plannedBatch(KeyLookupsSQL)
	b.Queue(renewClaimsSQL, owner, lease).Exec(func(tag pgconn.CommandTag) error {
		n = tag.RowsAffected()
		return nil
	})
	if err := db.SendBatch(ctx, b).Close(); err != nil {
		return 0, fmt.Errorf("ticketing: renewing the claims of %s: %w", owner, err)
	}
	return int(n), nil
}

// releaseClaimsSQL hands back the claims of the owners $1, costing no
// attempt when $2.
const releaseClaimsSQL = `
UPDATE outbox SET lease_owner = NULL, lease_until = NULL,
    attempts = attempts - CASE WHEN $2 AND attempts > 0 THEN 1 ELSE 0 END
WHERE lease_owner = ANY ($1) AND ` + leasedQueued

// ReleaseClaims hands back every notification the owners claimed and have
// not recorded a result for, so that any sender may claim them at once.
// With untried the claims' attempts are taken back too (a sender stopping
// hands back what it did not try); without, they count (the owner died,
// perhaps while sending). It returns how many it released.
func ReleaseClaims(ctx context.Context, db DB, owners []string, untried bool) (int, error) {
	tag, err := db.Exec(ctx, releaseClaimsSQL, owners, untried)
	if err != nil {
		return 0, fmt.Errorf("ticketing: releasing claims: %w", err)
	}
	return int(tag.RowsAffected()), nil
}

// claimOwnersSQL counts the claimed notifications of each owner.
const claimOwnersSQL = `SELECT lease_owner, count(*) FROM outbox WHERE lease_owner IS NOT NULL AND ` + leasedQueued + ` GROUP BY 1`

// ClaimOwners returns how many notifications each owner holds claimed.
func ClaimOwners(ctx context.Context, db DB) (map[string]int, error) {
	rows, err := db.Query(ctx, claimOwnersSQL)
	if err != nil {
		return nil, fmt.Errorf("ticketing: reading claim owners: %w", err)
	}
	owners := map[string]int{}
	var o string
	var n int
	_, err = pgx.ForEachRow(rows, []any{&o, &n}, func() error { owners[o] = n; return nil })
	if err != nil {
		return nil, fmt.Errorf("ticketing: reading claim owners: %w", err)
	}
	return owners, nil
}
