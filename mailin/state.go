package mailin

import (
	"cmp"
	"context"
	"fmt"
	"log/slog"
	"slices"
	"time"

	"github.com/emersion/go-imap/v2"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

// State is a mailbox's state as the process syncing it last recorded it
// (column mailboxes.state).
type State string

// States of a mailbox.
const (
	StateNever       State = "never"       // no process has synced it yet
	StateConnected   State = "connected"   // logged in, folder selected
	StateCatchingUp  State = "catching_up" // more than a batch above the cursor being captured
	StateIdle        State = "idle"        // caught up, waiting for news
	StateAuthFailed  State = "auth_failed" // the server refused the login
	StateUnreachable State = "unreachable" // no session: network, TLS, timeout or the server's error
	StateStopped     State = "stopped"     // its process released the lease at a normal stop
)

// DefaultHeartbeat is how often, at most, a recorder rewrites a state that
// has not changed (with the messages behind and the last successful sync),
// and records a change between the healthy states during a sync.
const DefaultHeartbeat = 15 * time.Second

// recorder writes a mailbox's state to its row while the Syncer holds the
// lease: at once when the mailbox fails or settles into a new state, and
// otherwise at most once per heartbeat, so that ingest costs no extra
// statement per message or per batch. A write that fails is let go: the
// database fault is logged by whatever else meets it, and the next write
// carries the state.
type recorder struct {
	pool  *pgxpool.Pool
	name  string
	owner string
	every time.Duration
	log   *slog.Logger

	state   State
	behind  int64
	written time.Time // zero: nothing written in this lease
	relogin bool      // the session ended to log in with a renewed token
}

// recordStateSQL writes the state, fenced by the lease. $4 says the sync
// reached the end of the folder; $5, when not empty, is the error.
const recordStateSQL = `
UPDATE mailboxes
   SET state = $3, behind = $6, state_at = now(),
       state_since = CASE WHEN state = $3 AND state_since IS NOT NULL THEN state_since ELSE now() END,
       last_ok_at = CASE WHEN $4 THEN now() ELSE last_ok_at END,
       last_error = CASE WHEN $5 <> '' THEN $5 ELSE last_error END,
       last_error_at = CASE WHEN $5 <> '' THEN now() ELSE last_error_at END
 WHERE name = $1 AND lease_owner = $2`

// stateTimeout bounds one write of the state, so that a database that does
// not answer holds up syncing no longer than this.
const stateTimeout = 5 * time.Second

// write records st now.
func (r *recorder) write(ctx context.Context, st State, behind int64, ok bool, errText string) {
	if st != r.state && st != StateAuthFailed && st != StateUnreachable { // failures are logged by their source
		r.log.Info("mailin: mailbox state changed", "state", st, "previous", cmp.Or(r.state, StateStopped), "behind", behind)
	}
	r.state, r.behind, r.written, r.relogin = st, behind, time.Now(), false
	ctx, cancel := context.WithTimeout(ctx, stateTimeout)
	defer cancel()
	if _, err := r.pool.Exec(ctx, recordStateSQL, r.name, r.owner, string(st), ok, errText, behind); err != nil && ctx.Err() == nil {
		r.log.Debug("mailin: cannot record the mailbox's state", "state", st, "err", err)
	}
}

// due reports whether a heartbeat is due.
func (r *recorder) due() bool { return r.written.IsZero() || time.Since(r.written) >= r.every }

// connected records a new session with the folder selected, and an
// estimate of the messages above the cursor. The session that follows an
// idle one ended only to renew its OAuth2 token (renewing) is no change.
func (r *recorder) connected(ctx context.Context, behind int64) {
	if r.relogin && r.state == StateIdle {
		r.relogin, r.behind = false, behind
		return
	}
	r.write(ctx, StateConnected, behind, false, "")
}

// renewing notes that the session ended only to log in again with a
// renewed OAuth2 token.
func (r *recorder) renewing() { r.relogin = true }

// catchingUp records that behind messages are above the cursor: a change
// of state when they are more than a batch, a heartbeat otherwise.
func (r *recorder) catchingUp(ctx context.Context, behind int64, batch int) {
	switch {
	case behind > int64(batch) && r.state != StateCatchingUp:
		r.write(ctx, StateCatchingUp, behind, false, "")
	case r.due():
		r.write(ctx, r.state, behind, false, "")
	default:
		r.behind = behind
	}
}

// synced records a sync that reached the end of the folder.
func (r *recorder) synced(ctx context.Context) {
	if r.state != StateIdle || r.due() {
		r.write(ctx, StateIdle, 0, true, "")
	}
}

// failed records a session that ended with err, which did not come from
// the database.
func (r *recorder) failed(ctx context.Context, err error) {
	st := StateUnreachable
	if AuthFailed(err) {
		st = StateAuthFailed
	}
	r.write(ctx, st, r.behind, false, err.Error())
}

// MailboxState is one mailbox's row as `deskgate status` shows it.
type MailboxState struct {
	Name        string
	State       State
	Since       time.Time // when it entered State
	Updated     time.Time // when State was last written
	LastSync    time.Time // the last sync that reached the end of the folder
	LastError   string    // the last session's failure, with the server's reply
	LastErrorAt time.Time
	Behind      int64  // messages above the cursor when last written
	Owner       string // the process holding the lease, if it is current
}

const mailboxStatesSQL = `
SELECT name, state, state_since, state_at, last_ok_at, last_error, last_error_at, behind,
       CASE WHEN lease_until > now() THEN coalesce(lease_owner, '') ELSE '' END
  FROM mailboxes ORDER BY name`

// MailboxStates returns the recorded state of every mailbox that has a row.
// Times never recorded are zero.
func MailboxStates(ctx context.Context, pool *pgxpool.Pool) ([]MailboxState, error) {
	rows, _ := pool.Query(ctx, mailboxStatesSQL)
	var out []MailboxState
	var m MailboxState
	var since, updated, synced, errAt *time.Time
	_, err := pgx.ForEachRow(rows, []any{&m.Name, &m.State, &since, &updated, &synced, &m.LastError, &errAt, &m.Behind, &m.Owner}, func() error {
		m.Since, m.Updated, m.LastSync, m.LastErrorAt = orZero(since), orZero(updated), orZero(synced), orZero(errAt)
		out = append(out, m)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("mailin: reading mailbox states: %w", err)
	}
	return out, nil
}

// orZero returns *t, or the zero time for a NULL.
func orZero(t *time.Time) time.Time {
	if t == nil {
		return time.Time{}
	}
	return *t
}

// behindAtSelect estimates the messages above the cursor from the SELECT:
// the UIDs between the cursor and UIDNEXT, at most the messages in the
// folder (UIDs of deleted mail leave gaps). Without UIDNEXT it is 0.
func behindAtSelect(sel *imap.SelectData, lastUID uint32) int64 {
	if sel.UIDNext == 0 || uint32(sel.UIDNext) <= lastUID+1 {
		return 0
	}
	return min(int64(uint32(sel.UIDNext)-1-lastUID), int64(sel.NumMessages))
}

// above returns how many of infos, sorted by UID, are above uid.
func above(infos []msgInfo, uid uint32) int64 {
	i, _ := slices.BinarySearchFunc(infos, uid, func(m msgInfo, u uint32) int { return cmp.Compare(m.uid, u) })
	for i < len(infos) && infos[i].uid <= uid {
		i++
	}
	return int64(len(infos) - i)
}
