package oauth

import (
	"bufio"
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/deskgate/deskgate/internal/dbtest"
	"github.com/deskgate/deskgate/internal/tokenmem"
)

// TestClientCredentialsSecret: the app-only flow with a secret, and the
// provider's answer to an expired secret.
func TestClientCredentialsSecret(t *testing.T) {
	srv := tokenmem.Start(tokenmem.Options{ClientID: "app", ClientSecret: "s3cret"})
	defer srv.Close()
	log, logs := testLogger(t)
	cfg := Config{Name: "support", Provider: Microsoft, Flow: ClientCredentials, Tenant: "t", ClientID: "app",
		ClientSecret: "s3cret", TokenURL: srv.TokenURL}
	src, err := New(cfg, nil, log)
	if err != nil {
		t.Fatal(err)
	}
	tok, err := src.Token(context.Background())
	if err != nil || !srv.Valid(tok) {
		t.Fatalf("Token() = %q, %v; want a valid token", tok, err)
	}
	cfg.ClientSecret = "old"
	src, _ = New(cfg, nil, log)
	_, err = src.Token(context.Background())
	var re *RefreshError
	if !errors.As(err, &re) || re.Code != "invalid_client" || !strings.Contains(re.Description, "AADSTS7000222") {
		t.Fatalf("Token() with an expired secret = %v; want a RefreshError invalid_client", err)
	}
	if len(logs.lines("ERROR")) != 1 {
		t.Errorf("ERROR lines = %d, want 1", len(logs.lines("ERROR")))
	}
}

// TestClientCredentialsCertificate: the signed client assertion is
// checked by the token endpoint (signature, thumbprints, aud, iss, sub,
// jti, nbf, exp), and is made anew for each token.
func TestClientCredentialsCertificate(t *testing.T) {
	cert, certFile, keyFile := certificate(t, t.TempDir(), time.Now().Add(365*24*time.Hour))
	srv := tokenmem.Start(tokenmem.Options{ClientID: "app", Certificate: cert})
	defer srv.Close()
	log, _ := testLogger(t)
	src, err := New(Config{Name: "smtp", Provider: Microsoft, Flow: ClientCredentials, Tenant: "t", ClientID: "app",
		CertificateFile: certFile, KeyFile: keyFile, TokenURL: srv.TokenURL}, nil, log)
	if err != nil {
		t.Fatal(err)
	}
	var c clock
	src.now = c.now
	for range 2 {
		if tok, err := src.Token(context.Background()); err != nil || !srv.Valid(tok) {
			t.Fatalf("Token() = %q, %v; want a valid token", tok, err)
		}
		c.advance(time.Hour)
	}
	claims := srv.Claims()
	if len(claims) != 2 || claims[0]["jti"] == claims[1]["jti"] || claims[0]["aud"] != srv.TokenURL {
		t.Errorf("assertions = %v; want two with their own jti, for the token endpoint", claims)
	}
}

// TestServiceAccount: Google's JWT grant for the mailbox as subject with
// the mail scope.
func TestServiceAccount(t *testing.T) {
	dir := t.TempDir()
	path, pub := serviceAccountFile(t, dir, "desk@project.iam.gserviceaccount.com")
	srv := tokenmem.Start(tokenmem.Options{ServiceAccount: "desk@project.iam.gserviceaccount.com", ServiceAccountKey: pub})
	defer srv.Close()
	log, _ := testLogger(t)
	src, err := New(Config{Name: "support", Provider: Google, Flow: ServiceAccount, ServiceAccountFile: path,
		Subject: "support@example.com", TokenURL: srv.TokenURL}, nil, log)
	if err != nil {
		t.Fatal(err)
	}
	if tok, err := src.Token(context.Background()); err != nil || !srv.Valid(tok) {
		t.Fatalf("Token() = %q, %v; want a valid token", tok, err)
	}
	c := srv.Claims()
	if len(c) != 1 || c[0]["sub"] != "support@example.com" || c[0]["scope"] != GoogleScope {
		t.Errorf("JWT claims = %v; want sub support@example.com and scope %s", c, GoogleScope)
	}
}

