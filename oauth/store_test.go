package oauth

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/oauth2"

	"github.com/deskgate/deskgate/internal/dbtest"
	"github.com/deskgate/deskgate/internal/tokenmem"
)

// TestKeysRotation: what the first key sealed, keys that list it among
// others open after a rotation; keys without it say so.
func TestKeysRotation(t *testing.T) {
	old := testKeys(t, 1, 1)
	id, sealed := old.seal("refresh-token", "support/refresh")
	if id != 1 || strings.Contains(string(sealed), "refresh-token") {
		t.Fatalf("seal = key %d, %q; want key 1, encrypted", id, sealed)
	}
	rotated := testKeys(t, 2, 2, 1)
	if got, err := rotated.open(id, sealed, "support/refresh"); err != nil || got != "refresh-token" {
		t.Errorf("open after rotation = %q, %v; want refresh-token", got, err)
	}
	if _, err := rotated.open(id, sealed, "smtp/refresh"); err == nil {
		t.Error("open under another row's name succeeded; want an error")
	}
	if _, err := testKeys(t, 2, 2).open(id, sealed, "support/refresh"); !errors.Is(err, errUnknownKey) {
		t.Errorf("open without key 1 = %v; want errUnknownKey", err)
	}
}

// TestStoreKeyRotation: a login stored under key 1 is refreshed after key
// 2 went first, and is then stored under key 2, which alone opens it.
func TestStoreKeyRotation(t *testing.T) {
	ctx := context.Background()
	pool := dbtest.Pool(t)
	srv := tokenmem.Start(tokenmem.Options{ClientID: "client-1", Rotate: true})
	defer srv.Close()
	log, _ := testLogger(t)
	if err := NewStore(pool, testKeys(t, 1, 1)).Save(ctx, "support",
		&oauth2.Token{AccessToken: "x", RefreshToken: srv.Refresh(), Expiry: time.Now().Add(-time.Minute)}); err != nil {
		t.Fatal(err)
	}
	var raw []byte
	pool.QueryRow(ctx, `SELECT refresh_token FROM oauth_tokens`).Scan(&raw)
	if strings.Contains(string(raw), "rt-") {
		t.Fatalf("stored refresh token is readable: %q", raw)
	}
	src, err := New(delegated("support", srv), NewStore(pool, testKeys(t, 2, 2, 1)), log)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := src.Token(ctx); err != nil {
		t.Fatalf("Token() after rotation = %v", err)
	}
	var keyID int
	pool.QueryRow(ctx, `SELECT key_id FROM oauth_tokens WHERE name = 'support'`).Scan(&keyID)
	if keyID != 2 {
		t.Errorf("key_id after refresh = %d, want 2", keyID)
	}
	if _, err := NewStore(pool, testKeys(t, 2, 2)).read(ctx, nil, "support", false); err != nil {
		t.Errorf("read with key 2 alone = %v", err)
	}
	// A login whose key is no longer listed is an authentication failure
	// that says what to do.
	src, _ = New(delegated("support", srv), NewStore(pool, testKeys(t, 3, 3)), log)
	_, err = src.Token(ctx)
	var re *RefreshError
	if !errors.As(err, &re) || re.Code != "login_unreadable" || !strings.Contains(err.Error(), "deskgate auth login support") {
		t.Errorf("Token() with the key gone = %v; want a RefreshError login_unreadable naming the command", err)
	}
}

// TestRotationPersisted: each refresh's new refresh token is stored, the
// retired one is no longer accepted, and tokens keep coming across
// several expiries.
func TestRotationPersisted(t *testing.T) {
	ctx := context.Background()
	pool := dbtest.Pool(t)
	srv := tokenmem.Start(tokenmem.Options{ClientID: "client-1", Rotate: true})
	defer srv.Close()
	log, _ := testLogger(t)
	store := NewStore(pool, testKeys(t, 1, 1))
	first := srv.Refresh()
	if err := store.Save(ctx, "support", &oauth2.Token{AccessToken: "stale", RefreshToken: first, Expiry: time.Now().Add(-time.Minute)}); err != nil {
		t.Fatal(err)
	}
	src, _ := New(delegated("support", srv), store, log)
	var c clock
	src.now = c.now
	prev, seen := first, map[string]bool{}
	for i := range 4 {
		tok, err := src.Token(ctx)
		if err != nil {
			t.Fatalf("Token() #%d = %v", i, err)
		}
		if seen[tok] {
			t.Fatalf("Token() #%d repeated an access token after its expiry", i)
		}
		seen[tok] = true
		s, err := store.read(ctx, nil, "support", false)
		if err != nil {
			t.Fatal(err)
		}
		if s.refresh == prev || !srv.RefreshValid(s.refresh) || srv.RefreshValid(prev) {
			t.Fatalf("after refresh #%d the stored refresh token is not the rotated one", i)
		}
		prev = s.refresh
		c.advance(3 * time.Second) // past the 2s lifetime
	}
	if n := srv.Count("refresh_token"); n != 4 {
		t.Errorf("refreshes = %d, want 4", n)
	}
}

