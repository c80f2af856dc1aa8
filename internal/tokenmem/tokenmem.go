// Package tokenmem is an in-process OAuth 2.0 token endpoint for tests: it
// issues access tokens that expire after Options.Lifetime for every grant
// deskgate uses (refresh tokens with rotation, client credentials with a
// secret or a certificate's signed assertion, Google's service-account
// JWT, the device-code flow with authorization_pending, the authorization
// code flow with PKCE), and tells the IMAP and SMTP test servers which
// access tokens are still valid (Valid).
package tokenmem

import (
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"time"
)

// Options configure a Server.
type Options struct {
	Lifetime     time.Duration // of access tokens; default 2s
	ClientID     string        // required of every request
	ClientSecret string        // accepted for client_credentials and refresh; "" accepts none
	// Certificate, when set, is accepted for client_credentials through a
	// signed client assertion (RS256, x5t of this certificate).
	Certificate *x509.Certificate
	// ServiceAccount, when set, is the email and public key of a Google
	// service account whose JWTs are accepted.
	ServiceAccount    string
	ServiceAccountKey *rsa.PublicKey
	Rotate            bool // each refresh issues a new refresh token and retires the old one
	Pending           int  // device-code polls answered authorization_pending before success
}

// Server is the token endpoint and its authorization and device
// endpoints.
type Server struct {
	TokenURL, AuthURL, DeviceURL string

	opts Options
	srv  *httptest.Server

	mu        sync.Mutex
	access    map[string]time.Time // access token -> expiry
	refresh   map[string]bool      // valid refresh tokens
	codes     map[string]string    // authorization code -> S256 challenge
	redirects map[string]string    // authorization code -> redirect_uri
	pending   map[string]int       // device code -> polls left
	counts    map[string]int       // grant type -> tokens issued
	claims    []map[string]any     // assertion claims seen, in order
}

// Start starts a server; Close stops it.
func Start(opts Options) *Server {
	if opts.Lifetime == 0 {
		opts.Lifetime = 2 * time.Second
	}
	s := &Server{opts: opts, access: map[string]time.Time{}, refresh: map[string]bool{},
		codes: map[string]string{}, redirects: map[string]string{}, pending: map[string]int{}, counts: map[string]int{}}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /token", s.token)
	mux.HandleFunc("POST /devicecode", s.device)
	mux.HandleFunc("GET /authorize", s.authorize)
	s.srv = httptest.NewServer(mux)
	s.TokenURL, s.AuthURL, s.DeviceURL = s.srv.URL+"/token", s.srv.URL+"/authorize", s.srv.URL+"/devicecode"
	return s
}

// Close stops the server.
func (s *Server) Close() { s.srv.Close() }

// Valid reports whether token is an access token issued here and not yet
// expired.
func (s *Server) Valid(token string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	exp, ok := s.access[token]
	return ok && time.Now().Before(exp)
}

// Count returns how many tokens were issued for the grant type (e.g.
// "refresh_token", "client_credentials").
func (s *Server) Count(grant string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.counts[grant]
}

// Claims returns the claims of the assertions and JWTs accepted so far.
func (s *Server) Claims() []map[string]any {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]map[string]any(nil), s.claims...)
}

// Refresh returns a new valid refresh token, as a completed login would
// leave.
func (s *Server) Refresh() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	rt := "rt-" + rand.Text()
	s.refresh[rt] = true
	return rt
}

// RefreshValid reports whether rt is a refresh token the server still
// accepts.
func (s *Server) RefreshValid(rt string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.refresh[rt]
}

// Revoke retires every refresh token, as revoking consent does.
func (s *Server) Revoke() {
	s.mu.Lock()
	defer s.mu.Unlock()
	clear(s.refresh)
}

type tokenError struct {
	status      int
	code, descr string
}

func fail(status int, code, descr string) *tokenError { return &tokenError{status, code, descr} }