// TestDeviceLogin: the device-code flow shows the code, waits through
// authorization_pending, and stores the refresh token, which then serves.
func TestDeviceLogin(t *testing.T) {
	ctx := context.Background()
	pool := dbtest.Pool(t)
	srv := tokenmem.Start(tokenmem.Options{ClientID: "client-1", Pending: 1})
	defer srv.Close()
	store := NewStore(pool, testKeys(t, 1, 1))
	var out strings.Builder
	if err := Login(ctx, delegated("support", srv), store, strings.NewReader(""), &out); err != nil {
		t.Fatalf("Login() = %v", err)
	}
	if !strings.Contains(out.String(), "ABCD-EFGH") || !strings.Contains(out.String(), "https://microsoft.com/devicelogin") {
		t.Errorf("Login() wrote %q; want the code and the address", out.String())
	}
	log, _ := testLogger(t)
	src, _ := New(delegated("support", srv), store, log)
	if tok, err := src.Token(ctx); err != nil || !srv.Valid(tok) {
		t.Fatalf("Token() after login = %q, %v", tok, err)
	}
}

// googleDelegated is a Google delegated login against srv.
func googleDelegated(srv *tokenmem.Server) Config {
	return Config{Name: "support", Provider: Google, Flow: Delegated, ClientID: "client-1",
		TokenURL: srv.TokenURL, AuthURL: srv.AuthURL}
}

// authAddress reads Login's output until the authorization address.
func authAddress(t *testing.T, r io.Reader) string {
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		if strings.HasPrefix(sc.Text(), "http") {
			go io.Copy(io.Discard, r)
			return sc.Text()
		}
	}
	t.Fatal("Login() wrote no address")
	return ""
}

// loopbackLogin runs a Google delegated Login against a test endpoint; the
// browser is played by browse, given the address Login printed and the
// writer of Login's input. It checks that a login was stored.
func loopbackLogin(t *testing.T, browse func(addr string, in io.Writer)) {
	ctx := context.Background()
	srv := tokenmem.Start(tokenmem.Options{ClientID: "client-1"})
	defer srv.Close()
	store := NewStore(dbtest.Pool(t), testKeys(t, 1, 1))
	outR, outW := io.Pipe()
	inR, inW := io.Pipe()
	done := make(chan error, 1)
	go func() { done <- Login(ctx, googleDelegated(srv), store, inR, outW) }()
	browse(authAddress(t, outR), inW)
	if err := <-done; err != nil {
		t.Fatalf("Login() = %v", err)
	}
	if _, err := store.read(ctx, nil, "support", false); err != nil {
		t.Errorf("nothing stored: %v", err)
	}
}

// TestLoopbackLogin: the browser is redirected to the loopback listener.
func TestLoopbackLogin(t *testing.T) {
	loopbackLogin(t, func(addr string, _ io.Writer) {
		resp, err := http.Get(addr) // sign in, consent, follow the redirect
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != 200 {
			t.Errorf("the loopback page answered %s", resp.Status)
		}
	})
}

// TestPastedRedirect: the browser elsewhere cannot reach the listener; the
// address it was sent to is pasted in.
func TestPastedRedirect(t *testing.T) {
	loopbackLogin(t, func(addr string, in io.Writer) {
		noFollow := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
		resp, err := noFollow.Get(addr)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		io.WriteString(in, "\n  "+resp.Header.Get("Location")+"  \n")
	})
}

func TestCodeFromRedirect(t *testing.T) {
	tests := []struct {
		raw, code, err string
	}{
		{"http://127.0.0.1:5000/?code=abc&state=s1", "abc", ""},
		{"/?state=s1&code=abc&scope=x", "abc", ""},
		{"http://127.0.0.1:5000/?code=abc&state=other", "", "state"},
		{"http://127.0.0.1:5000/?state=s1", "", "no code"},
		{"http://127.0.0.1:5000/?error=access_denied&error_description=The+user+said+no&state=s1", "", "access_denied: The user said no"},
		{"%zz", "", "not an address"},
	}
	for _, tt := range tests {
		code, err := CodeFromRedirect(tt.raw, "s1")
		if code != tt.code || (tt.err == "") != (err == nil) || (err != nil && !strings.Contains(err.Error(), tt.err)) {
			t.Errorf("CodeFromRedirect(%q) = %q, %v; want %q, error containing %q", tt.raw, code, err, tt.code, tt.err)
		}
	}
}

