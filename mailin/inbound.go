package mailin

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/deskgate/deskgate/ticketing"
)

// ErrNotFound is returned for an inbound record that does not exist.
var ErrNotFound = errors.New("not found")

// Record is one captured message and what became of it. Its JSON form is
// a stable contract for scripts and monitoring.
type Record struct {
	ID          int64             `json:"id"`
	Mailbox     string            `json:"mailbox"`
	UIDValidity int64             `json:"uidvalidity"`
	UID         int64             `json:"uid"`
	MessageID   string            `json:"message_id"`
	Subject     string            `json:"subject"`
	From        ticketing.Address `json:"from"`
	Class       string            `json:"class"`
	Status      string            `json:"status"`
	Reason      string            `json:"reason"`
	Ticket      *int64            `json:"ticket"`
	// ThreadEvidence is what decided the ticket; null until processed and
	// for messages that joined none.
	ThreadEvidence *ticketing.Evidence `json:"thread_evidence"`
	Text           string              `json:"text"`
	Size           int64               `json:"size"`
	SHA256         string              `json:"sha256"`
	Truncated      bool                `json:"truncated"`
	// Handling is how it was handled, decided at capture: normal, quiet
	// (no automatic mail, no SLA clock) or skip (no ticket);
	// HandlingReason says why when not normal.
	Handling       string     `json:"handling"`
	HandlingReason string     `json:"handling_reason"`
	CapturedAt     time.Time  `json:"captured_at"`
	ProcessedAt    *time.Time `json:"processed_at"`
	// RawRemoved says what removed its raw bytes ("retention" or
	// "erasure"), and when; "" and nil while they are kept.
	RawRemoved   string     `json:"raw_removed"`
	RawRemovedAt *time.Time `json:"raw_removed_at"`
}

const recordColumns = `id, mailbox, uidvalidity, uid, message_id, subject, from_name, from_addr, class,
    status, reason, ticket_id,
    coalesce((SELECT m.text_body FROM messages m WHERE m.ticket_id = inbound.ticket_id AND m.inbound_id = inbound.id), text_body),
    size, encode(sha256, 'hex'), truncated, captured_at, processed_at,
    evidence_kind, evidence_value, handling, handling_reason, raw_removed_by, raw_removed_at`

func scanRecord(row pgx.CollectableRow) (Record, error) {
	var r Record
	var ev ticketing.Evidence
	err := row.Scan(&r.ID, &r.Mailbox, &r.UIDValidity, &r.UID, &r.MessageID, &r.Subject, &r.From.Name,
		&r.From.Address, &r.Class, &r.Status, &r.Reason, &r.Ticket, &r.Text, &r.Size, &r.SHA256,
		&r.Truncated, &r.CapturedAt, &r.ProcessedAt, &ev.Kind, &ev.Value, &r.Handling, &r.HandlingReason, &r.RawRemoved, &r.RawRemovedAt)
	if ev.Kind != "" {
		r.ThreadEvidence = &ev
	}
	return r, err
}

const listInboundSQL = `SELECT ` + recordColumns + ` FROM inbound
WHERE ($1 = '' OR status = $1) ORDER BY id DESC LIMIT $2`

// ListInbound returns the newest captured messages first, optionally only
// those with the given status.
func ListInbound(ctx context.Context, db ticketing.DB, status string, limit int) ([]Record, error) {
	rows, err := db.Query(ctx, listInboundSQL, status, limit)
	if err != nil {
		return nil, fmt.Errorf("mailin: listing inbound: %w", err)
	}
	rs, err := pgx.CollectRows(rows, scanRecord)
	if err != nil {
		return nil, fmt.Errorf("mailin: listing inbound: %w", err)
	}
	return rs, nil
}

const getInboundSQL = `SELECT ` + recordColumns + ` FROM inbound WHERE id = $1`

const getRawSQL = `SELECT raw FROM inbound WHERE id = $1`

// GetInbound returns captured message id with its raw bytes, or ErrNotFound.
func GetInbound(ctx context.Context, db ticketing.DB, id int64) (Record, []byte, error) {
	rows, err := db.Query(ctx, getInboundSQL, id)
	if err != nil {
		return Record{}, nil, fmt.Errorf("mailin: reading inbound %d: %w", id, err)
	}
	r, err := pgx.CollectExactlyOneRow(rows, scanRecord)
	if errors.Is(err, pgx.ErrNoRows) {
		return Record{}, nil, fmt.Errorf("inbound message %d: %w", id, ErrNotFound)
	}
	if err != nil {
		return Record{}, nil, fmt.Errorf("mailin: reading inbound %d: %w", id, err)
	}
	var raw []byte
	if err := db.QueryRow(ctx, getRawSQL, id).Scan(&raw); err != nil {
		return Record{}, nil, fmt.Errorf("mailin: reading inbound %d: %w", id, err)
	}
	return r, raw, nil
}

const retrySQL = `
UPDATE inbound SET status = 'pending', reason = ''
WHERE status = 'quarantined' AND ($1 = 0 OR id = $1)`

// RetryQuarantined puts quarantined message id (or, with id 0, every
// quarantined message) back in line for processing and returns how many.
func RetryQuarantined(ctx context.Context, db ticketing.DB, id int64) (int64, error) {
	tag, err := db.Exec(ctx, retrySQL, id)
	if err != nil {
		return 0, fmt.Errorf("mailin: retrying quarantined mail: %w", err)
	}
	return tag.RowsAffected(), nil
}

const quarantinedSQL = `SELECT count(*) FROM inbound WHERE status = 'quarantined'`

// CountQuarantined returns how many captured messages are quarantined.
func CountQuarantined(ctx context.Context, db ticketing.DB) (int64, error) {
	var n int64
	if err := db.QueryRow(ctx, quarantinedSQL).Scan(&n); err != nil {
		return 0, fmt.Errorf("mailin: counting quarantined mail: %w", err)
	}
	return n, nil
}

// InboundStatuses lists the statuses of a captured message: pending until
// processed, then what became of it.
func InboundStatuses() []string {
	return []string{"pending", ticketing.StatusTicketed, ticketing.StatusAttached, ticketing.StatusIgnored, ticketing.StatusQuarantined}
}