// TestSharedRefresh: two processes' sources on one database, asking at
// once for an expired token, refresh it once; the rest read it.
func TestSharedRefresh(t *testing.T) {
	ctx := context.Background()
	pool := dbtest.Pool(t)
	srv := tokenmem.Start(tokenmem.Options{ClientID: "client-1", Rotate: true, Lifetime: time.Hour})
	defer srv.Close()
	log, _ := testLogger(t)
	if err := NewStore(pool, testKeys(t, 1, 1)).Save(ctx, "support",
		&oauth2.Token{AccessToken: "stale", RefreshToken: srv.Refresh(), Expiry: time.Now().Add(-time.Minute)}); err != nil {
		t.Fatal(err)
	}
	var srcs []*Source
	for range 2 {
		s, _ := New(delegated("support", srv), NewStore(pool, testKeys(t, 1, 1)), log)
		srcs = append(srcs, s)
	}
	var wg sync.WaitGroup
	toks := make([]string, 16)
	errs := make([]error, 16)
	for i := range toks {
		wg.Go(func() { toks[i], errs[i] = srcs[i%2].Token(ctx) })
	}
	wg.Wait()
	for i := range toks {
		if errs[i] != nil || toks[i] != toks[0] {
			t.Fatalf("Token() #%d = %q, %v; want %q", i, toks[i], errs[i], toks[0])
		}
	}
	if n := srv.Count("refresh_token"); n != 1 {
		t.Errorf("refreshes = %d, want exactly 1", n)
	}
}

// TestRevokedThenRelogin: a revoked consent is a *RefreshError with the
// provider's reason, logged at ERROR, not retried before the back-off;
// after a new login it recovers.
func TestRevokedThenRelogin(t *testing.T) {
	ctx := context.Background()
	pool := dbtest.Pool(t)
	srv := tokenmem.Start(tokenmem.Options{ClientID: "client-1"})
	defer srv.Close()
	log, logs := testLogger(t)
	store := NewStore(pool, testKeys(t, 1, 1))
	store.Save(ctx, "support", &oauth2.Token{AccessToken: "stale", RefreshToken: srv.Refresh(), Expiry: time.Now().Add(-time.Minute)})
	src, _ := New(delegated("support", srv), store, log)
	var c clock
	src.now = c.now
	srv.Revoke()
	_, err := src.Token(ctx)
	var re *RefreshError
	if !errors.As(err, &re) || re.Code != "invalid_grant" || !strings.Contains(re.Description, "revoked") || re.Name != "support" {
		t.Fatalf("Token() after revocation = %v; want a RefreshError invalid_grant with the description", err)
	}
	errLines := logs.lines("ERROR")
	if len(errLines) != 1 || !strings.Contains(errLines[0], "invalid_grant") || !strings.Contains(errLines[0], "AADSTS50173") {
		t.Fatalf("ERROR lines = %q; want one with the provider's error and description", errLines)
	}
	if _, err2 := src.Token(ctx); !errors.As(err2, &re) {
		t.Fatalf("Token() within the back-off = %v; want the same RefreshError", err2)
	}
	if len(logs.lines("ERROR")) != 1 {
		t.Errorf("a call within the back-off asked the provider again")
	}
	if err := store.Save(ctx, "support", &oauth2.Token{AccessToken: "stale", RefreshToken: srv.Refresh(), Expiry: time.Now().Add(-time.Minute)}); err != nil {
		t.Fatal(err)
	}
	c.advance(time.Minute) // the back-off (RetryMin) has passed
	tok, err := src.Token(ctx)
	if err != nil || !srv.Valid(tok) {
		t.Fatalf("Token() after a new login = %q, %v; want a valid token", tok, err)
	}
}

// TestNoLogin: a delegated source with nothing stored says how to log in.
func TestNoLogin(t *testing.T) {
	srv := tokenmem.Start(tokenmem.Options{ClientID: "client-1"})
	defer srv.Close()
	log, _ := testLogger(t)
	src, _ := New(delegated("sales", srv), NewStore(dbtest.Pool(t), testKeys(t, 1, 1)), log)
	_, err := src.Token(context.Background())
	var re *RefreshError
	if !errors.As(err, &re) || !errors.Is(err, ErrNoLogin) || !strings.Contains(err.Error(), "deskgate auth login sales") {
		t.Fatalf("Token() = %v; want a RefreshError wrapping ErrNoLogin naming the command", err)
	}
}