// FuzzCodeFromRedirect: a pasted address never panics, and a code is only
// returned with the right state.
func FuzzCodeFromRedirect(f *testing.F) {
	f.Add("http://127.0.0.1:5000/?code=abc&state=s1")
	f.Add("/?error=access_denied&error_description=%0d%0a&state=s1")
	f.Add("%zz")
	f.Fuzz(func(t *testing.T, raw string) {
		code, err := CodeFromRedirect(raw, "s1")
		if err == nil && (code == "" || !strings.Contains(raw, "s1")) {
			t.Fatalf("CodeFromRedirect(%q) = %q without the state", raw, code)
		}
	})
}

// TestExpiryWarnings: a secret's expiry date and a certificate's NotAfter
// are warned about once at 30, 7 and 1 day, and once when passed.
func TestExpiryWarnings(t *testing.T) {
	log, logs := testLogger(t)
	start := time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC)
	w := expiryWarner{secret: start.Add(40 * 24 * time.Hour), cert: start.Add(45 * 24 * time.Hour)}
	for day := range 50 {
		for hour := 0; hour < 24; hour += 6 {
			w.check(log, start.Add(time.Duration(day)*24*time.Hour+time.Duration(hour)*time.Hour))
		}
	}
	warns, errs := logs.lines("WARN"), logs.lines("ERROR")
	want := []string{"secret within_days=30", "certificate within_days=30", "secret within_days=7",
		"certificate within_days=7", "secret within_days=1", "certificate within_days=1"}
	if len(warns) != len(want) || len(errs) != 2 {
		t.Fatalf("logged %d warnings and %d errors, want %d and 2:\n%s", len(warns), len(errs), len(want), logs.String())
	}
	for i, w := range want {
		what, days, _ := strings.Cut(w, " ")
		if !strings.Contains(warns[i], what) || !strings.Contains(warns[i], days) {
			t.Errorf("warning %d = %q, want %s", i, warns[i], w)
		}
	}
}

func TestFresh(t *testing.T) {
	now := time.Date(2026, 12, 7, 12, 0, 0, 0, time.UTC)
	tests := []struct {
		issued, expiry time.Time
		want           bool
	}{
		{now.Add(-10 * time.Minute), now.Add(50 * time.Minute), true},
		{now.Add(-56 * time.Minute), now.Add(4 * time.Minute), false}, // under 5 minutes left
		{now.Add(-time.Second), now.Add(time.Second), true},           // 2s lifetime, 1s left
		{now.Add(-1900 * time.Millisecond), now.Add(100 * time.Millisecond), false},
		{now, time.Time{}, true},
	}
	for _, tt := range tests {
		if got := fresh(tt.issued, tt.expiry, now); got != tt.want {
			t.Errorf("fresh(%v, %v) = %v, want %v", tt.issued.Sub(now), tt.expiry.Sub(now), got, tt.want)
		}
	}
}

// TestEndpointFailing: an answer without an OAuth error (a 502 from a
// proxy) is the endpoint failing, logged at WARN, not a refusal.
func TestEndpointFailing(t *testing.T) {
	bad := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "<html>Bad Gateway</html>", http.StatusBadGateway)
	}))
	defer bad.Close()
	log, logs := testLogger(t)
	src, _ := New(Config{Name: "support", Provider: Microsoft, Flow: ClientCredentials, Tenant: "t", ClientID: "app",
		ClientSecret: "s", TokenURL: bad.URL}, nil, log)
	_, err := src.Token(context.Background())
	var re *RefreshError
	if err == nil || errors.As(err, &re) {
		t.Fatalf("Token() = %v; want an error that is not a RefreshError", err)
	}
	if len(logs.lines("WARN")) != 1 || len(logs.lines("ERROR")) != 0 {
		t.Errorf("logged %q; want one WARN", logs.String())
	}
}

