package oauth

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
	"golang.org/x/oauth2"
)

// Store keeps the Delegated flow's tokens in table oauth_tokens, one row
// per name, encrypted with Keys. Several processes share a row: one
// refreshes under the row's lock while the others wait and then use the
// access token it stored.
type Store struct {
	pool *pgxpool.Pool
	keys *Keys
}

// NewStore returns a store on pool encrypting with keys.
func NewStore(pool *pgxpool.Pool, keys *Keys) *Store { return &Store{pool: pool, keys: keys} }

// Save stores tok's refresh token (and its access token) under name,
// replacing any stored before: the end of a login.
func (st *Store) Save(ctx context.Context, name string, tok *oauth2.Token) error {
	if tok.RefreshToken == "" {
		return fmt.Errorf("oauth: %s: the provider issued no refresh token", name)
	}
	return st.write(ctx, st.pool, name, tok, tok.RefreshToken, time.Now())
}

const upsertToken = `
INSERT INTO oauth_tokens (name, key_id, refresh_token, access_token, access_expiry, issued_at, updated_at)
VALUES ($1, $2, $3, $4, $5, $6, now())
ON CONFLICT (name) DO UPDATE SET key_id = $2, refresh_token = $3, access_token = $4,
	access_expiry = $5, issued_at = $6, updated_at = now()`

type execer interface {
	Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error)
}

// write stores tok's access token and the refresh token rt under name,
// all encrypted with the first key.
func (st *Store) write(ctx context.Context, db execer, name string, tok *oauth2.Token, rt string, issued time.Time) error {
	id, sealedRT := st.keys.seal(rt, name+"/refresh")
	_, sealedAT := st.keys.seal(tok.AccessToken, name+"/access")
	var expiry *time.Time
	if !tok.Expiry.IsZero() {
		expiry = &tok.Expiry
	}
	if _, err := db.Exec(ctx, upsertToken, name, int(id), sealedRT, sealedAT, expiry, issued); err != nil {
		return fmt.Errorf("oauth: %s: storing the token: %w", name, err)
	}
	return nil
}

const selectToken = `
SELECT key_id, refresh_token, access_token, access_expiry, issued_at FROM oauth_tokens WHERE name = $1`

// stored is one row, decrypted.
type stored struct {
	refresh, access string
	expiry, issued  time.Time
}

// read returns the row of name, locking it when lock is set;
// pgx.ErrNoRows when there is none.
func (st *Store) read(ctx context.Context, q pgx.Tx, name string, lock bool) (stored, error) {
	sql := selectToken
	if lock {
		sql += " FOR UPDATE"
	}
	var (
		keyID      int
		rt, at     []byte
		expiry     *time.Time
		s          stored
		queryRower interface {
			QueryRow(context.Context, string, ...any) pgx.Row
		} = st.pool
	)
	if q != nil {
		queryRower = q
	}
	if err := queryRower.QueryRow(ctx, sql, name).Scan(&keyID, &rt, &at, &expiry, &s.issued); err != nil {
		return s, err
	}
	var err error
	if s.refresh, err = st.keys.open(byte(keyID), rt, name+"/refresh"); err != nil {
		return s, err
	}
	if at != nil {
		if s.access, err = st.keys.open(byte(keyID), at, name+"/access"); err != nil {
			return s, err
		}
	}
	if expiry != nil {
		s.expiry = *expiry
	}
	return s, nil
}

// token returns a fresh access token for cfg.Name: the stored one if it is
// fresh, else one refreshed under the row's lock, the rotated refresh
// token (if the provider sent one) stored in the same transaction.
// Another process that refreshed while this one waited for the lock is
// trusted: its token is used and the provider is not asked again.
func (st *Store) token(ctx context.Context, cfg Config, now time.Time, clock func() time.Time) (*oauth2.Token, time.Time, error) {
	s, err := st.read(ctx, nil, cfg.Name, false)
	switch {
	case errors.Is(err, pgx.ErrNoRows):
		return nil, time.Time{}, noLogin(cfg.Name)
	case errors.Is(err, errUnreadable):
		return nil, time.Time{}, unreadable(cfg.Name, err)
	case err != nil:
		return nil, time.Time{}, fmt.Errorf("oauth: %s: reading the stored token: %w", cfg.Name, err)
	case s.access != "" && fresh(s.issued, s.expiry, now):
		return &oauth2.Token{AccessToken: s.access, Expiry: s.expiry}, s.issued, nil
	}
	var tok *oauth2.Token
	var issued time.Time
	err = pgx.BeginFunc(ctx, st.pool, func(tx pgx.Tx) error {
		s, err := st.read(ctx, tx, cfg.Name, true)
		if errors.Is(err, pgx.ErrNoRows) {
			return noLogin(cfg.Name)
		} else if errors.Is(err, errUnreadable) {
			return unreadable(cfg.Name, err)
		} else if err != nil {
			return fmt.Errorf("oauth: %s: reading the stored token: %w", cfg.Name, err)
		}
		if now := clock(); s.access != "" && fresh(s.issued, s.expiry, now) {
			tok, issued = &oauth2.Token{AccessToken: s.access, Expiry: s.expiry}, s.issued
			return nil
		}
		issued = clock()
		t, err := cfg.oauth2Config().TokenSource(ctx, &oauth2.Token{RefreshToken: s.refresh}).Token()
		if err != nil {
			return refused(cfg.Name, err)
		}
		rt := s.refresh
		if t.RefreshToken != "" {
			rt = t.RefreshToken // rotated
		}
		tok = t
		return st.write(ctx, tx, cfg.Name, t, rt, issued)
	})
	return tok, issued, err
}

// unreadable is the error of a stored login that no listed desk secret
// decrypts: it needs a new login (or the old secret listed again).
func unreadable(name string, err error) error {
	return &RefreshError{Name: name, Code: "login_unreadable",
		Description: fmt.Sprintf("%v; list that secret in desk.secrets again, or run: deskgate auth login %s", err, name), Err: err}
}

// noLogin is the error of a Delegated source with nothing stored.
func noLogin(name string) error {
	return &RefreshError{Name: name, Code: "login_required",
		Description: fmt.Sprintf("no refresh token stored; run: deskgate auth login %s", name), Err: ErrNoLogin}
}
