package mailout

import (
	"context"
	"log/slog"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/oauth2"

	"github.com/deskgate/deskgate/internal/smtpmem"
	"github.com/deskgate/deskgate/internal/tokenmem"
	"github.com/deskgate/deskgate/oauth"
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

// refusingSource is a token source whose provider refuses every token; it
// counts how often it is asked.
type refusingSource struct{ asked atomic.Int64 }

func (s *refusingSource) Token(context.Context) (string, error) {
	s.asked.Add(1)
	return "", &oauth.RefreshError{Name: "smtp", Code: "invalid_grant", Description: "AADSTS50173: the grant was revoked"}
}

// TestRefusedTokenPausesSending: without a token no login can work, so the
// sender pauses as after a refused login: the rest of the backlog is not
// claimed and handed back batch after batch while the token is refused
// (before, each worker cycled through every due email at once, asking the
// token source once per batch).
func TestRefusedTokenPausesSending(t *testing.T) {
	t.Parallel()
	e := newEnv(t, smtpmem.Options{})
	rows := make([]row, 20)
	ids := e.insert(rows...)
	src := &refusingSource{}
	cfg := e.config()
	cfg.Workers, cfg.Batch = 1, 1
	cfg.RetryBase, cfg.RetryMax = time.Hour, 2*time.Hour
	cfg.SMTP.Username, cfg.SMTP.OAuth2 = "desk@desk.example", src
	_, stop := e.start(cfg)
	e.waitRow(ids[0], 10*time.Second, "handed back for an hour", func(r outboxRow) bool {
		return r.NextAttemptAt.After(time.Now().Add(30 * time.Minute))
	})
	if err := stop(); err != nil {
		t.Fatal(err)
	}
	e.waitIdle()
	var handedBack int
	if err := e.pool.QueryRow(context.Background(),
		`SELECT count(*) FROM outbox WHERE next_attempt_at > now() + interval '30 minutes'`).Scan(&handedBack); err != nil {
		t.Fatal(err)
	}
	if n := src.asked.Load(); n != 1 || handedBack != 1 {
		t.Errorf("the token source was asked %d times and %d emails were handed back, want 1 and 1 (paused for smtp.retry_base)", n, handedBack)
	}
	for _, id := range ids {
		if r := e.row(id); r.Status != "queued" || r.Attempts != 0 {
			t.Errorf("row %d while the token is refused = %s after %d attempts, want queued, none counted", id, r.Status, r.Attempts)
		}
	}
}
