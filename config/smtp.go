package config

import (
	"cmp"
	"net"
	"net/netip"
	"strconv"
	"time"
)

// Defaults and limits of the smtp section.
const (
	defaultSMTPTLS         = TLSStartTLS
	defaultSMTPTimeout     = 30 * time.Second
	defaultSMTPWorkers     = 4
	defaultSMTPMaxAttempts = 60
	defaultSMTPMaxAge      = 48 * time.Hour
	defaultSMTPRetryBase   = time.Minute
	defaultSMTPRetryMax    = time.Hour
	maxSMTPWorkers         = 64
	maxSMTPAttempts        = 100
	// 50 fits every submission server we know: Amazon SES takes 50
	// recipients per message, Microsoft 365 500, Postfix 1000
	// (smtpd_recipient_limit); RFC 5321 (section 4.5.3.1.8) makes every
	// server take at least 100.
	defaultSMTPMaxRecipients = 50
	maxSMTPRecipients        = 1000
	maxSMTPPerMinute         = 10000
)

// Addr returns the SMTP server's address as host:port, suitable for net.Dial.
func (s *SMTP) Addr() string {
	return net.JoinHostPort(s.Host, strconv.Itoa(s.Port))
}

func (v validator) smtp(s *SMTP) {
	const p = "smtp"
	if !v.has(p) {
		v.errorf(p, "is required (deskgate sends all its mail through this server)")
		return
	}
	if v.required(p+".host", s.Host) && !validHost(s.Host) {
		v.errorf(p+".host", "must be a host name or IP address, without a port (use port:)")
	}
	v.intRange(p+".port", s.Port, 1, 65535)
	switch s.TLS {
	case "", TLSImplicit, TLSStartTLS:
		v.notEmpty(p+".tls", string(s.TLS))
	case TLSPlain:
		if s.Host != "" && !isLoopback(s.Host) {
			v.errorf(p+".tls", "plain is only allowed for loopback hosts (localhost, 127.0.0.0/8, ::1); use implicit or starttls")
		}
	default:
		v.errorf(p+".tls", "must be one of implicit, starttls, plain")
	}
	v.smtpAuth(s)
	if v.notEmpty(p+".helo", s.HELO) && s.HELO != "" {
		if _, err := netip.ParseAddr(s.HELO); err == nil || !validHost(s.HELO) {
			v.errorf(p+".helo", "must be a host name such as desk.example.com")
		}
	}
	v.minDuration(p+".timeout", s.Timeout, time.Second)
	v.intRange(p+".workers", s.Workers, 1, maxSMTPWorkers)
	v.intRange(p+".max_recipients", s.MaxRecipients, 1, maxSMTPRecipients)
	v.intRange(p+".max_per_minute", s.MaxPerMinute, 0, maxSMTPPerMinute)
	v.intRange(p+".max_attempts", s.MaxAttempts, 1, maxSMTPAttempts)
	v.minDuration(p+".max_age", s.MaxAge, time.Minute)
	v.minDuration(p+".retry_base", s.RetryBase, time.Second)
	v.minDuration(p+".retry_max", s.RetryMax, time.Second)
	base, top := cmp.Or(s.RetryBase, defaultSMTPRetryBase), cmp.Or(s.RetryMax, defaultSMTPRetryMax)
	if base >= time.Second && top >= time.Second && base > top {
		if v.has(p + ".retry_max") {
			v.errorf(p+".retry_max", "must be at least smtp.retry_base")
		} else {
			v.errorf(p+".retry_base", "must be at most smtp.retry_max (default %s)", shortDuration(defaultSMTPRetryMax))
		}
	}
}

// smtpAuth checks auth and the credentials it needs. Without auth, the mechanism follows from
// the credentials given (see SMTP.Auth).
func (v validator) smtpAuth(s *SMTP) {
	const p = "smtp"
	hasPw, hasTok, hasOAuth := v.has(p+".password"), v.has(p+".oauth2_token"), v.has(p+".oauth2")
	v.notEmpty(p+".password", s.Password)
	v.notEmpty(p+".oauth2_token", s.OAuth2Token)
	switch {
	case hasOAuth && (hasPw || hasTok):
		v.errorf(p+".oauth2", "oauth2 and %s are mutually exclusive; set only one", pick(hasPw, "password", "oauth2_token"))
	case hasPw && hasTok:
		v.errorf(p+".oauth2_token", "password and oauth2_token are mutually exclusive; set only one")
	case hasOAuth:
		v.oauth2(p+".oauth2", &s.OAuth2)
	}
	hasTok = hasTok || hasOAuth // either gives xoauth2 its tokens
	switch s.Auth {
	case "":
		switch {
		case !v.notEmpty(p+".auth", ""):
		case hasPw || hasTok:
			v.required(p+".username", s.Username)
		case v.has(p + ".username"):
			v.errorf(p+".password", "one of password, oauth2 or oauth2_token is required (or set auth: none)")
		}
	case AuthNone:
		for _, key := range []string{"username", "password", "oauth2", "oauth2_token"} {
			if v.has(p + "." + key) {
				v.errorf(p+"."+key, "is not used with auth: none")
			}
		}
	case AuthPlain, AuthLogin:
		v.required(p+".username", s.Username)
		switch {
		case hasTok && !hasPw:
			v.errorf(p+"."+pick(hasOAuth, "oauth2", "oauth2_token"), "is only used with auth: xoauth2")
		case !hasPw:
			v.errorAt(p+".auth", p+".password", "is required with auth: %s", s.Auth)
		}
	case AuthXOAuth2:
		v.required(p+".username", s.Username)
		switch {
		case hasPw && !hasTok:
			v.errorf(p+".password", "is only used with auth: plain or login")
		case !hasTok:
			v.errorAt(p+".auth", p+".oauth2", "is required with auth: xoauth2 (or oauth2_token, a token renewed by someone else)")
		}
	default:
		v.errorf(p+".auth", "must be one of plain, login, xoauth2, none")
	}
}

// port returns the configured port or the default for the TLS mode.
func (s *SMTP) port() int {
	switch {
	case s.Port != 0:
		return s.Port
	case s.TLS == TLSImplicit:
		return 465
	case s.TLS == TLSPlain:
		return 25
	}
	return 587
}

func (s *SMTP) setDefaults(domain string) {
	s.TLS = cmp.Or(s.TLS, defaultSMTPTLS)
	s.Port = s.port()
	if s.Auth == "" {
		switch {
		case s.OAuth2Token != "" || s.OAuth2.Provider != "":
			s.Auth = AuthXOAuth2
		case s.Password != "":
			s.Auth = AuthPlain
		default:
			s.Auth = AuthNone
		}
	}
	s.HELO = cmp.Or(s.HELO, domain)
	s.Timeout = cmp.Or(s.Timeout, defaultSMTPTimeout)
	s.Workers = cmp.Or(s.Workers, defaultSMTPWorkers)
	s.MaxRecipients = cmp.Or(s.MaxRecipients, defaultSMTPMaxRecipients)
	s.MaxAttempts = cmp.Or(s.MaxAttempts, defaultSMTPMaxAttempts)
	s.MaxAge = cmp.Or(s.MaxAge, defaultSMTPMaxAge)
	s.RetryBase = cmp.Or(s.RetryBase, defaultSMTPRetryBase)
	s.RetryMax = cmp.Or(s.RetryMax, defaultSMTPRetryMax)
}