func (s *Server) token(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		writeError(w, fail(400, "invalid_request", err.Error()))
		return
	}
	f := r.PostForm
	if f.Get("client_id") != s.opts.ClientID && f.Get("grant_type") != jwtBearer {
		writeError(w, fail(400, "invalid_client", "unknown client_id"))
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	grant := f.Get("grant_type")
	var withRefresh bool
	var terr *tokenError
	switch grant {
	case "refresh_token":
		terr = s.secret(f)
		if terr == nil {
			rt := f.Get("refresh_token")
			if !s.refresh[rt] {
				terr = fail(400, "invalid_grant", "AADSTS50173: The provided grant has expired due to it being revoked.")
			} else if s.opts.Rotate {
				delete(s.refresh, rt)
				withRefresh = true
			}
		}
	case "client_credentials":
		if f.Get("client_assertion") != "" {
			terr = s.clientAssertion(f)
		} else if s.opts.ClientSecret == "" || f.Get("client_secret") != s.opts.ClientSecret {
			terr = fail(401, "invalid_client", "AADSTS7000222: The provided client secret keys are expired.")
		}
	case jwtBearer:
		terr = s.serviceAccount(f.Get("assertion"))
	case deviceGrant:
		left, ok := s.pending[f.Get("device_code")]
		switch {
		case !ok:
			terr = fail(400, "expired_token", "unknown device code")
		case left > 0:
			s.pending[f.Get("device_code")] = left - 1
			terr = fail(400, "authorization_pending", "AADSTS70016: waiting for the user")
		default:
			delete(s.pending, f.Get("device_code"))
			withRefresh = true
		}
	case "authorization_code":
		code := f.Get("code")
		challenge, ok := s.codes[code]
		sum := sha256.Sum256([]byte(f.Get("code_verifier")))
		switch {
		case !ok:
			terr = fail(400, "invalid_grant", "unknown code")
		case base64.RawURLEncoding.EncodeToString(sum[:]) != challenge:
			terr = fail(400, "invalid_grant", "code_verifier does not match")
		case f.Get("redirect_uri") != s.redirects[code]:
			terr = fail(400, "invalid_grant", "redirect_uri differs")
		default:
			delete(s.codes, code)
			withRefresh = true
		}
	default:
		terr = fail(400, "unsupported_grant_type", grant)
	}
	if terr != nil {
		writeError(w, terr)
		return
	}
	s.counts[grant]++
	at := "at-" + rand.Text()
	s.access[at] = time.Now().Add(s.opts.Lifetime)
	resp := map[string]any{"access_token": at, "token_type": "Bearer", "expires_in": int(s.opts.Lifetime / time.Second)}
	if withRefresh {
		rt := "rt-" + rand.Text()
		s.refresh[rt] = true
		resp["refresh_token"] = rt
	}
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(resp)
}

const (
	jwtBearer   = "urn:ietf:params:oauth:grant-type:jwt-bearer"
	deviceGrant = "urn:ietf:params:oauth:grant-type:device_code"
)

// secret checks a confidential client's secret, if the server has one.
func (s *Server) secret(f url.Values) *tokenError {
	if s.opts.ClientSecret != "" && f.Get("client_secret") != s.opts.ClientSecret {
		return fail(401, "invalid_client", "AADSTS7000215: Invalid client secret provided.")
	}
	return nil
}

func writeError(w http.ResponseWriter, e *tokenError) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(e.status)
	json.NewEncoder(w).Encode(map[string]string{"error": e.code, "error_description": e.descr})
}

