package oauth

import (
	"bufio"
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"

	"golang.org/x/oauth2"
)

// Login runs the interactive login of a Delegated source and stores its
// refresh token: Microsoft's device-code flow, or for Google a redirect to
// a loopback address (or the redirected address pasted on in). It writes
// what the administrator must do to out.
func Login(ctx context.Context, cfg Config, store *Store, in io.Reader, out io.Writer) error {
	cfg = cfg.withDefaults()
	if cfg.Flow != Delegated {
		return fmt.Errorf("oauth: %s: flow %s needs no login", cfg.Name, cfg.Flow)
	}
	var tok *oauth2.Token
	var err error
	if cfg.Provider == Microsoft {
		tok, err = DeviceLogin(ctx, cfg, out)
	} else {
		tok, err = LoopbackLogin(ctx, cfg, in, out)
	}
	if err != nil {
		return err
	}
	return store.Save(ctx, cfg.Name, tok)
}

// DeviceLogin runs the device authorization flow (RFC 8628): it shows a
// code to enter at the provider's address and waits until the login is
// done there.
func DeviceLogin(ctx context.Context, cfg Config, out io.Writer) (*oauth2.Token, error) {
	cfg = cfg.withDefaults()
	conf := cfg.oauth2Config()
	da, err := conf.DeviceAuth(ctx)
	if err != nil {
		return nil, refused(cfg.Name, err)
	}
	where := da.VerificationURIComplete
	if where == "" {
		where = da.VerificationURI
	}
	fmt.Fprintf(out, "To sign in as the mailbox's user, open %s and enter the code %s\n", where, da.UserCode)
	tok, err := conf.DeviceAccessToken(ctx, da)
	if err != nil {
		return nil, refused(cfg.Name, err)
	}
	return tok, nil
}

// LoopbackLogin runs the authorization code flow with PKCE, redirecting to
// a listener on 127.0.0.1. When the browser runs on another machine the
// redirect fails there; the address it was sent to may then be pasted on
// in, one line.
func LoopbackLogin(ctx context.Context, cfg Config, in io.Reader, out io.Writer) (*oauth2.Token, error) {
	cfg = cfg.withDefaults()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("oauth: %s: listening for the redirect: %w", cfg.Name, err)
	}
	defer ln.Close()
	conf := cfg.oauth2Config()
	conf.RedirectURL = "http://" + ln.Addr().String() + "/"
	verifier, state := oauth2.GenerateVerifier(), rand.Text()
	authURL := conf.AuthCodeURL(state, oauth2.AccessTypeOffline, oauth2.SetAuthURLParam("prompt", "consent"),
		oauth2.S256ChallengeOption(verifier))
	fmt.Fprintf(out, "Open this address in a browser and sign in as the mailbox's user:\n\n%s\n\n"+
		"If the browser runs on another machine, its last page will not load: paste the address it shows here.\n", authURL)

	type result struct {
		code string
		err  error
	}
	got := make(chan result, 2)
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if q := r.URL.Query(); r.URL.Path != "/" || (!q.Has("code") && !q.Has("error")) {
			http.NotFound(w, r) // not the redirect: the browser's favicon.ico, another program
			return
		}
		code, err := CodeFromRedirect(r.URL.String(), state)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
		} else {
			io.WriteString(w, "deskgate is signed in; you may close this page.\n")
		}
		select {
		case got <- result{code, err}:
		default:
		}
	})}
	go srv.Serve(ln)
	defer func() {
		// Shutdown, not Close: the browser's page is answered before the
		// listener goes (Close cut it off while the code was exchanged).
		sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 2*time.Second)
		defer cancel()
		srv.Shutdown(sctx)
	}()
	go func() {
		sc := bufio.NewScanner(in)
		for sc.Scan() {
			if line := strings.TrimSpace(sc.Text()); line != "" {
				code, err := CodeFromRedirect(line, state)
				got <- result{code, err}
				return
			}
		}
	}()
	var r result
	select {
	case <-ctx.Done():
		return nil, context.Cause(ctx)
	case r = <-got:
	}
	if r.err != nil {
		return nil, fmt.Errorf("oauth: %s: %w", cfg.Name, r.err)
	}
	tok, err := conf.Exchange(ctx, r.code, oauth2.VerifierOption(verifier))
	if err != nil {
		return nil, refused(cfg.Name, err)
	}
	return tok, nil
}

// CodeFromRedirect returns the authorization code in the address the
// provider redirected to (a full URL, or only its path and query), after
// checking its state; an error the provider sent is returned with its
// description.
func CodeFromRedirect(raw, state string) (string, error) {
	u, err := url.Parse(strings.TrimSpace(raw))
	if err != nil {
		return "", fmt.Errorf("not an address: %w", err)
	}
	q := u.Query()
	if e := q.Get("error"); e != "" {
		if d := q.Get("error_description"); d != "" {
			e += ": " + d
		}
		return "", fmt.Errorf("the provider refused the login: %s", e)
	}
	code := q.Get("code")
	switch {
	case code == "":
		return "", errors.New("the address holds no code= parameter")
	case q.Get("state") != state:
		return "", errors.New("the address is not the answer to this login (its state= differs)")
	}
	return code, nil
}
