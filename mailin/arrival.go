package mailin

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
)

// Handling is how a captured message is handled, decided when it is
// captured and stored with it (inbound.handling).
type Handling string

// Handlings, and the values of Mailbox.ExistingMail.
const (
	// HandleNormal: a new ticket or a reply like any other.
	HandleNormal Handling = "normal"
	// HandleQuiet: ticketed, but ticketing sends no automatic mail about
	// it and starts no SLA clock; the ticket's events say why.
	HandleQuiet Handling = "quiet"
	// HandleSkip: recorded, raw, with no ticket (inbound status ignored).
	HandleSkip Handling = "skip"
)

// Handlings lists the values of Mailbox.ExistingMail.
func Handlings() []Handling { return []Handling{HandleQuiet, HandleNormal, HandleSkip} }

// Reasons stored with quiet and skipped mail. SkipReason is also the
// reason of the inbound record, which shows no ticket.
const (
	QuietReason = "in the mailbox before deskgate was connected to it (existing_mail: quiet)"
	SkipReason  = "present before the mailbox was connected (existing_mail: skip)"
)

// firstStart is where the mail already in the folder at the first
// successful SELECT ends: the UIDs below uidNext under uidValidity. A
// folder rebuilt under another UIDVALIDITY holds no such mail (its
// messages were captured before, and are recognised by their SHA-256, or
// are new); the age rule still applies to them.
type firstStart struct {
	uidValidity, uidNext uint32
	known                bool // false until recorded
}

// existing reports whether message uid under uidValidity was in the
// folder before the mailbox was connected.
func (f firstStart) existing(uidValidity, uid uint32) bool {
	return f.known && f.uidValidity == uidValidity && uid < f.uidNext
}

const firstStartSQL = `SELECT coalesce(first_uidvalidity, 0), first_uidnext FROM mailboxes WHERE name = $1`

// recordFirstStartSQL records the boundary once, fenced by the lease.
const recordFirstStartSQL = `
UPDATE mailboxes SET first_uidvalidity = $2, first_uidnext = $3
 WHERE name = $1 AND first_uidnext IS NULL AND lease_owner = $4 AND lease_until > now()`

// loadFirstStart reads the mailbox's first-start boundary; known is false
// when the mailbox was never selected.
func loadFirstStart(ctx context.Context, pool *pgxpool.Pool, name string) (firstStart, error) {
	var v int64
	var next *int64
	if err := pool.QueryRow(ctx, firstStartSQL, name).Scan(&v, &next); err != nil {
		return firstStart{}, dbErr(fmt.Errorf("mailin: load first start of %q: %w", name, err))
	}
	if next == nil {
		return firstStart{}, nil
	}
	return firstStart{uidValidity: uint32(v), uidNext: uint32(*next), known: true}, nil
}

// recordFirstStart stores the boundary of a mailbox selected for the first
// time, unless one is stored already, and returns the stored one.
func recordFirstStart(ctx context.Context, pool *pgxpool.Pool, name, owner string, uidValidity, uidNext uint32) (firstStart, error) {
	if _, err := pool.Exec(ctx, recordFirstStartSQL, name, int64(uidValidity), int64(uidNext), owner); err != nil {
		return firstStart{}, dbErr(fmt.Errorf("mailin: record first start of %q: %w", name, err))
	}
	f, err := loadFirstStart(ctx, pool, name)
	if err == nil && !f.known {
		return f, errLeaseLost
	}
	return f, err
}

// firstSelect records, at the first successful SELECT of the mailbox, the
// UIDNEXT the server reported: the mail below it was there before. A
// server that reports no UIDNEXT leaves it to the first size scan
// (settleFirstStart).
func (s *Syncer) firstSelect(ctx context.Context, cn *conn, uidNext uint32) error {
	f, err := loadFirstStart(ctx, s.pool, s.mb.Name)
	if err != nil || f.known || uidNext == 0 {
		cn.first = f
		return err
	}
	cn.first, err = recordFirstStart(ctx, s.pool, s.mb.Name, s.owner, cn.uidValidity, uidNext)
	if err == nil {
		s.logFirstStart(cn, uidNext-1)
	}
	return err
}

// settleFirstStart records the boundary from the first size scan, for a
// server that reported no UIDNEXT: everything up to the highest UID found.
func (s *Syncer) settleFirstStart(ctx context.Context, cn *conn, infos []msgInfo) error {
	if cn.first.known {
		return nil
	}
	highest := cn.lastUID
	for _, in := range infos {
		highest = max(highest, in.uid)
	}
	var err error
	cn.first, err = recordFirstStart(ctx, s.pool, s.mb.Name, s.owner, cn.uidValidity, highest+1)
	if err == nil {
		s.logFirstStart(cn, highest)
	}
	return err
}

func (s *Syncer) logFirstStart(cn *conn, last uint32) {
	if last <= cn.lastUID {
		s.log.Info("mailin: first start: the folder holds no mail yet", "folder", s.mb.Folder)
		return
	}
	s.log.Info("mailin: first start: mail already in the folder is handled as existing_mail says",
		"folder", s.mb.Folder, "existing_mail", s.mb.ExistingMail, "up_to_uid", last)
}

// decide sets how m is handled: mail that was in the folder before the
// mailbox was connected as ExistingMail says, and mail older than
// MaxAgeToAnswer when captured (after downtime) quietly.
func (s *Syncer) decide(cn *conn, m *fetchedMessage, now time.Time) {
	m.handling, m.handlingReason = HandleNormal, ""
	if cn.first.existing(cn.uidValidity, m.uid) {
		switch s.mb.ExistingMail {
		case HandleQuiet:
			m.handling, m.handlingReason = HandleQuiet, QuietReason
			return
		case HandleSkip:
			m.handling, m.handlingReason = HandleSkip, SkipReason
			return
		}
	}
	if age := now.Sub(m.internalDate); !m.internalDate.IsZero() && age > s.mb.MaxAgeToAnswer {
		m.handling = HandleQuiet
		m.handlingReason = fmt.Sprintf("received %s, %s before deskgate captured it: older than max_age_to_answer (%s)",
			m.internalDate.UTC().Format("2006-01-02 15:04 MST"), roughDuration(age), roughDuration(s.mb.MaxAgeToAnswer))
	}
}

// roughDuration writes d to the minute, without zero units: 3h, 170h5m.
func roughDuration(d time.Duration) string {
	s := d.Round(time.Minute).String()
	s = strings.TrimSuffix(s, "0s")
	if strings.HasSuffix(s, "h0m") {
		s = strings.TrimSuffix(s, "0m")
	}
	return s
}
