// Package oauth owns the OAuth 2.0 access tokens deskgate logs in to IMAP
// and SMTP with (XOAUTH2): Microsoft 365's client credentials (a client
// secret or a certificate), delegated refresh tokens for Microsoft 365 and
// Google obtained once by "deskgate auth login" and kept encrypted in
// PostgreSQL, and Google service accounts with domain-wide delegation. A
// Source hands out a token when a connection logs in, refreshing it before
// it expires; a failed refresh is a *RefreshError, logged at ERROR with the
// provider's reason and retried with back-off.
package oauth

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"golang.org/x/oauth2"
)

// Provider is the identity provider of a token.
type Provider string

// The providers.
const (
	Microsoft Provider = "microsoft"
	Google    Provider = "google"
)

// Flow is how tokens are obtained.
type Flow string

// The flows.
const (
	// ClientCredentials is Microsoft 365's app-only flow: the application
	// itself, with a client secret or a certificate.
	ClientCredentials Flow = "client_credentials"
	// Delegated uses a refresh token stored by "deskgate auth login".
	Delegated Flow = "delegated"
	// ServiceAccount is Google's service account with domain-wide
	// delegation, acting as Subject.
	ServiceAccount Flow = "service_account"
)

// Config says where and how a Source gets its tokens.
type Config struct {
	// Name identifies the stored token of a Delegated flow: the mailbox
	// name, or "smtp". It also names the source in logs and errors.
	Name     string
	Provider Provider
	Flow     Flow
	Tenant   string // Microsoft: the directory (tenant) id or domain
	ClientID string
	// ClientSecret, or CertificateFile and KeyFile (PEM) for a signed
	// client assertion, authenticate the application (ClientCredentials;
	// a secret is also sent by confidential clients in Delegated flows).
	ClientSecret              string
	CertificateFile, KeyFile  string
	ServiceAccountFile        string // ServiceAccount: Google's JSON key file
	Subject                   string // ServiceAccount: the mailbox acted as
	Scopes                    []string
	TokenURL, AuthURL, DevURL string // endpoints; default the provider's (DevURL: device authorization)
	// SecretExpires is when ClientSecret expires (zero if not given):
	// warnings are logged 30, 7 and 1 day before.
	SecretExpires time.Time
	// RetryMin and RetryMax bound the back-off after a failed refresh;
	// default 5s and 5m.
	RetryMin, RetryMax time.Duration
}

// Default scopes and endpoints.
const (
	MicrosoftAppScope = "https://outlook.office365.com/.default"
	GoogleScope       = "https://mail.google.com/"
	microsoftLogin    = "https://login.microsoftonline.com/"
	googleAuthURL     = "https://accounts.google.com/o/oauth2/v2/auth"
	googleTokenURL    = "https://oauth2.googleapis.com/token"
)

// microsoftDelegatedScopes are what a delegated Microsoft 365 login asks
// for: IMAP and SMTP as the signed-in user, and a refresh token.
var microsoftDelegatedScopes = []string{
	"https://outlook.office.com/IMAP.AccessAsUser.All",
	"https://outlook.office.com/SMTP.Send",
	"offline_access",
}

// withDefaults fills in the provider's endpoints, the flow's scopes and
// the back-off.
func (c Config) withDefaults() Config {
	switch c.Provider {
	case Microsoft:
		base := microsoftLogin + c.Tenant + "/oauth2/v2.0/"
		c.TokenURL = or(c.TokenURL, base+"token")
		c.AuthURL = or(c.AuthURL, base+"authorize")
		c.DevURL = or(c.DevURL, base+"devicecode")
		if len(c.Scopes) == 0 {
			c.Scopes = []string{MicrosoftAppScope}
			if c.Flow == Delegated {
				c.Scopes = microsoftDelegatedScopes
			}
		}
	case Google:
		c.AuthURL = or(c.AuthURL, googleAuthURL)
		c.TokenURL = or(c.TokenURL, googleTokenURL)
		if len(c.Scopes) == 0 {
			c.Scopes = []string{GoogleScope}
		}
	}
	if c.RetryMin <= 0 {
		c.RetryMin = 5 * time.Second
	}
	if c.RetryMax < c.RetryMin {
		c.RetryMax = max(5*time.Minute, c.RetryMin)
	}
	return c
}

