package mailout

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"net/mail"
	"net/textproto"
	"strconv"
	"strings"
	"sync"
	"time"

	gomail "github.com/wneessen/go-mail"
	"github.com/wneessen/go-mail/smtp"
)

// client is one worker's SMTP connection: go-mail's Client connects (TCP,
// TLS, EHLO, AUTH) and the transaction runs on its smtp.Client, so that
// each recipient's reply is seen and the connection is reused for many
// messages. It dials lazily and drops the connection after any error that
// may have left it in an unknown state; the next message dials again.
//
// A client is used by one goroutine; only the deadline cut on shutdown
// (stopAt) comes from another.
type client struct {
	cfg  Config
	addr string
	gm   *gomail.Client

	sc    *smtp.Client // nil when not connected
	used  time.Time    // when the connection last completed a command
	token string       // the OAuth2 token the connection logged in with

	mu     sync.Mutex
	conn   net.Conn  // the session's network connection, below any STARTTLS; nil when none
	stopBy time.Time // no I/O deadline later than this; zero for none
	// heldBy is when the worker's claims end as last renewed: no I/O goes
	// past it, so a sender whose renewals fail stops before another may
	// take its mail. Zero for none.
	heldBy time.Time
	opBy   time.Time // the current operation's deadline before those cuts
}

// idleProbe is how long a connection may sit unused before a NOOP checks it
// is still alive, so that a server's idle timeout costs no message attempt.
const idleProbe = 10 * time.Second

// newClient returns a client for cfg, which must have its defaults applied.
func newClient(cfg Config) (*client, error) {
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	c := &client{cfg: cfg, addr: net.JoinHostPort(cfg.Host, strconv.Itoa(cfg.Port))}
	tc := &tls.Config{}
	if cfg.TLSConfig != nil {
		tc = cfg.TLSConfig.Clone()
	}
	if tc.ServerName == "" {
		tc.ServerName = cfg.Host
	}
	if tc.MinVersion == 0 {
		tc.MinVersion = tls.VersionTLS12
	}
	opts := []gomail.Option{
		gomail.WithPort(cfg.Port),
		gomail.WithTimeout(cfg.Timeout),
		gomail.WithTLSConfig(tc),
		gomail.WithDialContextFunc(func(ctx context.Context, network, addr string) (net.Conn, error) {
			return c.dial(ctx, network, addr, tc)
		}),
	}
	switch cfg.TLS {
	case TLSImplicit:
		// go-mail skips STARTTLS with SSL set; c.dial does the handshake,
		// since go-mail's own TLS dialer is not used with a dial function.
		opts = append(opts, gomail.WithSSL())
	case TLSStartTLS:
		opts = append(opts, gomail.WithTLSPolicy(gomail.TLSMandatory))
	case TLSPlain:
		opts = append(opts, gomail.WithTLSPolicy(gomail.NoTLS))
	}
	plain := cfg.TLS == TLSPlain // validate allowed it for loopback only
	switch cfg.Auth {
	case AuthPlain:
		opts = append(opts, gomail.WithSMTPAuth(pick(plain, gomail.SMTPAuthPlainNoEnc, gomail.SMTPAuthPlain)),
			gomail.WithUsername(cfg.Username), gomail.WithPassword(cfg.Password))
	case AuthLogin:
		opts = append(opts, gomail.WithSMTPAuth(pick(plain, gomail.SMTPAuthLoginNoEnc, gomail.SMTPAuthLogin)),
			gomail.WithUsername(cfg.Username), gomail.WithPassword(cfg.Password))
	case AuthXOAuth2: // with OAuth2, connect sets the token as the password
		opts = append(opts, gomail.WithSMTPAuth(gomail.SMTPAuthXOAUTH2),
			gomail.WithUsername(cfg.Username), gomail.WithPassword(cfg.OAuth2Token))
	}
	if cfg.HELO != "" {
		opts = append(opts, gomail.WithHELO(cfg.HELO))
	}
	gm, err := gomail.NewClient(cfg.Host, opts...)
	if err != nil {
		return nil, fmt.Errorf("mailout: SMTP client for %s: %w", c.addr, err)
	}
	c.gm = gm
	return c, nil
}

func pick[T any](cond bool, yes, no T) T {
	if cond {
		return yes
	}
	return no
}

// dial opens the network connection for go-mail, with TLS for
// TLSImplicit, and keeps it so that deadlines can be set and the
// connection closed whatever go-mail does.
func (c *client) dial(ctx context.Context, network, addr string, tc *tls.Config) (net.Conn, error) {
	if c.cfg.TLS == TLSPlain && !isLoopback(c.cfg.Host) {
		return nil, fmt.Errorf("refusing plain SMTP to non-loopback host %s", c.cfg.Host)
	}
	d := &net.Dialer{}
	var conn net.Conn
	var err error
	if c.cfg.TLS == TLSImplicit {
		conn, err = (&tls.Dialer{NetDialer: d, Config: tc}).DialContext(ctx, network, addr)
	} else {
		conn, err = d.DialContext(ctx, network, addr)
	}
	if err != nil {
		return nil, err
	}
	c.mu.Lock()
	c.conn = conn
	c.opBy = time.Now().Add(c.cfg.Timeout)
	conn.SetDeadline(c.cut(c.opBy))
	c.mu.Unlock()
	return conn, nil
}