// TestCertificateExpiryWarned: a certificate credential expiring within a
// week is warned about when a token is taken.
func TestCertificateExpiryWarned(t *testing.T) {
	cert, certFile, keyFile := certificate(t, t.TempDir(), time.Now().Add(5*24*time.Hour))
	srv := tokenmem.Start(tokenmem.Options{ClientID: "app", Certificate: cert})
	defer srv.Close()
	log, logs := testLogger(t)
	src, err := New(Config{Name: "smtp", Provider: Microsoft, Flow: ClientCredentials, Tenant: "t", ClientID: "app",
		CertificateFile: certFile, KeyFile: keyFile, TokenURL: srv.TokenURL}, nil, log)
	if err != nil {
		t.Fatal(err)
	}
	for range 3 {
		if _, err := src.Token(context.Background()); err != nil {
			t.Fatal(err)
		}
	}
	if w := logs.lines("WARN"); len(w) != 1 || !strings.Contains(w[0], "certificate") || !strings.Contains(w[0], "within_days=7") {
		t.Errorf("warnings = %q; want one about the certificate, within 7 days", w)
	}
}

// TestLoopbackLoginIgnoresStrayRequests: a request to the listener that is
// not the redirect (the browser's favicon.ico, another local program)
// does not end the login; the redirect that follows completes it.
func TestLoopbackLoginIgnoresStrayRequests(t *testing.T) {
	loopbackLogin(t, func(addr string, _ io.Writer) {
		u, err := url.Parse(addr)
		if err != nil {
			t.Fatal(err)
		}
		redirect := u.Query().Get("redirect_uri")
		for _, stray := range []string{redirect + "favicon.ico", redirect} {
			resp, err := http.Get(stray)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != http.StatusNotFound {
				t.Errorf("GET %s = %s, want 404 Not Found", stray, resp.Status)
			}
		}
		resp, err := http.Get(addr) // sign in, consent, follow the redirect
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != 200 {
			t.Errorf("the loopback page answered %s", resp.Status)
		}
	})
}

// TestHeldTokenOutlivesFailedRefresh: a token is renewed while it still
// has a tenth of its life (at most 5 minutes) left. When that renewal
// fails (the endpoint down, here a 502), the token held still works until
// it expires: Token hands it out and RenewAt moves to the next attempt,
// instead of failing every login for up to 5 minutes of a valid token.
func TestHeldTokenOutlivesFailedRefresh(t *testing.T) {
	tokens := tokenmem.Start(tokenmem.Options{ClientID: "app", ClientSecret: "s3cret", Lifetime: time.Hour})
	defer tokens.Close()
	var down atomic.Bool
	target, _ := url.Parse(tokens.TokenURL)
	proxy := httputil.NewSingleHostReverseProxy(&url.URL{Scheme: target.Scheme, Host: target.Host})
	endpoint := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if down.Load() {
			http.Error(w, "<html>Bad Gateway</html>", http.StatusBadGateway)
			return
		}
		proxy.ServeHTTP(w, r)
	}))
	defer endpoint.Close()
	log, logs := testLogger(t)
	src, err := New(Config{Name: "support", Provider: Microsoft, Flow: ClientCredentials, Tenant: "t", ClientID: "app",
		ClientSecret: "s3cret", TokenURL: endpoint.URL + target.Path}, nil, log)
	if err != nil {
		t.Fatal(err)
	}
	c := &clock{}
	src.now = c.now
	ctx := context.Background()
	held, err := src.Token(ctx)
	if err != nil || !tokens.Valid(held) {
		t.Fatalf("Token() = %q, %v; want a valid token", held, err)
	}
	down.Store(true)
	c.advance(57 * time.Minute) // 3 minutes left: due for renewal
	for i := range 2 {          // the failed refresh, then within its back-off
		if tok, err := src.Token(ctx); tok != held || err != nil {
			t.Errorf("Token() #%d with the endpoint down and the held token valid 3 more minutes = %q, %v; want the held token", i+1, tok, err)
		}
	}
	if renew := src.RenewAt(); !renew.After(c.now()) {
		t.Errorf("RenewAt() after the failed refresh = %v from now; want the next attempt, later than now", renew.Sub(c.now()))
	}
	if len(logs.lines("WARN")) != 1 {
		t.Errorf("logged %q; want one WARN for the failed refresh", logs.String())
	}
	c.advance(4 * time.Minute) // expired
	if tok, err := src.Token(ctx); err == nil {
		t.Errorf("Token() after the held token expired, endpoint down = %q, nil; want an error", tok)
	}
	down.Store(false)
	c.advance(10 * time.Minute) // past the back-off
	if tok, err := src.Token(ctx); err != nil || tok == held || !tokens.Valid(tok) {
		t.Errorf("Token() once the endpoint is back = %q, %v; want a new valid token", tok, err)
	}
}