func or(s, def string) string {
	if s != "" {
		return s
	}
	return def
}

// oauth2Config is the x/oauth2 configuration of the Delegated flow.
func (c Config) oauth2Config() *oauth2.Config {
	return &oauth2.Config{ClientID: c.ClientID, ClientSecret: c.ClientSecret, Scopes: c.Scopes,
		Endpoint: oauth2.Endpoint{AuthURL: c.AuthURL, TokenURL: c.TokenURL, DeviceAuthURL: c.DevURL,
			AuthStyle: oauth2.AuthStyleInParams}}
}

// RefreshError is a token the provider refused to issue: an
// authentication failure that waits for an administrator (revoked
// consent, an expired client secret, no login stored). Callers recognise
// it with errors.As.
type RefreshError struct {
	Name        string // the Config.Name of the source
	Code        string // the provider's error, e.g. invalid_grant or invalid_client; "login_required" without a stored login
	Description string // the provider's error_description
	Err         error
}

func (e *RefreshError) Error() string {
	s := fmt.Sprintf("oauth: %s: token refused: %s", e.Name, e.Code)
	if e.Description != "" {
		s += ": " + e.Description
	}
	return s
}

func (e *RefreshError) Unwrap() error { return e.Err }

// ErrNoLogin is wrapped by the RefreshError of a Delegated source with no
// stored refresh token.
var ErrNoLogin = errors.New("oauth: no login stored")

// refused converts the provider's error answer (RFC 6749's error code) to
// a *RefreshError; other errors (the endpoint unreachable or failing) are
// returned wrapped.
func refused(name string, err error) error {
	var re *oauth2.RetrieveError
	if errors.As(err, &re) && re.ErrorCode != "" {
		return &RefreshError{Name: name, Code: re.ErrorCode, Description: re.ErrorDescription, Err: err}
	}
	// An answer without an OAuth error (a 5xx page, a proxy) is the
	// endpoint failing, not a refusal.
	return fmt.Errorf("oauth: %s: token endpoint: %w", name, err)
}

// Source hands out access tokens for one mailbox or the SMTP side. It is
// safe for concurrent use.
type Source struct {
	cfg   Config
	store *Store // Delegated only
	log   *slog.Logger
	now   func() time.Time
	fetch func(ctx context.Context) (*oauth2.Token, error) // ClientCredentials and ServiceAccount

	mu       sync.Mutex
	tok      *oauth2.Token
	issued   time.Time // when tok was obtained
	failures int
	retryAt  time.Time
	lastErr  error
	expiry   expiryWarner
}

// New returns a Source for cfg. store holds the refresh tokens of the
// Delegated flow and may be nil for the others. Key and certificate files
// are read now, so that a mistake shows at start.
func New(cfg Config, store *Store, log *slog.Logger) (*Source, error) {
	cfg = cfg.withDefaults()
	s := &Source{cfg: cfg, store: store, log: log.With("oauth", cfg.Name), now: time.Now}
	s.expiry.secret = cfg.SecretExpires
	switch cfg.Flow {
	case Delegated:
		if store == nil {
			return nil, fmt.Errorf("oauth: %s: the delegated flow needs the token store", cfg.Name)
		}
	case ClientCredentials:
		f, notAfter, err := clientCredentials(cfg)
		if err != nil {
			return nil, err
		}
		s.fetch, s.expiry.cert = f, notAfter
	case ServiceAccount:
		f, err := serviceAccount(cfg)
		if err != nil {
			return nil, err
		}
		s.fetch = f
	default:
		return nil, fmt.Errorf("oauth: %s: unknown flow %q", cfg.Name, cfg.Flow)
	}
	return s, nil
}