// connect opens a session: TCP, TLS, EHLO and AUTH, within Timeout,
// with a token taken from OAuth2 now, so that a new connection never logs
// in with an expired one.
func (c *client) connect(ctx context.Context) error {
	if c.cfg.OAuth2 != nil {
		tok, err := c.cfg.OAuth2.Token(ctx)
		if err != nil {
			return &tokenError{err: err}
		}
		c.gm.SetPassword(tok)
		c.token = tok
	}
	dctx, cancel := context.WithDeadline(context.WithoutCancel(ctx), c.deadline())
	defer cancel()
	sc, err := c.gm.DialToSMTPClientWithContext(dctx)
	if err != nil {
		// go-mail leaves the connection open when EHLO or STARTTLS fails.
		c.closeConn()
		return &setupError{addr: c.addr, err: err}
	}
	c.sc = sc
	c.used = time.Now()
	return nil
}

// transaction is the outcome of one SMTP transaction: without an error,
// the message went to accepted, or (with accepted empty) to nobody.
type transaction struct {
	reply    string    // the reply to DATA, e.g. "250 2.0.0 OK: queued"; "" when nothing was sent
	accepted []string  // recipients the server took the message for
	refused  []refusal // recipients refused for good (5xx)
	deferred []refusal // recipients refused for now (4xx other than the recipient limit)
	// unsent are the recipients not tried because the server's recipient
	// limit was reached (452, or 4.5.3): they go in another transaction.
	unsent []string
}

// refusal is a recipient the server refused, with its reply.
type refusal struct {
	addr  string
	reply string // "<addr> code text"
}

// sizeError is a message larger than the SIZE the server announced: it is
// not offered at all.
type sizeError struct {
	size, limit int
}

func (e *sizeError) Error() string {
	return fmt.Sprintf("message of %d bytes exceeds the server's SIZE limit of %d bytes", e.size, e.limit)
}

// sizeLimit returns the SIZE the server announced in EHLO, 0 for none.
func (c *client) sizeLimit() int {
	if c.sc == nil {
		return 0
	}
	ok, param := c.sc.Extension("SIZE")
	n, err := strconv.Atoi(strings.TrimSpace(param))
	if !ok || err != nil || n < 0 {
		return 0
	}
	return n
}

// send runs one transaction delivering data from the envelope sender from
// to rcpts, dialling first if needed.
// A refused recipient does not end the transaction: it is reported in the
// result, and the message goes to the others. The error, for classify, is
// that of the transaction as a whole (connecting, MAIL, DATA, a lost
// connection, a 421); the message went to nobody then, but when the
// server hung up among the recipients (Postfix does after too many
// refusals) the result still holds the refusals it gave.
func (c *client) send(ctx context.Context, from string, rcpts []string, data []byte) (*transaction, error) {
	if c.sc != nil && c.cfg.OAuth2 != nil {
		// A session logged in with a token since renewed is ended
		// between messages, so that no server ends it mid-transaction.
		if tok, err := c.cfg.OAuth2.Token(ctx); err != nil || tok != c.token {
			c.close()
		}
	}
	if c.sc != nil && time.Since(c.used) > idleProbe {
		c.setDeadline()
		if err := c.sc.Noop(); err != nil {
			c.drop()
		}
	}
	reused := c.sc != nil
	if !reused {
		if err := c.connect(ctx); err != nil {
			return nil, err
		}
	}
	if limit := c.sizeLimit(); limit > 0 && len(data) > limit {
		return nil, &sizeError{size: len(data), limit: limit}
	}
	intl := needsUTF8(from, rcpts)
	c.sc.SkipSMTPUTF8(!intl)
	c.setDeadline()
	err := c.sc.Mail(angle(from))
	if err != nil && reused && isConnLoss(err) {
		// The server closed the connection while it was unused; nothing
		// was sent yet, so try once more on a new one.
		c.drop()
		if err := c.connect(ctx); err != nil {
			return nil, err
		}
		c.sc.SkipSMTPUTF8(!intl)
		c.setDeadline()
		err = c.sc.Mail(angle(from))
	}
	if err != nil {
		return nil, c.abort(err)
	}
	t := &transaction{}
rcpt:
	for i, r := range rcpts {
		c.setDeadline()
		err := c.sc.Rcpt(angle(r))
		var te *textproto.Error
		switch {
		case err == nil:
			t.accepted = append(t.accepted, r)
		case errors.As(err, &te) && tooManyRecipients(te):
			// The server takes no more in this transaction; every further
			// RCPT would only count as an error towards its limit.
			t.unsent = rcpts[i:]
			break rcpt
		case errors.As(err, &te) && te.Code/100 == 5:
			t.refused = append(t.refused, refusal{addr: r, reply: angle(r) + " " + replyOf(te)})
		case errors.As(err, &te) && te.Code != 421:
			t.deferred = append(t.deferred, refusal{addr: r, reply: angle(r) + " " + replyOf(te)})
		default:
			// A 421 or a lost connection: the refusals so far stand.
			return t, c.abort(err)
		}
	}
	if len(t.accepted) == 0 {
		c.reset()
		return t, nil
	}

	c.setDeadline()
	w, err := c.sc.Data()
	if err != nil {
		return nil, c.abort(err)
	}
	if err := c.writeData(w, c.sc.Text.W, data); err != nil {
		c.drop()
		return nil, err
	}
	c.setDeadline()
	if err := w.Close(); err != nil {
		var te *textproto.Error
		if !errors.As(err, &te) || te.Code == 421 {
			c.drop()
		}
		return nil, err
	}
	c.used = time.Now()
	t.reply = "250 OK"
	if dc, ok := w.(*smtp.DataCloser); ok && dc.ServerResponse() != "" {
		t.reply = "250 " + flatten(dc.ServerResponse())
	}
	return t, nil
}

