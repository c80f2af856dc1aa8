package ticketing

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
)

// Contact is someone deskgate has written to or heard from.
type Contact struct {
	Address  string `json:"address"`
	Language string `json:"language"` // set explicitly; "" follows their mail
	// SuppressedUntil: automatic mail to them is suppressed until then,
	// after a permanent bounce (SuppressedReason).
	SuppressedUntil  *time.Time `json:"suppressed_until"`
	SuppressedReason string     `json:"suppressed_reason"`
}

const getContactSQL = `SELECT address, language, suppressed_until, suppressed_reason FROM contacts WHERE address = $1`

// GetContact returns the contact of address, or ErrNotFound.
func GetContact(ctx context.Context, db DB, address string) (Contact, error) {
	rows, err := db.Query(ctx, getContactSQL, lower(address))
	if err != nil {
		return Contact{}, fmt.Errorf("ticketing: reading contact %s: %w", address, err)
	}
	c, err := pgx.CollectExactlyOneRow(rows, pgx.RowToStructByPos[Contact])
	if errors.Is(err, pgx.ErrNoRows) {
		return Contact{}, fmt.Errorf("contact %s: %w", strings.TrimSpace(address), ErrNotFound)
	}
	if err != nil {
		return Contact{}, fmt.Errorf("ticketing: reading contact %s: %w", address, err)
	}
	return c, nil
}

// LiftSuppression lets automatic mail go to address again after a bounce
// suppressed it.
func LiftSuppression(ctx context.Context, db DB, address string) error {
	tag, err := db.Exec(ctx, `UPDATE contacts SET suppressed_until = NULL, suppressed_reason = '' WHERE address = $1`, lower(address))
	if err != nil {
		return fmt.Errorf("ticketing: lifting the suppression of %s: %w", address, err)
	}
	if tag.RowsAffected() == 0 {
		return fmt.Errorf("contact %s: %w", strings.TrimSpace(address), ErrNotFound)
	}
	return nil
}

// StoredAttachment is an attachment with its content.
type StoredAttachment struct {
	AttachmentInfo
	Ticket int64
	Data   []byte
}

const getAttachmentSQL = `
SELECT a.id, a.filename, a.content_type, a.size, encode(a.sha256, 'hex'), m.ticket_id, b.data
FROM attachments a JOIN messages m ON m.id = a.message_id JOIN blobs b ON b.sha256 = a.sha256 WHERE a.id = $1`

// GetAttachment returns attachment id with its content, or ErrNotFound.
func GetAttachment(ctx context.Context, db DB, id int64) (StoredAttachment, error) {
	var a StoredAttachment
	err := db.QueryRow(ctx, getAttachmentSQL, id).Scan(&a.ID, &a.Filename, &a.ContentType, &a.Size, &a.SHA256, &a.Ticket, &a.Data)
	if errors.Is(err, pgx.ErrNoRows) {
		return a, fmt.Errorf("attachment %d: %w", id, ErrNotFound)
	}
	if err != nil {
		return a, fmt.Errorf("ticketing: reading attachment %d: %w", id, err)
	}
	return a, nil
}
