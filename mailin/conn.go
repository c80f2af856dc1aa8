package mailin

import (
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"sync/atomic"
	"time"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"
)

// dial connects to mb's server as configured by its TLS mode and logs in.
// Connecting, the TLS handshake, STARTTLS and login together are bounded by
// mb.CommandTimeout: the imapclient Dial functions leave the STARTTLS
// handshake unbounded, so dial opens the TCP connection itself and closes it
// if the deadline passes. mb must have defaults applied and be valid.
func dial(mb Mailbox, handler *imapclient.UnilateralDataHandler) (*imapclient.Client, error) {
	host, _, err := net.SplitHostPort(mb.Addr)
	if err != nil {
		return nil, fmt.Errorf("mailin: address %q: %w", mb.Addr, err)
	}
	tlsConfig := &tls.Config{}
	if mb.TLSConfig != nil {
		tlsConfig = mb.TLSConfig.Clone()
	}
	if tlsConfig.ServerName == "" {
		tlsConfig.ServerName = host
	}
	opts := &imapclient.Options{TLSConfig: tlsConfig, UnilateralDataHandler: handler}
	d := &net.Dialer{Timeout: mb.CommandTimeout}
	conn, err := d.Dial("tcp", mb.Addr)
	if err != nil {
		return nil, fmt.Errorf("mailin: connect to %s: %w", mb.Addr, err)
	}
	var fired atomic.Bool
	wd := time.AfterFunc(mb.CommandTimeout, func() {
		fired.Store(true)
		conn.Close()
	})
	c, err := startSession(conn, mb, opts)
	if wd.Stop(); fired.Load() {
		err = fmt.Errorf("mailin: connect and log in to %s (%s): %w after %v", mb.Addr, mb.TLS, errTimeout, mb.CommandTimeout)
	}
	if err != nil {
		if c != nil {
			c.Close()
		}
		conn.Close()
		return nil, err
	}
	return c, nil
}

// startSession secures conn as mb.TLS says and logs in.
func startSession(conn net.Conn, mb Mailbox, opts *imapclient.Options) (*imapclient.Client, error) {
	var c *imapclient.Client
	switch mb.TLS {
	case TLSImplicit:
		cfg := opts.TLSConfig.Clone()
		if cfg.NextProtos == nil {
			cfg.NextProtos = []string{"imap"}
		}
		tc := tls.Client(conn, cfg)
		if err := tc.Handshake(); err != nil {
			return nil, fmt.Errorf("mailin: TLS handshake with %s: %w", mb.Addr, err)
		}
		c = imapclient.New(tc, opts)
	case TLSStartTLS:
		var err error
		if c, err = imapclient.NewStartTLS(conn, opts); err != nil {
			return nil, fmt.Errorf("mailin: STARTTLS with %s: %w", mb.Addr, err)
		}
	case TLSPlain:
		c = imapclient.New(conn, opts)
	default:
		return nil, fmt.Errorf("mailin: unknown tls mode %q", mb.TLS)
	}
	return c, login(c, mb)
}

func login(c *imapclient.Client, mb Mailbox) error {
	if err := c.WaitGreeting(); err != nil {
		return fmt.Errorf("mailin: greeting from %s: %w", mb.Addr, err)
	}
	if mb.OAuth2Token == "" {
		if err := c.Login(mb.Username, mb.Password).Wait(); err != nil {
			return fmt.Errorf("mailin: log in to %s as %q: %w", mb.Addr, mb.Username, err)
		}
		return nil
	}
	if !c.Caps().Has(imap.Cap("AUTH=" + XOAUTH2)) {
		return fmt.Errorf("mailin: log in to %s: server does not offer AUTHENTICATE %s", mb.Addr, XOAUTH2)
	}
	sc := NewXOAUTH2Client(mb.Username, mb.OAuth2Token)
	if err := c.Authenticate(sc); err != nil {
		if msg := sc.ServerError(); msg != "" {
			return fmt.Errorf("mailin: %s login to %s as %q rejected (server said %s): %w", XOAUTH2, mb.Addr, mb.Username, msg, err)
		}
		return fmt.Errorf("mailin: %s login to %s as %q: %w", XOAUTH2, mb.Addr, mb.Username, err)
	}
	return nil
}

// watchdog closes an IMAP connection when a command outlasts its timeout;
// go-imap has no per-command deadline of its own.
type watchdog struct {
	t     *time.Timer
	fired atomic.Bool
}

// watch arms a watchdog on c for d.
func watch(c *imapclient.Client, d time.Duration) *watchdog {
	w := &watchdog{}
	w.t = time.AfterFunc(d, func() {
		w.fired.Store(true)
		c.Close()
	})
	return w
}

// stop disarms the watchdog and reports whether it had fired.
func (w *watchdog) stop() bool {
	w.t.Stop()
	return w.fired.Load()
}

// errTimeout marks a command cut short by the watchdog.
var errTimeout = errors.New("timed out")
