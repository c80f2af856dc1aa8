package mailin

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"golang.org/x/oauth2"

	"github.com/deskgate/deskgate/internal/imapmem"
	"github.com/deskgate/deskgate/internal/tokenmem"
	"github.com/deskgate/deskgate/oauth"
)

// TestIngestAcrossTokenExpiries: access tokens live 2 seconds, and the
// server refuses expired ones and ends a session once its token expires,
// as Microsoft 365 does. Mail arriving for four lifetimes is captured once
// each: every reconnect logs in with a fresh token.
func TestIngestAcrossTokenExpiries(t *testing.T) {
	t.Parallel()
	tokens := tokenmem.Start(tokenmem.Options{ClientID: "app", ClientSecret: "s3cret"})
	defer tokens.Close()
	e := newEnv(t, imapmem.Options{Password: "unused", ValidToken: func(_, tok string) bool { return tokens.Valid(tok) }})
	src, err := oauth.New(oauth.Config{Name: "desk", Provider: oauth.Microsoft, Flow: oauth.ClientCredentials,
		Tenant: "t", ClientID: "app", ClientSecret: "s3cret", TokenURL: tokens.TokenURL}, nil, e.logger())
	if err != nil {
		t.Fatal(err)
	}
	e.mb.Password, e.mb.OAuth2 = "", src
	e.start(e.syncer("a"))
	const n = 40 // one each 200ms: 8 seconds, four token lifetimes
	for i := range n {
		e.append("INBOX", message(i, ""))
		e.waitCount(i+1, 10*time.Second)
		time.Sleep(200 * time.Millisecond)
	}
	seen := map[int64]bool{}
	for _, r := range e.rows() {
		if seen[r.UID] {
			t.Errorf("UID %d captured twice", r.UID)
		}
		seen[r.UID] = true
	}
	if got := tokens.Count("client_credentials"); got < 4 {
		t.Errorf("tokens issued = %d, want at least 4 (one per lifetime)", got)
	}
	// Sessions end before their token does, by our choice: nothing fails.
	if got := e.logs.find("source=imap"); len(got) != 0 {
		t.Errorf("logged about the IMAP session %d times, want none (a renewed token is a planned reconnect):\n%s", len(got), strings.Join(got, "\n"))
	}
}

// TestRevokedTokenThenRelogin: a revoked consent stops the login, logged
// at ERROR with the provider's reason as a rejected login; mail waits in
// the mailbox and is captured after a new login.
func TestRevokedTokenThenRelogin(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	tokens := tokenmem.Start(tokenmem.Options{ClientID: "app"})
	defer tokens.Close()
	e := newEnv(t, imapmem.Options{Password: "unused", ValidToken: func(_, tok string) bool { return tokens.Valid(tok) }})
	keys, err := oauth.NewKeys(1, map[byte][]byte{1: []byte("0123456789abcdef0123456789abcdef")})
	if err != nil {
		t.Fatal(err)
	}
	store := oauth.NewStore(e.pool, keys)
	stale := time.Now().Add(-time.Minute)
	store.Save(ctx, "desk", &oauth2.Token{AccessToken: "stale", RefreshToken: tokens.Refresh(), Expiry: stale})
	tokens.Revoke()
	src, err := oauth.New(oauth.Config{Name: "desk", Provider: oauth.Microsoft, Flow: oauth.Delegated, Tenant: "t",
		ClientID: "app", TokenURL: tokens.TokenURL, RetryMin: 10 * time.Millisecond, RetryMax: 20 * time.Millisecond}, store, e.logger())
	if err != nil {
		t.Fatal(err)
	}
	e.mb.Password, e.mb.OAuth2 = "", src
	s := e.syncer("a")
	s.backoffMax = 50 * time.Millisecond
	e.append("INBOX", message(0, ""))
	e.start(s)
	e.waitLogged("ERROR ", "oauth: token refused", "invalid_grant", "AADSTS50173")
	e.waitLogged("ERROR ", "mailin: IMAP login rejected", "invalid_grant")
	if n := e.count(); n != 0 {
		t.Fatalf("captured %d messages without a token", n)
	}
	var state, lastErr string
	if err := e.pool.QueryRow(ctx, `SELECT state, last_error FROM mailboxes WHERE name = 'desk'`).Scan(&state, &lastErr); err != nil {
		t.Fatal(err)
	}
	if state != "auth_failed" || !strings.Contains(lastErr, "invalid_grant") {
		t.Errorf("mailbox state = %q, last error %q; want auth_failed with the provider's invalid_grant", state, lastErr)
	}
	store.Save(ctx, "desk", &oauth2.Token{AccessToken: "stale", RefreshToken: tokens.Refresh(), Expiry: stale}) // auth login again
	e.waitCount(1, 10*time.Second)
}

// TestTokenRenewalKeepsState: a session that ends itself to log in with a
// renewed token (hourly with Microsoft 365) is no change of the mailbox's
// state: it stays idle since it first was, instead of "connected" and
// "idle" again with each token, so that status's SINCE is never older
// than the token's lifetime.
func TestTokenRenewalKeepsState(t *testing.T) {
	t.Parallel()
	tokens := tokenmem.Start(tokenmem.Options{ClientID: "app", ClientSecret: "s3cret"})
	defer tokens.Close()
	e := newEnv(t, imapmem.Options{Password: "unused", ValidToken: func(_, tok string) bool { return tokens.Valid(tok) }})
	src, err := oauth.New(oauth.Config{Name: "desk", Provider: oauth.Microsoft, Flow: oauth.ClientCredentials,
		Tenant: "t", ClientID: "app", ClientSecret: "s3cret", TokenURL: tokens.TokenURL}, nil, e.logger())
	if err != nil {
		t.Fatal(err)
	}
	e.mb.Password, e.mb.OAuth2 = "", src
	e.start(e.syncer("a"))
	first := e.waitState("desk", StateIdle)
	eventually(t, 15*time.Second, func() error { // two renewals, each a new session
		if n := tokens.Count("client_credentials"); n < 3 {
			return fmt.Errorf("tokens issued = %d, want 3", n)
		}
		return nil
	})
	if m := e.waitState("desk", StateIdle); !m.Since.Equal(first.Since) {
		t.Errorf("idle since %v after two token renewals, want since %v (the first sync)", m.Since, first.Since)
	}
}
