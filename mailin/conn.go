package mailin

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"sync"
	"sync/atomic"
	"time"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"

	"github.com/deskgate/deskgate/oauth"
)

// client is a logged-in IMAP client together with the activity of its
// connection, which the watchdog consults.
type client struct {
	*imapclient.Client
	act *activity
}

// dial connects to mb's server as configured by its TLS mode and logs in.
// Connecting, the TLS handshake, STARTTLS and login together are bounded by
// mb.CommandTimeout and by ctx: the imapclient Dial functions leave the
// STARTTLS handshake unbounded, so dial opens the TCP connection itself and
// closes it if the deadline passes or ctx is done. mb must have defaults
// applied and be valid.
func dial(ctx context.Context, mb Mailbox, handler *imapclient.UnilateralDataHandler) (*client, error) {
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
	hctx, cancel := context.WithTimeout(ctx, mb.CommandTimeout)
	defer cancel()
	// why names what cut the handshake short, for the error.
	why := func() error {
		if err := ctx.Err(); err != nil {
			return context.Cause(ctx)
		}
		return fmt.Errorf("%w after %v", errTimeout, mb.CommandTimeout)
	}
	token := mb.OAuth2Token
	if mb.OAuth2 != nil {
		// Taken now, for this login: a session never outlives the token
		// it logged in with by much, and a new one gets a fresh token.
		if token, err = mb.OAuth2.Token(hctx); err != nil {
			return nil, fmt.Errorf("mailin: %s token for %s: %w", XOAUTH2, mb.Addr, refusedToken(err))
		}
	}
	var d net.Dialer
	raw, err := d.DialContext(hctx, "tcp", mb.Addr)
	if err != nil {
		if hctx.Err() != nil {
			err = why()
		}
		return nil, fmt.Errorf("mailin: connect to %s: %w", mb.Addr, err)
	}
	act := newActivity()
	conn := &activityConn{Conn: raw, act: act}
	stop := context.AfterFunc(hctx, func() { conn.Close() })
	c, err := startSession(conn, mb, token, opts)
	if !stop() { // the deadline passed or ctx is done: conn is closed
		err = fmt.Errorf("mailin: connect and log in to %s (%s): %w", mb.Addr, mb.TLS, why())
	}
	if err != nil {
		if c != nil {
			c.Close()
		}
		conn.Close()
		return nil, err
	}
	return &client{Client: c, act: act}, nil
}

// startSession secures conn as mb.TLS says and logs in, with the XOAUTH2
// token if it is not "".
func startSession(conn net.Conn, mb Mailbox, token string, opts *imapclient.Options) (*imapclient.Client, error) {
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
	return c, login(c, mb, token)
}

func login(c *imapclient.Client, mb Mailbox, token string) error {
	if err := c.WaitGreeting(); err != nil {
		return fmt.Errorf("mailin: greeting from %s: %w", mb.Addr, err)
	}
	if token == "" {
		if err := c.Login(mb.Username, mb.Password).Wait(); err != nil {
			return fmt.Errorf("mailin: log in to %s as %q: %w", mb.Addr, mb.Username, rejected(err))
		}
		return nil
	}
	if !c.Caps().Has(imap.Cap("AUTH=" + XOAUTH2)) {
		return fmt.Errorf("mailin: log in to %s: server does not offer AUTHENTICATE %s", mb.Addr, XOAUTH2)
	}
	sc := NewXOAUTH2Client(mb.Username, token)
	if err := c.Authenticate(sc); err != nil {
		if msg := sc.ServerError(); msg != "" {
			return fmt.Errorf("mailin: %s login to %s as %q rejected (server said %s): %w", XOAUTH2, mb.Addr, mb.Username, msg, rejected(err))
		}
		return fmt.Errorf("mailin: %s login to %s as %q: %w", XOAUTH2, mb.Addr, mb.Username, rejected(err))
	}
	return nil
}

// refusedToken marks err with errLoginRejected when the provider refused
// the token (an *oauth.RefreshError): like a wrong password, it waits for
// an administrator.
func refusedToken(err error) error {
	var re *oauth.RefreshError
	if errors.As(err, &re) {
		return fmt.Errorf("%w: %w", errLoginRejected, err)
	}
	return err
}

// rejected marks err with errLoginRejected when the server refused the
// login (a tagged NO or BAD), not when the connection failed.
func rejected(err error) error {
	if _, refused := serverRefusal(err); refused {
		return fmt.Errorf("%w: %w", errLoginRejected, err)
	}
	return err
}

// activity records when a connection last received data from the server.
type activity struct {
	base time.Time    // carries a monotonic clock reading
	last atomic.Int64 // nanoseconds after base of the latest read
}

func newActivity() *activity { return &activity{base: time.Now()} }

// touch records that data arrived now.
func (a *activity) touch() { a.last.Store(int64(time.Since(a.base))) }

// lastRead returns when data last arrived (or when a was created).
func (a *activity) lastRead() time.Time { return a.base.Add(time.Duration(a.last.Load())) }

// activityConn is a net.Conn that records every successful read in act.
type activityConn struct {
	net.Conn
	act *activity
}

func (c *activityConn) Read(p []byte) (int, error) {
	n, err := c.Conn.Read(p)
	if n > 0 {
		c.act.touch()
	}
	return n, err
}

// watchdog cuts an IMAP connection when a command has received nothing
// from the server for its timeout; go-imap has no per-command deadline of
// its own. Every read from the server extends the deadline, so a large
// FETCH over a slow but live link runs as long as it needs, while a stalled
// connection is dropped after one timeout of silence.
type watchdog struct {
	mu      sync.Mutex
	t       *time.Timer
	stopped bool
	fired   atomic.Bool
}

// watch arms a watchdog for one command: cut is called once nothing has
// been read on act for d since the watchdog was armed or the last read,
// whichever is later.
func watch(act *activity, d time.Duration, cut func()) *watchdog {
	w := &watchdog{}
	armed := time.Now()
	w.mu.Lock()
	defer w.mu.Unlock()
	w.t = time.AfterFunc(d, func() {
		w.mu.Lock()
		if w.stopped {
			w.mu.Unlock()
			return
		}
		last := act.lastRead()
		if last.Before(armed) {
			last = armed
		}
		if rest := d - time.Since(last); rest > 0 {
			w.t.Reset(rest)
			w.mu.Unlock()
			return
		}
		w.fired.Store(true)
		w.mu.Unlock()
		cut()
	})
	return w
}

// stop disarms the watchdog and reports whether it had fired.
func (w *watchdog) stop() bool {
	w.mu.Lock()
	w.stopped = true
	w.t.Stop()
	w.mu.Unlock()
	return w.fired.Load()
}

// errTimeout marks a command cut short by the watchdog.
var errTimeout = errors.New("timed out")