// Name returns the Config.Name of s.
func (s *Source) Name() string { return s.cfg.Name }

// requestTimeout bounds one exchange with the token endpoint.
const requestTimeout = 30 * time.Second

// Token returns an access token valid for a while yet: the one held, or a
// new one when less than a tenth of its lifetime (at most 5 minutes) is
// left. Take it when logging in, never during a command. When that
// renewal fails, the token held is handed out until it expires. After a
// failed refresh Token does not ask the provider again until the back-off
// has passed: it returns the token held while it lasts, else the same
// error.
func (s *Source) Token(ctx context.Context) (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.now()
	s.expiry.check(s.log, now)
	if s.tok != nil && fresh(s.issued, s.tok.Expiry, now) {
		return s.tok.AccessToken, nil
	}
	if now.Before(s.retryAt) {
		return s.held(now, s.lastErr)
	}
	parent := ctx
	ctx, cancel := context.WithTimeout(ctx, requestTimeout)
	defer cancel()
	var tok *oauth2.Token
	var issued time.Time
	var err error
	if s.cfg.Flow == Delegated {
		tok, issued, err = s.store.token(ctx, s.cfg, now, s.now)
	} else if tok, err = s.fetch(ctx); err == nil {
		issued = now
	} else {
		err = refused(s.cfg.Name, err)
	}
	if err != nil {
		if parent.Err() != nil {
			return "", err // the caller gave up: neither a failure nor a back-off
		}
		s.failed(now, err)
		return s.held(now, err)
	}
	s.tok, s.issued, s.failures, s.retryAt, s.lastErr = tok, issued, 0, time.Time{}, nil
	return tok.AccessToken, nil
}

// held returns the token held while it has not expired (a renewal that
// failed leaves it usable until then), else err.
func (s *Source) held(now time.Time, err error) (string, error) {
	if s.tok != nil && now.Before(s.tok.Expiry) {
		return s.tok.AccessToken, nil
	}
	return "", err
}

// RenewAt is when the token held stops being fresh, so that Token will
// renew it: a session logged in with it can end cleanly before then rather
// than be ended by the server when the token expires. After a failed
// renewal it is the next attempt, or the token's expiry if that comes
// first. It is zero while no token is held or the token has no expiry.
func (s *Source) RenewAt() time.Time {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.tok == nil || s.tok.Expiry.IsZero() {
		return time.Time{}
	}
	renew := s.tok.Expiry.Add(-min(s.tok.Expiry.Sub(s.issued)/10, refreshMargin))
	if s.lastErr != nil && s.retryAt.After(renew) {
		renew = s.retryAt
	}
	if renew.After(s.tok.Expiry) {
		renew = s.tok.Expiry
	}
	return renew
}

// failed records a failed refresh, logs it and sets the back-off.
func (s *Source) failed(now time.Time, err error) {
	wait := s.cfg.RetryMin << min(s.failures, 20)
	if wait > s.cfg.RetryMax || wait <= 0 {
		wait = s.cfg.RetryMax
	}
	s.failures++
	s.retryAt, s.lastErr = now.Add(wait), err
	var re *RefreshError
	if errors.As(err, &re) {
		s.log.Error("oauth: token refused; mail waits until it is fixed", "error", re.Code,
			"description", re.Description, "failures", s.failures, "retry_in", wait)
		return
	}
	s.log.Warn("oauth: token endpoint failed", "err", err, "failures", s.failures, "retry_in", wait)
}

// refreshMargin is the most of a token's lifetime left when it is renewed.
const refreshMargin = 5 * time.Minute

// fresh reports whether a token obtained at issued and expiring at expiry
// has more than a tenth of its lifetime (at most refreshMargin) left at
// now. A token without an expiry stays fresh.
func fresh(issued, expiry, now time.Time) bool {
	if expiry.IsZero() {
		return true
	}
	margin := min(expiry.Sub(issued)/10, refreshMargin)
	return now.Add(margin).Before(expiry)
}
