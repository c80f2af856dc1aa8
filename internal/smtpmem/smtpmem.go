// Package smtpmem runs an in-process SMTP server for tests, the demo and the
// benchmarks: go-smtp's server on a free loopback port that keeps every
// accepted message in memory.
//
// The server can require authentication (AUTH PLAIN, LOGIN and XOAUTH2),
// refuse commands with chosen replies (see [Fault]), stall DATA replies so
// that clients time out ([Server.Hang]), and counts connections so that
// tests can check how clients reuse them. An optional Deliver hook receives
// each accepted message, for example to drop it into an IMAP mailbox.
//
// Like Postfix, it can limit recipients per transaction (452 4.5.3 beyond
// the limit), end a session after too many errors (421 4.7.0) and refuse
// messages over its announced SIZE (552 5.3.4); see Options.
//
// Limits: messages are kept in memory for the life of the server. By
// default the server announces SIZE 50 MB and takes at most 100 recipients
// per transaction.
package smtpmem

import (
	"cmp"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"log"
	"net"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/emersion/go-smtp"
)

// Options configure a Server.
type Options struct {
	// Users maps user names to passwords for AUTH PLAIN and LOGIN.
	Users map[string]string
	// Tokens maps user names to the bearer tokens AUTH XOAUTH2 accepts.
	// When Users and Tokens are both empty no authentication is offered or
	// required; otherwise MAIL is refused until the client authenticates.
	Tokens map[string]string
	// ValidToken, when set, decides which bearer tokens AUTH XOAUTH2
	// accepts (instead of Tokens), e.g. internal/tokenmem's Valid, which
	// refuses expired ones.
	ValidToken func(user, token string) bool
	// Deliver, when set, is called with every accepted message before the
	// server answers the DATA command. It runs on the connection's
	// goroutine and may be called concurrently for different connections.
	Deliver func(Message)
	// Logger receives go-smtp's internal errors; nil discards them.
	Logger smtp.Logger
	// TLS, when set, is offered with STARTTLS; with ImplicitTLS the server
	// speaks TLS from the first byte instead.
	TLS         *tls.Config
	ImplicitTLS bool
	// MaxRecipients is how many RCPT commands one transaction may carry,
	// as Postfix's smtpd_recipient_limit; beyond it each RCPT is refused
	// with 452 4.5.3, as Postfix does (and not announced, as Postfix does
	// not). Default DefaultMaxRecipients.
	MaxRecipients int
	// ErrorLimit, when positive, is how many error replies a session may
	// get without delivering a message, as Postfix's
	// smtpd_hard_error_limit: the next command is answered 421 4.7.0
	// "Error: too many errors" and the connection closed (over TLS, only
	// answered 421, as is every later command). Refused recipients count,
	// the limit's 452s too; an accepted message starts the count again.
	ErrorLimit int
	// MaxMessageBytes is the message size limit announced with SIZE and
	// enforced (552 5.3.4, from go-smtp). Default DefaultMaxMessageBytes.
	MaxMessageBytes int64
}

// Message is one accepted message: its envelope and its content exactly as
// received after the DATA command (dot-unstuffed, CRLF line endings).
type Message struct {
	From string   // the MAIL FROM address, without angle brackets
	To   []string // the accepted RCPT TO addresses, in order
	Data []byte
}

// Default limits the server announces and enforces; see Options.
const (
	DefaultMaxMessageBytes = 50 << 20
	DefaultMaxRecipients   = 100
)

// Server is a running in-process SMTP server.
type Server struct {
	opts   Options
	srv    *smtp.Server
	ln     net.Listener
	served chan struct{} // closed when Serve has returned
	closed chan struct{} // closed by Close
	once   sync.Once

	mu          sync.Mutex
	msgs        []Message
	changed     chan struct{} // closed and replaced whenever msgs grows
	faults      []*Fault
	hang        chan struct{} // non-nil while DATA replies are stalled
	conns       map[*trackedConn]struct{}
	connections int
	maxSessions int
}

// Start starts a server on 127.0.0.1 on a free port. Close stops it.
func Start(opts Options) (*Server, error) {
	s := &Server{
		opts:    opts,
		served:  make(chan struct{}),
		closed:  make(chan struct{}),
		changed: make(chan struct{}),
		conns:   make(map[*trackedConn]struct{}),
	}
	s.srv = smtp.NewServer(smtp.BackendFunc(func(c *smtp.Conn) (smtp.Session, error) {
		return &session{srv: s, conn: c}, nil
	}))
	s.srv.Domain = "localhost"
	s.srv.MaxMessageBytes = cmp.Or(opts.MaxMessageBytes, DefaultMaxMessageBytes)
	// The session refuses recipients beyond the limit itself (go-smtp's
	// MaxRecipients stays 0), so that the refusals count as errors.
	s.opts.MaxRecipients = cmp.Or(opts.MaxRecipients, DefaultMaxRecipients)
	s.srv.AllowInsecureAuth = true
	s.srv.ReadTimeout = 5 * time.Minute
	s.srv.WriteTimeout = time.Minute
	s.srv.ErrorLog = opts.Logger
	if s.srv.ErrorLog == nil {
		s.srv.ErrorLog = log.New(io.Discard, "", 0)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("smtpmem: %w", err)
	}
	s.ln = &listener{Listener: ln, s: s}
	if opts.TLS != nil {
		if opts.ImplicitTLS {
			s.ln = tls.NewListener(s.ln, opts.TLS)
		} else {
			s.srv.TLSConfig = opts.TLS
		}
	}
	go func() {
		defer close(s.served)
		_ = s.srv.Serve(s.ln)
	}()
	return s, nil
}

