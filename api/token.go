package api

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/deskgate/deskgate/ticketing"
)

// Token scopes: a read token may only GET; a write token may also change.
const (
	ScopeRead  = "read"
	ScopeWrite = "write"
)

// tokenPrefix starts every API token, so that secret scanners and people
// can tell one.
const tokenPrefix = "dg_"

// Token is an API token as listed: never its secret, which only its
// creator saw.
type Token struct {
	ID         int64      `json:"id"`
	Agent      string     `json:"agent"`
	Scope      string     `json:"scope"`
	CreatedAt  time.Time  `json:"created_at"`
	ExpiresAt  *time.Time `json:"expires_at"`
	RevokedAt  *time.Time `json:"revoked_at"`
	LastUsedAt *time.Time `json:"last_used_at"`
}

func hashToken(secret string) []byte {
	h := sha256.Sum256([]byte(secret))
	return h[:]
}

const createTokenSQL = `
INSERT INTO api_tokens (hash, agent, scope, expires_at) VALUES ($1, $2, $3, $4) RETURNING id`

// CreateToken makes a token acting as agent with scope, expiring after
// expires (0: never), and returns its id and its secret, which is stored
// only as a hash.
func CreateToken(ctx context.Context, db ticketing.DB, agent, scope string, expires time.Duration) (int64, string, error) {
	if scope != ScopeRead && scope != ScopeWrite {
		return 0, "", fmt.Errorf("scope %q: want read or write", scope)
	}
	if expires < 0 {
		return 0, "", fmt.Errorf("expiry %v: want a positive duration", expires)
	}
	b := make([]byte, 32)
	rand.Read(b)
	secret := tokenPrefix + base64.RawURLEncoding.EncodeToString(b)
	var at any
	if expires > 0 {
		at = time.Now().Add(expires)
	}
	var id int64
	if err := db.QueryRow(ctx, createTokenSQL, hashToken(secret), strings.ToLower(agent), scope, at).Scan(&id); err != nil {
		return 0, "", fmt.Errorf("api: creating a token: %w", err)
	}
	return id, secret, nil
}

const listTokensSQL = `
SELECT id, agent, scope, created_at, expires_at, revoked_at, last_used_at FROM api_tokens ORDER BY id`

// ListTokens lists every token, revoked and expired ones too.
func ListTokens(ctx context.Context, db ticketing.DB) ([]Token, error) {
	rows, err := db.Query(ctx, listTokensSQL)
	if err != nil {
		return nil, fmt.Errorf("api: listing tokens: %w", err)
	}
	ts, err := pgx.CollectRows(rows, pgx.RowToStructByPos[Token])
	if err != nil {
		return nil, fmt.Errorf("api: listing tokens: %w", err)
	}
	return ts, nil
}

// RevokeToken revokes token id at once; every request with it is refused
// from then on.
func RevokeToken(ctx context.Context, db ticketing.DB, id int64) error {
	tag, err := db.Exec(ctx, `UPDATE api_tokens SET revoked_at = coalesce(revoked_at, now()) WHERE id = $1`, id)
	if err != nil {
		return fmt.Errorf("api: revoking token %d: %w", id, err)
	}
	if tag.RowsAffected() == 0 {
		return fmt.Errorf("token %d: %w", id, ticketing.ErrNotFound)
	}
	return nil
}

// identity is who a request acts as.
type identity struct {
	token int64
	agent string
	scope string
}

// errToken is a request's token refused, with the reason.
type errToken string

func (e errToken) Error() string { return string(e) }

const lookupTokenSQL = `
SELECT id, agent, scope, expires_at, revoked_at, last_used_at < now() - interval '1 minute' OR last_used_at IS NULL
FROM api_tokens WHERE hash = $1`

// authenticate finds the token secret, refusing an unknown, revoked or
// expired one, and records its use (at most once a minute).
func authenticate(ctx context.Context, db ticketing.DB, secret string) (identity, error) {
	var id identity
	var expires, revoked *time.Time
	var stale bool
	err := db.QueryRow(ctx, lookupTokenSQL, hashToken(secret)).Scan(&id.token, &id.agent, &id.scope, &expires, &revoked, &stale)
	switch {
	case errors.Is(err, pgx.ErrNoRows):
		return id, errToken("unknown token")
	case err != nil:
		return id, fmt.Errorf("api: reading token: %w", err)
	case revoked != nil:
		return id, errToken(fmt.Sprintf("token %d was revoked", id.token))
	case expires != nil && !expires.After(time.Now()):
		return id, errToken(fmt.Sprintf("token %d expired at %s", id.token, expires.UTC().Format(time.RFC3339)))
	}
	if stale {
		if _, err := db.Exec(ctx, `UPDATE api_tokens SET last_used_at = now() WHERE id = $1`, id.token); err != nil {
			return id, fmt.Errorf("api: recording token use: %w", err)
		}
	}
	return id, nil
}