// tooManyRecipients reports whether a RCPT reply says the transaction has
// all the recipients the server takes: the enhanced code 4.5.3 or 5.5.3,
// or 452 without an enhanced code (RFC 5321, section 4.5.3.1.10). A 452
// with another enhanced code (4.2.2, a full mailbox) is about the one
// recipient.
func tooManyRecipients(te *textproto.Error) bool {
	enhanced, _, _ := strings.Cut(te.Msg, " ")
	switch {
	case enhanced == "4.5.3", enhanced == "5.5.3":
		return true
	case te.Code != 452:
		return false
	}
	var a, b, c int
	n, _ := fmt.Sscanf(enhanced, "%d.%d.%d", &a, &b, &c)
	return n != 3
}

// isConnLoss reports whether err is a lost connection (not a reply, not a
// timeout).
func isConnLoss(err error) bool {
	var te *textproto.Error
	var ne net.Error
	return !errors.As(err, &te) && !(errors.As(err, &ne) && ne.Timeout())
}

// abort ends a transaction after err: a refusal is followed by RSET so the
// connection can carry the next message; any other error (or a 421, the
// server closing) drops the connection.
func (c *client) abort(err error) error {
	var te *textproto.Error
	if errors.As(err, &te) && te.Code != 421 {
		c.reset()
	} else {
		c.drop()
	}
	return err
}

// reset sends RSET, dropping the connection if that fails.
func (c *client) reset() {
	if c.sc == nil {
		return
	}
	c.setDeadline()
	if err := c.sc.Reset(); err != nil {
		c.drop()
		return
	}
	c.used = time.Now()
}

// close ends the session politely with QUIT, bounded by Timeout.
func (c *client) close() {
	if c.sc != nil {
		c.setDeadline()
		_ = c.sc.Quit()
	}
	c.drop()
}

// drop closes the connection without a word.
func (c *client) drop() {
	if c.sc != nil {
		_ = c.sc.Close()
		c.sc = nil
	}
	c.closeConn()
}

func (c *client) closeConn() {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.conn != nil {
		c.conn.Close()
		c.conn = nil
	}
}

// deadline returns the deadline for the next operation: Timeout from now,
// but not after the claims' end or the shutdown cut.
func (c *client) deadline() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.cut(time.Now().Add(c.cfg.Timeout))
}

// cut returns d, but not after heldBy or stopBy. c.mu is held.
func (c *client) cut(d time.Time) time.Time {
	for _, t := range []time.Time{c.heldBy, c.stopBy} {
		if !t.IsZero() && t.Before(d) {
			d = t
		}
	}
	return d
}

// setDeadline starts an operation: it must end within Timeout, and not
// after the cuts.
func (c *client) setDeadline() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.opBy = time.Now().Add(c.cfg.Timeout)
	if c.conn != nil {
		c.conn.SetDeadline(c.cut(c.opBy))
	}
}

// holdUntil sets when the worker's claims end, as just renewed, and moves
// the deadline of the operation in progress accordingly. It may be
// called from any goroutine.
func (c *client) holdUntil(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.heldBy = t
	if c.conn != nil && !c.opBy.IsZero() {
		c.conn.SetDeadline(c.cut(c.opBy))
	}
}

// stopAt makes every I/O of the client end by t at the latest, including
// the one in progress. It may be called from any goroutine.
func (c *client) stopAt(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.stopBy = t
	if c.conn != nil {
		c.conn.SetDeadline(t)
	}
}

// angle returns addr as an SMTP path: in angle brackets, the local part
// quoted if it must be.
func angle(addr string) string {
	return (&mail.Address{Address: addr}).String()
}

func needsUTF8(from string, rcpts []string) bool {
	for _, a := range append([]string{from}, rcpts...) {
		for i := 0; i < len(a); i++ {
			if a[i] >= 0x80 {
				return true
			}
		}
	}
	return false
}