// Addr returns the host:port the server listens on.
func (s *Server) Addr() string { return s.ln.Addr().String() }

// Host returns the IP address the server listens on.
func (s *Server) Host() string { return s.ln.Addr().(*net.TCPAddr).IP.String() }

// Port returns the port the server listens on.
func (s *Server) Port() int { return s.ln.Addr().(*net.TCPAddr).Port }

// Messages returns the messages accepted so far, in the order they were
// accepted.
func (s *Server) Messages() []Message {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.msgs)
}

// Wait blocks until at least n messages were accepted and returns them all.
// If ctx ends first it returns the messages so far and ctx's error.
func (s *Server) Wait(ctx context.Context, n int) ([]Message, error) {
	for {
		s.mu.Lock()
		if len(s.msgs) >= n {
			out := slices.Clone(s.msgs)
			s.mu.Unlock()
			return out, nil
		}
		ch := s.changed
		s.mu.Unlock()
		select {
		case <-ch:
		case <-ctx.Done():
			return s.Messages(), fmt.Errorf("smtpmem: waiting for %d messages: %w", n, ctx.Err())
		}
	}
}

// Connections returns how many connections the server has accepted.
func (s *Server) Connections() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.connections
}

// Sessions returns how many connections are open now.
func (s *Server) Sessions() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.conns)
}

// MaxSessions returns the largest number of connections that were open at
// the same time.
func (s *Server) MaxSessions() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.maxSessions
}

// DropConnections closes every open client connection, as a server restart
// or network failure would.
func (s *Server) DropConnections() {
	s.mu.Lock()
	conns := make([]*trackedConn, 0, len(s.conns))
	for c := range s.conns {
		conns = append(conns, c)
	}
	s.mu.Unlock()
	for _, c := range conns {
		c.Close()
	}
}

// Close stops the server: it stops listening, releases stalled
// transactions, closes every connection and waits for their goroutines.
func (s *Server) Close() error {
	var err error
	s.once.Do(func() {
		close(s.closed)
		err = s.ln.Close()
		<-s.served
		s.DropConnections()
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		// Shutdown closes the (already closed) listener again and waits for
		// the connection goroutines, which end now that their connections
		// are closed.
		if serr := s.srv.Shutdown(ctx); errors.Is(serr, context.DeadlineExceeded) && err == nil {
			err = serr
		}
	})
	if err != nil {
		return fmt.Errorf("smtpmem: %w", err)
	}
	return nil
}

// accept records m and hands it to the Deliver hook.
func (s *Server) accept(m Message) {
	s.mu.Lock()
	s.msgs = append(s.msgs, m)
	close(s.changed)
	s.changed = make(chan struct{})
	s.mu.Unlock()
	if s.opts.Deliver != nil {
		s.opts.Deliver(m)
	}
}

// authRequired reports whether clients must authenticate before MAIL.
func (s *Server) authRequired() bool {
	return len(s.opts.Users) > 0 || s.offersXOAUTH2()
}

// offersXOAUTH2 reports whether AUTH XOAUTH2 is offered.
func (s *Server) offersXOAUTH2() bool { return len(s.opts.Tokens) > 0 || s.opts.ValidToken != nil }

// listener counts and tracks the connections it accepts.
type listener struct {
	net.Listener
	s *Server
}

func (l *listener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	tc := &trackedConn{Conn: c, s: l.s}
	l.s.mu.Lock()
	l.s.conns[tc] = struct{}{}
	l.s.connections++
	l.s.maxSessions = max(l.s.maxSessions, len(l.s.conns))
	l.s.mu.Unlock()
	return tc, nil
}

type trackedConn struct {
	net.Conn
	s      *Server
	once   sync.Once
	hangUp atomic.Bool // close after the next reply is written
}

// Write writes a reply, closing the connection after it when the session
// asked to hang up.
func (c *trackedConn) Write(p []byte) (int, error) {
	n, err := c.Conn.Write(p)
	if c.hangUp.Load() {
		c.Close()
	}
	return n, err
}

func (c *trackedConn) Close() error {
	c.once.Do(func() {
		c.s.mu.Lock()
		delete(c.s.conns, c)
		c.s.mu.Unlock()
	})
	return c.Conn.Close()
}
