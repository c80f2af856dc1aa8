package main

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/deskgate/deskgate/internal/imapmem"
	"github.com/deskgate/deskgate/internal/mailgen"
	"github.com/deskgate/deskgate/internal/smtpmem"
	"github.com/deskgate/deskgate/internal/tokenmem"
)

// oauthConfigYAML is a desk whose mailbox logs in with a delegated
// Microsoft login and whose SMTP side uses client credentials, both from
// tokens; secrets is the desk.secrets line ("" for none).
func oauthConfigYAML(t *testing.T, tokens *tokenmem.Server, imapAddr, smtpAddr, secrets string) string {
	ih, ip := splitHostPort(imapAddr)
	sh, sp := splitHostPort(smtpAddr)
	path := filepath.Join(t.TempDir(), "deskgate.yaml")
	yaml := `desk:
  name: Test Desk
  address: help@desk.example
` + secrets + `
http: {listen: "127.0.0.1:0"}
smtp:
  host: ` + sh + `
  port: ` + strconv.Itoa(sp) + `
  tls: plain
  username: help@desk.example
  oauth2: {provider: microsoft, flow: client_credentials, tenant: t, client_id: app, client_secret: "${CLIENT_SECRET}", token_url: "` + tokens.TokenURL + `"}
mailboxes:
  - name: support
    host: ` + ih + `
    port: ` + strconv.Itoa(ip) + `
    tls: plain
    username: help@desk.example
    poll_interval: 1s
    existing_mail: normal
    oauth2:
      provider: microsoft
      flow: delegated
      tenant: t
      client_id: app
      client_secret: ${CLIENT_SECRET}
      token_url: ` + tokens.TokenURL + `
      device_auth_url: ` + tokens.DeviceURL + `
`
	if err := os.WriteFile(path, []byte(yaml), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// TestAuthLoginThenServe: deskgate auth login stores a delegated login,
// then serve ingests and answers mail for four token lifetimes (tokens live
// 2 seconds, rotate at each refresh, and both servers refuse expired
// ones).
func TestAuthLoginThenServe(t *testing.T) {
	pool := useDatabase(t)
	ctx := context.Background()
	t.Setenv("CLIENT_SECRET", "s3cret")
	tokens := tokenmem.Start(tokenmem.Options{ClientID: "app", ClientSecret: "s3cret", Rotate: true})
	defer tokens.Close()
	valid := func(_, tok string) bool { return tokens.Valid(tok) }
	imap, err := imapmem.Start(imapmem.Options{Username: "help@desk.example", ValidToken: valid})
	if err != nil {
		t.Fatal(err)
	}
	defer imap.Close()
	smtp, err := smtpmem.Start(smtpmem.Options{ValidToken: valid})
	if err != nil {
		t.Fatal(err)
	}
	defer smtp.Close()
	log := slog.New(slog.NewTextHandler(t.Output(), &slog.HandlerOptions{Level: slog.LevelInfo}))

	noSecrets := oauthConfigYAML(t, tokens, imap.Addr(), smtp.Addr(), "")
	if err := authCmd(ctx, []string{"login", "-config", noSecrets, "support"}, strings.NewReader(""), io.Discard, log); err == nil ||
		!strings.Contains(err.Error(), "add desk.secrets") {
		t.Fatalf("auth login without desk.secrets = %v; want a refusal naming desk.secrets", err)
	}
	path := oauthConfigYAML(t, tokens, imap.Addr(), smtp.Addr(), "  secrets: [{id: 1, secret: "+demoSecret+"}]")
	for _, name := range []string{"nosuch", "smtp"} {
		if err := authCmd(ctx, []string{"login", "-config", path, name}, strings.NewReader(""), io.Discard, log); err == nil {
			t.Errorf("auth login %s succeeded; want an error (no such mailbox; client credentials need no login)", name)
		}
	}
	var out bytes.Buffer
	if err := authCmd(ctx, []string{"login", "-config", path, "support"}, strings.NewReader(""), &out, log); err != nil {
		t.Fatalf("auth login support = %v", err)
	}
	if !strings.Contains(out.String(), "ABCD-EFGH") || !strings.Contains(out.String(), "signed in") {
		t.Errorf("auth login wrote %q; want the device code and the outcome", out.String())
	}

	cfg, err := loadConfig(path)
	if err != nil {
		t.Fatal(err)
	}
	runCtx, cancel := context.WithCancel(ctx)
	served := make(chan error, 1)
	go func() { served <- serve(runCtx, cfg, pool, log) }()
	gen := mailgen.New(mailgen.Options{Seed: 3})
	const n = 32 // one each 250ms: 8 seconds, four token lifetimes
	for i := range n {
		if _, err := imap.Append("INBOX", gen.Message(i)); err != nil {
			t.Fatal(err)
		}
		time.Sleep(250 * time.Millisecond)
	}
	if err := waitProcessed(ctx, pool, n, served); err != nil {
		t.Fatal(err)
	}
	wctx, wcancel := context.WithTimeout(ctx, 30*time.Second)
	defer wcancel()
	if _, err := smtp.Wait(wctx, n); err != nil {
		t.Fatalf("acknowledgements: %v (%d of %d delivered)", err, len(smtp.Messages()), n)
	}
	cancel()
	if err := <-served; err != nil {
		t.Fatalf("serve = %v, want nil after cancel", err)
	}
	if r, c := tokens.Count("refresh_token"), tokens.Count("client_credentials"); r < 3 || c < 3 {
		t.Errorf("tokens refreshed %d times for IMAP and issued %d times for SMTP; want at least 3 each (one per lifetime)", r, c)
	}
}

// TestConfigCheckConnectOAuth2: config check -connect logs in with the
// same token sources as serve: a delegated mailbox nobody signed in for
// and a client secret the provider refuses are login failures naming the
// provider's reason; after auth login and with the right secret, all pass.
func TestConfigCheckConnectOAuth2(t *testing.T) {
	useDatabase(t)
	ctx := context.Background()
	tokens := tokenmem.Start(tokenmem.Options{ClientID: "app", ClientSecret: "s3cret"})
	defer tokens.Close()
	valid := func(_, tok string) bool { return tokens.Valid(tok) }
	imap, err := imapmem.Start(imapmem.Options{Username: "help@desk.example", ValidToken: valid})
	if err != nil {
		t.Fatal(err)
	}
	defer imap.Close()
	smtp, err := smtpmem.Start(smtpmem.Options{ValidToken: valid})
	if err != nil {
		t.Fatal(err)
	}
	defer smtp.Close()
	path := oauthConfigYAML(t, tokens, imap.Addr(), smtp.Addr(), "  secrets: [{id: 1, secret: "+demoSecret+"}]")
	check := func() (string, error) {
		var out bytes.Buffer
		err := run(ctx, []string{"config", "check", "-connect", "-config", path}, &out, io.Discard)
		return out.String(), err
	}

	t.Setenv("CLIENT_SECRET", "expired-secret")
	out, err := check()
	if err == nil {
		t.Errorf("config check -connect with a refused secret succeeded:\n%s", out)
	}
	for _, want := range []string{"mailbox support: login failed: ", "login_required", "smtp: login failed: ", "invalid_client", "database: OK"} {
		if !strings.Contains(out, want) {
			t.Errorf("config check -connect printed\n%s\nwant %q in it", out, want)
		}
	}

	t.Setenv("CLIENT_SECRET", "s3cret")
	log := slog.New(slog.DiscardHandler)
	if err := authCmd(ctx, []string{"login", "-config", path, "support"}, strings.NewReader(""), io.Discard, log); err != nil {
		t.Fatalf("auth login support = %v", err)
	}
	if out, err := check(); err != nil || strings.Contains(out, "failed") {
		t.Errorf("config check -connect after auth login = %v:\n%s\nwant every check OK", err, out)
	}
}