// clientAssertion checks Microsoft's certificate credential.
func (s *Server) clientAssertion(f url.Values) *tokenError {
	if s.opts.Certificate == nil {
		return fail(401, "invalid_client", "no certificate registered")
	}
	if f.Get("client_assertion_type") != "urn:ietf:params:oauth:client-assertion-type:jwt-bearer" {
		return fail(400, "invalid_request", "client_assertion_type")
	}
	header, claims, err := verify(f.Get("client_assertion"), s.opts.Certificate.PublicKey.(*rsa.PublicKey))
	if err != nil {
		return fail(401, "invalid_client", "AADSTS700027: "+err.Error())
	}
	s1, s256 := sha1.Sum(s.opts.Certificate.Raw), sha256.Sum256(s.opts.Certificate.Raw)
	now := float64(time.Now().Unix())
	switch {
	case header["x5t"] != base64.RawURLEncoding.EncodeToString(s1[:]),
		header["x5t#S256"] != base64.RawURLEncoding.EncodeToString(s256[:]):
		return fail(401, "invalid_client", "AADSTS700027: thumbprint does not match")
	case claims["aud"] != s.TokenURL, claims["iss"] != s.opts.ClientID, claims["sub"] != s.opts.ClientID:
		return fail(401, "invalid_client", "AADSTS700027: aud, iss or sub wrong")
	case claims["jti"] == nil || claims["exp"] == nil || claims["exp"].(float64) <= now || claims["nbf"].(float64) > now+5:
		return fail(401, "invalid_client", "AADSTS700027: jti, nbf or exp wrong")
	}
	s.claims = append(s.claims, claims)
	return nil
}

// serviceAccount checks a Google service account's JWT.
func (s *Server) serviceAccount(assertion string) *tokenError {
	if s.opts.ServiceAccountKey == nil {
		return fail(400, "invalid_grant", "no service account")
	}
	_, claims, err := verify(assertion, s.opts.ServiceAccountKey)
	if err != nil {
		return fail(400, "invalid_grant", "Invalid JWT Signature.")
	}
	if claims["iss"] != s.opts.ServiceAccount || claims["aud"] != s.TokenURL || claims["sub"] == nil {
		return fail(400, "invalid_grant", "iss, aud or sub wrong")
	}
	s.claims = append(s.claims, claims)
	return nil
}

// verify checks an RS256 JWT's signature and returns its header and
// claims.
func verify(jwt string, key *rsa.PublicKey) (header, claims map[string]any, err error) {
	parts := strings.Split(jwt, ".")
	if len(parts) != 3 {
		return nil, nil, errors.New("not a JWT")
	}
	sig, err := base64.RawURLEncoding.DecodeString(parts[2])
	if err != nil {
		return nil, nil, err
	}
	sum := sha256.Sum256([]byte(parts[0] + "." + parts[1]))
	if err := rsa.VerifyPKCS1v15(key, crypto.SHA256, sum[:], sig); err != nil {
		return nil, nil, fmt.Errorf("signature: %w", err)
	}
	for i, out := range []*map[string]any{&header, &claims} {
		b, err := base64.RawURLEncoding.DecodeString(parts[i])
		if err != nil {
			return nil, nil, err
		}
		if err := json.Unmarshal(b, out); err != nil {
			return nil, nil, err
		}
	}
	if header["alg"] != "RS256" {
		return nil, nil, errors.New("alg is not RS256")
	}
	return header, claims, nil
}

func (s *Server) device(w http.ResponseWriter, r *http.Request) {
	r.ParseForm()
	if r.PostForm.Get("client_id") != s.opts.ClientID {
		writeError(w, fail(400, "invalid_client", "unknown client_id"))
		return
	}
	s.mu.Lock()
	dc := "dc-" + rand.Text()
	s.pending[dc] = s.opts.Pending
	s.mu.Unlock()
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(map[string]any{"device_code": dc, "user_code": "ABCD-EFGH",
		"verification_uri": "https://microsoft.com/devicelogin", "interval": 1, "expires_in": 900})
}

// authorize plays the user who signs in and consents: it redirects to
// redirect_uri with a code at once.
func (s *Server) authorize(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	if q.Get("client_id") != s.opts.ClientID || q.Get("code_challenge_method") != "S256" {
		http.Error(w, "bad request", http.StatusBadRequest)
		return
	}
	s.mu.Lock()
	code := "code-" + rand.Text()
	s.codes[code] = q.Get("code_challenge")
	s.redirects[code] = q.Get("redirect_uri")
	s.mu.Unlock()
	to, err := url.Parse(q.Get("redirect_uri"))
	if err != nil {
		http.Error(w, "bad redirect_uri", http.StatusBadRequest)
		return
	}
	v := url.Values{"code": {code}, "state": {q.Get("state")}}
	to.RawQuery = v.Encode()
	http.Redirect(w, r, to.String(), http.StatusFound)
}
