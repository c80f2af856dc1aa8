package mailout

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"strings"
	"time"
)

// TLS modes of the SMTP connection.
const (
	TLSImplicit = "implicit" // TLS from the first byte, usually port 465
	TLSStartTLS = "starttls" // STARTTLS, required to succeed, usually port 587
	TLSPlain    = "plain"    // no TLS at all; loopback hosts only
)

// SMTP authentication mechanisms.
const (
	AuthPlain   = "plain"
	AuthLogin   = "login"
	AuthXOAuth2 = "xoauth2" // Username with a bearer token from OAuth2, or the fixed OAuth2Token
	AuthNone    = "none"
)

// DefaultTimeout bounds connecting and each SMTP command.
const DefaultTimeout = 30 * time.Second

// Config is the SMTP submission server mail is sent through.
//
// The reply to a command decides a message's fate: 2xx sent, 5xx failed for
// good, anything else (4xx, network errors, timeouts, TLS failures) retried.
// Two exceptions keep a configuration mistake from failing queued mail for
// good: a failure while connecting (greeting, EHLO, STARTTLS, AUTH — a 535
// for a wrong password included) and the reply 530 (authentication
// required) are retried.
type Config struct {
	Host string // host name or IP address; required
	Port int    // default 465 for TLSImplicit, 587 for TLSStartTLS, 25 for TLSPlain
	TLS  string // TLSImplicit, TLSStartTLS (the default) or TLSPlain
	// TLSConfig, when set, is used for TLS (a copy; ServerName defaults to
	// Host). Default: the system roots, at least TLS 1.2.
	TLSConfig *tls.Config
	// Auth is AuthPlain, AuthLogin, AuthXOAuth2 or AuthNone. Default:
	// AuthXOAuth2 with OAuth2 or OAuth2Token, AuthPlain with Password, else
	// AuthNone.
	Auth     string
	Username string
	Password string // for AuthPlain and AuthLogin
	// OAuth2 gives AuthXOAuth2 its bearer tokens: one is taken each time
	// a connection logs in. OAuth2Token is a fixed token instead, for
	// those who renew tokens themselves.
	OAuth2      TokenSource
	OAuth2Token string
	HELO        string // the name sent in EHLO; default the host name
	// Timeout bounds connecting (through TLS and AUTH) and each command
	// after; default DefaultTimeout. Message content is sent in pieces,
	// each within Timeout.
	Timeout time.Duration
}

// TokenSource hands out OAuth 2.0 access tokens (oauth.Source does).
type TokenSource interface {
	// Token returns a token valid for a while yet, or an error that
	// errors.As finds an *oauth.RefreshError in when the provider refused.
	Token(ctx context.Context) (string, error)
}

// withDefaults returns c with zero fields set to their defaults.
func (c Config) withDefaults() Config {
	if c.TLS == "" {
		c.TLS = TLSStartTLS
	}
	if c.Port == 0 {
		switch c.TLS {
		case TLSImplicit:
			c.Port = 465
		case TLSPlain:
			c.Port = 25
		default:
			c.Port = 587
		}
	}
	if c.Auth == "" {
		switch {
		case c.OAuth2 != nil || c.OAuth2Token != "":
			c.Auth = AuthXOAuth2
		case c.Password != "":
			c.Auth = AuthPlain
		default:
			c.Auth = AuthNone
		}
	}
	if c.Timeout <= 0 {
		c.Timeout = DefaultTimeout
	}
	return c
}

// validate checks c, which must have its defaults applied.
func (c Config) validate() error {
	switch {
	case c.Host == "":
		return errors.New("mailout: SMTP host is required")
	case c.Port < 1 || c.Port > 65535:
		return fmt.Errorf("mailout: SMTP port %d out of range", c.Port)
	case strings.ContainsAny(c.HELO, "\r\n \t"):
		return fmt.Errorf("mailout: HELO name %q contains white space", c.HELO)
	}
	switch c.TLS {
	case TLSImplicit, TLSStartTLS:
	case TLSPlain:
		if !isLoopback(c.Host) {
			return fmt.Errorf("mailout: refusing plain (unencrypted) SMTP to %s: allowed only for loopback hosts", c.Host)
		}
	default:
		return fmt.Errorf("mailout: unknown SMTP TLS mode %q", c.TLS)
	}
	switch c.Auth {
	case AuthNone:
	case AuthPlain, AuthLogin:
		if c.Username == "" {
			return fmt.Errorf("mailout: SMTP auth %s needs a username", c.Auth)
		}
	case AuthXOAuth2:
		if c.Username == "" || (c.OAuth2Token == "") == (c.OAuth2 == nil) {
			return errors.New("mailout: SMTP auth xoauth2 needs a username and either a token source or a token")
		}
	default:
		return fmt.Errorf("mailout: unknown SMTP auth %q", c.Auth)
	}
	return nil
}

// isLoopback reports whether host names the local machine by name or
// loopback address.
func isLoopback(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(strings.TrimSuffix(strings.TrimPrefix(host, "["), "]"))
	return ip != nil && ip.IsLoopback()
}
