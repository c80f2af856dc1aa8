package config

import (
	"cmp"
	"net"
	"net/url"
	"strings"
)

// HTTP is serve's one HTTP server: health, readiness and metrics (and the
// API, where one is mounted).
type HTTP struct {
	// Listen is host:port; default 127.0.0.1:9180; an explicit empty value
	// turns the server off. Port 0 takes a free port, which serve logs.
	Listen string `yaml:"listen"`
	// PublicURL is the base of every link deskgate puts in mail, an
	// absolute http or https URL; default none. Cookies are Secure when it
	// is https.
	PublicURL string `yaml:"public_url"`
}

// SecureCookies reports whether cookies must be marked Secure: the public
// URL is https.
func (h HTTP) SecureCookies() bool {
	u, err := url.Parse(h.PublicURL)
	return err == nil && u.Scheme == "https"
}

// Log says how serve logs.
type Log struct {
	Format string `yaml:"format"` // text (key=value, the default) or json
	// Level is debug, info (the default), warn or error;
	// DESKGATE_LOG_LEVEL, when set, overrides it.
	Level string `yaml:"level"`
}

// DefaultListen is http.listen unless set.
const DefaultListen = "127.0.0.1:9180"

// The values of log.format and log.level.
var (
	logFormats = []string{"text", "json"}
	logLevels  = []string{"debug", "info", "warn", "error"}
)

// http validates the http and log blocks and applies their defaults.
func (v validator) http(h *HTTP, l *Log) {
	if !v.has("http.listen") {
		h.Listen = DefaultListen
	} else if h.Listen != "" {
		if _, port, err := net.SplitHostPort(h.Listen); err != nil || port == "" {
			v.errorf("http.listen", "must be host:port, such as 127.0.0.1:9180 or :9180 (empty: no HTTP server)")
		}
	}
	if h.PublicURL != "" {
		u, err := url.Parse(h.PublicURL)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.RawQuery != "" || u.Fragment != "" {
			v.errorf("http.public_url", "must be an absolute http or https URL without query or fragment, such as https://desk.example.com")
		}
	}
	if l.Format != "" {
		v.oneOf("log.format", l.Format, logFormats)
	}
	if l.Level != "" {
		v.oneOf("log.level", l.Level, logLevels)
	}
	l.Format = strings.ToLower(cmp.Or(l.Format, "text"))
	l.Level = strings.ToLower(cmp.Or(l.Level, "info"))
}
