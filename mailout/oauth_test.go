package mailout

import (
	"context"
	"log/slog"
	"strings"
	"testing"
	"time"

	"golang.org/x/oauth2"

	"deskgate/internal/smtpmem"
	"deskgate/internal/tokenmem"
	"deskgate/oauth"
)

// TestSendAcrossTokenExpiries: access tokens live 2 seconds and the server
// refuses expired ones; the worker's connection is dropped while idle
// after each expiry, as servers drop idle connections. Each reconnect must
// log in with a fresh token: every message is delivered once.
func TestSendAcrossTokenExpiries(t *testing.T) {
	t.Parallel()
	tokens := tokenmem.Start(tokenmem.Options{ClientID: "app", ClientSecret: "s3cret"})
	defer tokens.Close()
	e := newEnv(t, smtpmem.Options{ValidToken: func(user, tok string) bool { return user == "desk@desk.example" && tokens.Valid(tok) }})
	src, err := oauth.New(oauth.Config{Name: "smtp", Provider: oauth.Microsoft, Flow: oauth.ClientCredentials,
		Tenant: "t", ClientID: "app", ClientSecret: "s3cret", TokenURL: tokens.TokenURL}, nil, e.logger())
	if err != nil {
		t.Fatal(err)
	}
	cfg := e.config()
	cfg.Workers = 1
	cfg.SMTP.Username, cfg.SMTP.OAuth2 = "desk@desk.example", src
	e.start(cfg)
	const expiries = 3
	for i := range expiries + 1 {
		id := e.insert(row{})[0]
		e.waitStatus(id, "sent", 15*time.Second)
		if i == expiries {
			break
		}
		tok, _ := src.Token(context.Background())
		for tokens.Valid(tok) { // the token of the last login expires
			time.Sleep(50 * time.Millisecond)
		}
		e.srv.DropConnections()
	}
	if n := len(e.srv.Messages()); n != expiries+1 {
		t.Errorf("delivered %d messages, want %d", n, expiries+1)
	}
}

// TestRevokedTokenMailWaits: while the provider refuses the token (consent
// revoked), mail waits queued without using up attempts, the refusal is
// logged at ERROR with the provider's reason, and after a new login it is
// sent.
func TestRevokedTokenMailWaits(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	tokens := tokenmem.Start(tokenmem.Options{ClientID: "app"})
	defer tokens.Close()
	e := newEnv(t, smtpmem.Options{ValidToken: func(user, tok string) bool { return tokens.Valid(tok) }})
	keys, err := oauth.NewKeys(1, map[byte][]byte{1: []byte("0123456789abcdef0123456789abcdef")})
	if err != nil {
		t.Fatal(err)
	}
	store := oauth.NewStore(e.pool, keys)
	src, err := oauth.New(oauth.Config{Name: "smtp", Provider: oauth.Microsoft, Flow: oauth.Delegated, Tenant: "t",
		ClientID: "app", TokenURL: tokens.TokenURL, RetryMin: 20 * time.Millisecond, RetryMax: 50 * time.Millisecond}, store, e.logger())
	if err != nil {
		t.Fatal(err)
	}
	stale := time.Now().Add(-time.Minute)
	store.Save(ctx, "smtp", &oauth2.Token{AccessToken: "stale", RefreshToken: tokens.Refresh(), Expiry: stale})
	tokens.Revoke()
	cfg := e.config()
	cfg.MaxAttempts = 2
	cfg.SMTP.Username, cfg.SMTP.OAuth2 = "desk@desk.example", src
	id := e.insert(row{})[0]
	_, stop := e.start(cfg)
	for deadline := time.Now().Add(10 * time.Second); e.logs.count(slog.LevelError, "oauth: token refused") < 5; {
		if time.Now().After(deadline) {
			t.Fatalf("refused tokens logged at ERROR: %d after 10s, want 5", e.logs.count(slog.LevelError, "oauth: token refused"))
		}
		time.Sleep(20 * time.Millisecond)
	}
	if err := stop(); err != nil { // its claims handed back, so the row is read at rest
		t.Fatal(err)
	}
	if r := e.row(id); r.Status != "queued" || r.Attempts != 0 {
		t.Fatalf("outbox row while the token is refused = %s after %d attempts; want queued, none counted", r.Status, r.Attempts)
	}
	if !strings.Contains(e.text.String(), "AADSTS50173") {
		t.Error("the provider's error description is not in the log")
	}
	store.Save(ctx, "smtp", &oauth2.Token{AccessToken: "stale", RefreshToken: tokens.Refresh(), Expiry: stale}) // auth login again
	e.start(cfg)
	e.waitStatus(id, "sent", 10*time.Second)
}
