package mailout

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
)

// DefaultHeartbeat is how often, at most, the SMTP side's last success is
// rewritten while nothing changes.
const DefaultHeartbeat = 15 * time.Second

// stateRecorder writes the SMTP side's state to the one row of smtp_state,
// so that `deskgate status` in another process can read it: a failure at
// once (a new one, or the same one again after a heartbeat), a success at
// once after a failure and otherwise at most once per heartbeat, so that
// sending costs no extra statement per message. A write that fails is let
// go; the database fault is logged by whatever else meets it.
type stateRecorder struct {
	pool  *pgxpool.Pool
	every time.Duration

	mu        sync.Mutex
	okAt      time.Time // last success written
	failing   bool      // the last write was a failure
	lastError string
	errAt     time.Time // last failure written
}

const (
	recordSMTPOKSQL    = `UPDATE smtp_state SET last_ok_at = now()`
	recordSMTPErrorSQL = `UPDATE smtp_state SET last_error = $1, last_error_at = now(), auth_failed = $2`
	recordBreakerSQL   = `
UPDATE smtp_state SET breaker_open = $1, breaker_until = $2,
       breaker_since = CASE WHEN breaker_open = $1 AND breaker_since IS NOT NULL THEN breaker_since ELSE now() END`
)

// ok records a session that worked.
func (r *stateRecorder) ok(ctx context.Context) {
	r.mu.Lock()
	if !r.failing && time.Since(r.okAt) < r.every {
		r.mu.Unlock()
		return
	}
	r.okAt, r.failing = time.Now(), false
	r.mu.Unlock()
	r.exec(ctx, recordSMTPOKSQL)
}

// failed records a failure of a session or of a transaction as a whole;
// auth says the server refused the login.
func (r *stateRecorder) failed(ctx context.Context, reply string, auth bool) {
	r.mu.Lock()
	if r.failing && reply == r.lastError && time.Since(r.errAt) < r.every {
		r.mu.Unlock()
		return
	}
	r.failing, r.lastError, r.errAt = true, reply, time.Now()
	r.mu.Unlock()
	r.exec(ctx, recordSMTPErrorSQL, reply, auth)
}

// breaker records the circuit breaker's state; until is when it is
// checked again while open.
func (r *stateRecorder) breaker(ctx context.Context, open bool, until time.Time) {
	var u *time.Time
	if open {
		u = &until
	}
	r.exec(ctx, recordBreakerSQL, open, u)
}

// exec runs one write, within recordTimeout even when ctx is done (the
// last state of a stopping sender is still worth recording).
func (r *stateRecorder) exec(ctx context.Context, sql string, args ...any) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), recordTimeout)
	defer cancel()
	_, _ = r.pool.Exec(ctx, sql, args...)
}

// SMTPState is the SMTP side as `deskgate status` shows it. Times never
// recorded are zero.
type SMTPState struct {
	LastOK       time.Time // a session last worked
	LastError    string    // the last failure of a session or transaction, with the server's reply
	LastErrorAt  time.Time
	AuthFailed   bool      // the last failure was a rejected login
	BreakerOpen  bool      // automatic mail is held back
	BreakerSince time.Time // when the breaker last opened or closed
	BreakerUntil time.Time // while open: when it is checked again
}

const smtpStateSQL = `
SELECT last_ok_at, last_error, last_error_at, auth_failed, breaker_open, breaker_since, breaker_until FROM smtp_state`

// ReadSMTPState returns the SMTP side's recorded state.
func ReadSMTPState(ctx context.Context, pool *pgxpool.Pool) (SMTPState, error) {
	var st SMTPState
	var ok, errAt, since, until *time.Time
	err := pool.QueryRow(ctx, smtpStateSQL).Scan(&ok, &st.LastError, &errAt, &st.AuthFailed, &st.BreakerOpen, &since, &until)
	if err != nil {
		return st, fmt.Errorf("mailout: reading the SMTP state: %w", err)
	}
	for _, p := range []struct {
		from *time.Time
		to   *time.Time
	}{{ok, &st.LastOK}, {errAt, &st.LastErrorAt}, {since, &st.BreakerSince}, {until, &st.BreakerUntil}} {
		if p.from != nil {
			*p.to = *p.from
		}
	}
	return st, nil
}
