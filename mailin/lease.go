package mailin

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
)

// errLeaseLost means another process holds the mailbox's lease now.
var errLeaseLost = errors.New("mailin: mailbox lease lost")

const ensureMailboxSQL = `INSERT INTO mailboxes (name) VALUES ($1) ON CONFLICT (name) DO NOTHING`

// ensureMailbox creates the mailbox's row if it does not exist yet.
func ensureMailbox(ctx context.Context, pool *pgxpool.Pool, name string) error {
	if _, err := pool.Exec(ctx, ensureMailboxSQL, name); err != nil {
		return dbErr(fmt.Errorf("mailin: create mailbox row %q: %w", name, err))
	}
	return nil
}

// acquireLeaseSQL takes the lease if it is free, expired or already ours.
// All times are the database's, so clocks of deskgate hosts do not matter.
const acquireLeaseSQL = `
UPDATE mailboxes
   SET lease_owner = $2, lease_until = now() + $3::bigint * interval '1 millisecond'
 WHERE name = $1
   AND (lease_owner IS NULL OR lease_until IS NULL OR lease_until <= now() OR lease_owner = $2)`

// acquireLease reports whether owner now holds the lease on mailbox name
// for ttl.
func acquireLease(ctx context.Context, pool *pgxpool.Pool, name, owner string, ttl time.Duration) (bool, error) {
	tag, err := pool.Exec(ctx, acquireLeaseSQL, name, owner, ttl.Milliseconds())
	if err != nil {
		return false, dbErr(fmt.Errorf("mailin: acquire lease on %q: %w", name, err))
	}
	return tag.RowsAffected() == 1, nil
}

// renewLeaseSQL extends our lease. It does not require the lease to be
// unexpired: if it lapsed and nobody took it, nobody else moved the cursor.
const renewLeaseSQL = `
UPDATE mailboxes
   SET lease_until = now() + $3::bigint * interval '1 millisecond'
 WHERE name = $1 AND lease_owner = $2`

// renewLease extends owner's lease on mailbox name; it returns errLeaseLost
// if another process took it.
func renewLease(ctx context.Context, pool *pgxpool.Pool, name, owner string, ttl time.Duration) error {
	tag, err := pool.Exec(ctx, renewLeaseSQL, name, owner, ttl.Milliseconds())
	if err != nil {
		return dbErr(fmt.Errorf("mailin: renew lease on %q: %w", name, err))
	}
	if tag.RowsAffected() == 0 {
		return errLeaseLost
	}
	return nil
}

const releaseLeaseSQL = `
UPDATE mailboxes SET lease_owner = NULL, lease_until = NULL,
       state = 'stopped', state_since = now(), state_at = now()
 WHERE name = $1 AND lease_owner = $2`

// releaseLease gives up owner's lease so that a standby can take over at
// once, and records the mailbox as stopped (a standby that takes over
// records its own state). It reports whether owner held the lease.
func releaseLease(ctx context.Context, pool *pgxpool.Pool, name, owner string) (bool, error) {
	tag, err := pool.Exec(ctx, releaseLeaseSQL, name, owner)
	if err != nil {
		return false, dbErr(fmt.Errorf("mailin: release lease on %q: %w", name, err))
	}
	return tag.RowsAffected() == 1, nil
}

const cursorSQL = `SELECT uidvalidity, last_uid FROM mailboxes WHERE name = $1`

// loadCursor returns the mailbox's sync cursor.
func loadCursor(ctx context.Context, pool *pgxpool.Pool, name string) (uidValidity, lastUID uint32, err error) {
	var v, u int64
	if err := pool.QueryRow(ctx, cursorSQL, name).Scan(&v, &u); err != nil {
		return 0, 0, dbErr(fmt.Errorf("mailin: load cursor of %q: %w", name, err))
	}
	return uint32(v), uint32(u), nil
}

const leaseOwnerSQL = `SELECT coalesce(lease_owner, '') FROM mailboxes WHERE name = $1`

// leaseOwner returns who holds the lease on mailbox name, "" if nobody.
func leaseOwner(ctx context.Context, pool *pgxpool.Pool, name string) (string, error) {
	var o string
	if err := pool.QueryRow(ctx, leaseOwnerSQL, name).Scan(&o); err != nil {
		return "", dbErr(fmt.Errorf("mailin: read lease owner of %q: %w", name, err))
	}
	return o, nil
}

// takeLeaseSQL takes the lease from a holder known to be dead, whether or
// not it has expired, unless someone else took it first.
const takeLeaseSQL = `
UPDATE mailboxes
   SET lease_owner = $3, lease_until = now() + $4::bigint * interval '1 millisecond'
 WHERE name = $1 AND lease_owner = $2`

// takeLease gives owner the lease on mailbox name that dead holds, and
// reports whether it did.
func takeLease(ctx context.Context, pool *pgxpool.Pool, name, dead, owner string, ttl time.Duration) (bool, error) {
	tag, err := pool.Exec(ctx, takeLeaseSQL, name, dead, owner, ttl.Milliseconds())
	if err != nil {
		return false, dbErr(fmt.Errorf("mailin: take over lease on %q: %w", name, err))
	}
	return tag.RowsAffected() == 1, nil
}
