// Package imapmem runs an in-process IMAP server for tests, the demo and the
// benchmarks: go-imap's imapserver with its memory backend, listening on a
// free loopback port, with one user.
//
// Limits: connections are plain (no TLS); authentication is LOGIN, AUTHENTICATE
// PLAIN and, when configured, AUTHENTICATE XOAUTH2. The server speaks
// IMAP4rev1 with UIDPLUS, NAMESPACE and (unless disabled) MOVE; IDLE is
// advertised unless disabled. DisableIdle works by removing IDLE from the
// CAPABILITY responses on the wire, since imapserver always advertises it.
// SetFetchFault makes single messages misbehave on UID FETCH (a tagged NO, or
// an OK that leaves them out) as some real servers do; SetMoveFault drops the
// connection while a MOVE is in flight. Close and Restart take the server
// away and bring it back on the same port with the same mail.
package imapmem

import (
	"bytes"
	"crypto/rand"
	"crypto/tls"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log"
	"net"
	"strings"
	"sync"
	"time"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"
	"github.com/emersion/go-imap/v2/imapserver"
	"github.com/emersion/go-imap/v2/imapserver/imapmemserver"
)

// Options configure a Server.
type Options struct {
	// Username and Password are the credentials of the single user.
	Username, Password string
	// OAuth2Token, when set, makes the server offer AUTHENTICATE XOAUTH2 and
	// accept exactly this bearer token for Username.
	OAuth2Token string
	// ValidToken, when set, makes the server offer AUTHENTICATE XOAUTH2
	// and decides which bearer tokens it accepts for Username (instead of
	// OAuth2Token), e.g. internal/tokenmem's Valid, which refuses expired
	// ones. A session logged in with a token that ValidToken no longer
	// accepts is ended (its connection closed) at its next command or
	// while it idles, as Microsoft 365 ends a session whose token expired.
	ValidToken func(user, token string) bool
	// DisableIdle and DisableMove make the server advertise neither IDLE nor
	// MOVE; the MOVE command is then refused too.
	DisableIdle, DisableMove bool
	// OmitUIDNext drops the UIDNEXT response code from SELECT, as some
	// servers leave it out.
	OmitUIDNext bool
	// Logger receives the server's error messages; nil discards them.
	Logger imapserver.Logger
	// BytesPerSecond, when positive, limits how fast the server sends on
	// each connection, to simulate a slow link. Data flows steadily in
	// small pieces.
	BytesPerSecond int
	// TLS, when set, is offered with STARTTLS; with ImplicitTLS the server
	// speaks TLS from the first byte instead. Neither combines with
	// DisableIdle or BytesPerSecond, which filter the raw connection.
	TLS         *tls.Config
	ImplicitTLS bool
}

// Server is a running in-process IMAP server.
type Server struct {
	opts     Options
	admin    string // password that also logs Username in, for our own helpers
	addr     string // host:port, kept across Restart
	srvOpts  *imapserver.Options
	ln       net.Listener
	srv      *imapserver.Server
	down     bool // closed, until Restart
	user     *imapmemserver.User
	done     chan struct{}
	mu       sync.Mutex
	conns    map[net.Conn]struct{}
	faults   map[faultKey]FetchFault // guarded by mu
	move     MoveFault               // the next MOVE's fault; guarded by mu
	folderMu sync.Mutex              // serialises Append's create-if-needed and RecreateFolder
}

// Start starts a server on 127.0.0.1 on a free port. Close stops it.
func Start(opts Options) (*Server, error) {
	if opts.Username == "" {
		return nil, errors.New("imapmem: Options.Username is required")
	}
	var b [16]byte
	if _, err := rand.Read(b[:]); err != nil {
		return nil, fmt.Errorf("imapmem: %w", err)
	}
	s := &Server{
		opts:  opts,
		admin: hex.EncodeToString(b[:]),
		user:  imapmemserver.NewUser(opts.Username, opts.Password),
		conns: make(map[net.Conn]struct{}),
	}
	if err := s.user.Create("INBOX", nil); err != nil {
		return nil, fmt.Errorf("imapmem: %w", err)
	}
	caps := imap.CapSet{
		imap.CapIMAP4rev1:   {},
		imap.CapUIDPlus:     {},
		imap.CapNamespace:   {},
		imap.CapLiteralPlus: {},
	}
	if !opts.DisableMove {
		caps[imap.CapMove] = struct{}{}
	}
	logger := opts.Logger
	if logger == nil {
		logger = log.New(io.Discard, "", 0)
	}
	s.srvOpts = &imapserver.Options{
		NewSession: func(c *imapserver.Conn) (imapserver.Session, *imapserver.GreetingData, error) {
			sess := &session{srv: s, conn: c.NetConn()}
			if opts.DisableMove {
				return &noMoveSession{session: sess}, nil, nil
			}
			return sess, nil, nil
		},
		Caps:         caps,
		Logger:       logger,
		InsecureAuth: true,
		TLSConfig:    map[bool]*tls.Config{false: opts.TLS}[opts.ImplicitTLS],
	}
	if err := s.listen("127.0.0.1:0"); err != nil {
		return nil, err
	}
	s.addr = s.ln.Addr().String()
	return s, nil
}

// listen starts serving on addr.
func (s *Server) listen(addr string) error {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("imapmem: %w", err)
	}
	s.srv = imapserver.New(s.srvOpts)
	s.done = make(chan struct{})
	s.ln = &listener{Listener: ln, s: s}
	if s.opts.ImplicitTLS && s.opts.TLS != nil {
		s.ln = tls.NewListener(s.ln, s.opts.TLS)
	}
	srv, ln2, done := s.srv, s.ln, s.done
	go func() {
		defer close(done)
		_ = srv.Serve(ln2)
	}()
	return nil
}

// Addr returns the host:port the server listens on.
func (s *Server) Addr() string { return s.addr }

// Append adds a message to folder, creating the folder if needed, and
// returns its UID.
func (s *Server) Append(folder string, raw []byte) (uint32, error) {
	return s.AppendAt(folder, raw, time.Time{})
}

// AppendAt is Append with the message's INTERNALDATE set to date (the
// time of appending when date is zero), as mail delivered while deskgate
// was down carries the time it arrived.
func (s *Server) AppendAt(folder string, raw []byte, date time.Time) (uint32, error) {
	s.folderMu.Lock()
	defer s.folderMu.Unlock()
	if err := s.ensureFolder(folder); err != nil {
		return 0, err
	}
	data, err := s.user.Append(folder, literal{bytes.NewReader(raw)}, &imap.AppendOptions{Time: date})
	if err != nil {
		return 0, fmt.Errorf("imapmem: append to %q: %w", folder, err)
	}
	return uint32(data.UID), nil
}

func (s *Server) ensureFolder(folder string) error {
	err := s.user.Create(folder, nil)
	var imapErr *imap.Error
	if err != nil && !(errors.As(err, &imapErr) && imapErr.Code == imap.ResponseCodeAlreadyExists) {
		return fmt.Errorf("imapmem: create %q: %w", folder, err)
	}
	return nil
}

// Flags returns the flags and keywords of message uid in folder.
func (s *Server) Flags(folder string, uid uint32) ([]string, error) {
	c, err := s.dialAdmin()
	if err != nil {
		return nil, err
	}
	defer c.Close()
	if _, err := c.Select(folder, &imap.SelectOptions{ReadOnly: true}).Wait(); err != nil {
		return nil, fmt.Errorf("imapmem: select %q: %w", folder, err)
	}
	msgs, err := c.Fetch(imap.UIDSetNum(imap.UID(uid)), &imap.FetchOptions{UID: true, Flags: true}).Collect()
	if err != nil {
		return nil, fmt.Errorf("imapmem: fetch flags: %w", err)
	}
	for _, m := range msgs {
		if uint32(m.UID) != uid {
			continue
		}
		flags := make([]string, len(m.Flags))
		for i, f := range m.Flags {
			flags[i] = string(f)
		}
		return flags, nil
	}
	return nil, fmt.Errorf("imapmem: no message with UID %d in %q", uid, folder)
}

// UIDValidity returns the UIDVALIDITY of folder.
func (s *Server) UIDValidity(folder string) (uint32, error) {
	data, err := s.user.Status(folder, &imap.StatusOptions{UIDValidity: true})
	if err != nil {
		return 0, fmt.Errorf("imapmem: status of %q: %w", folder, err)
	}
	return data.UIDValidity, nil
}

// UIDs returns the UIDs of the messages in folder, in order.
func (s *Server) UIDs(folder string) ([]uint32, error) {
	c, err := s.dialAdmin()
	if err != nil {
		return nil, err
	}
	defer c.Close()
	sel, err := c.Select(folder, &imap.SelectOptions{ReadOnly: true}).Wait()
	if err != nil {
		return nil, fmt.Errorf("imapmem: select %q: %w", folder, err)
	}
	if sel.NumMessages == 0 {
		return nil, nil
	}
	msgs, err := c.Fetch(imap.SeqSet{{Start: 1, Stop: 0}}, &imap.FetchOptions{UID: true}).Collect()
	if err != nil {
		return nil, fmt.Errorf("imapmem: fetch: %w", err)
	}
	uids := make([]uint32, len(msgs))
	for i, m := range msgs {
		uids[i] = uint32(m.UID)
	}
	return uids, nil
}

// RecreateFolder deletes folder and creates it again with the same messages,
// flags and internal dates, in the same order, under a new UIDVALIDITY, as a
// server-side rebuild would. Open client connections are dropped, since they
// may have the old folder selected.
func (s *Server) RecreateFolder(folder string) error {
	s.folderMu.Lock()
	defer s.folderMu.Unlock()
	c, err := s.dialAdmin()
	if err != nil {
		return err
	}
	sel, err := c.Select(folder, &imap.SelectOptions{ReadOnly: true}).Wait()
	if err != nil {
		c.Close()
		return fmt.Errorf("imapmem: select %q: %w", folder, err)
	}
	var msgs []*imapclient.FetchMessageBuffer
	if sel.NumMessages > 0 {
		msgs, err = c.Fetch(imap.SeqSet{{Start: 1, Stop: 0}}, &imap.FetchOptions{
			UID: true, Flags: true, InternalDate: true,
			BodySection: []*imap.FetchItemBodySection{{Peek: true}},
		}).Collect()
		if err != nil {
			c.Close()
			return fmt.Errorf("imapmem: fetch %q: %w", folder, err)
		}
	}
	c.Close()
	if err := s.user.Delete(folder); err != nil {
		return fmt.Errorf("imapmem: delete %q: %w", folder, err)
	}
	if err := s.user.Create(folder, nil); err != nil {
		return fmt.Errorf("imapmem: create %q: %w", folder, err)
	}
	for _, m := range msgs {
		var raw []byte
		for _, b := range m.BodySection {
			raw = b.Bytes
		}
		_, err := s.user.Append(folder, literal{bytes.NewReader(raw)}, &imap.AppendOptions{Flags: m.Flags, Time: m.InternalDate})
		if err != nil {
			return fmt.Errorf("imapmem: append to %q: %w", folder, err)
		}
	}
	s.DropConnections()
	return nil
}

// DropConnections closes every open client connection, as a server restart
// or network failure would.
func (s *Server) DropConnections() {
	s.mu.Lock()
	conns := make([]net.Conn, 0, len(s.conns))
	for c := range s.conns {
		conns = append(conns, c)
	}
	s.mu.Unlock()
	for _, c := range conns {
		c.Close()
	}
}

// Close stops the server and closes all connections.
func (s *Server) Close() error {
	if s.down {
		return nil
	}
	s.down = true
	err := s.srv.Close()
	<-s.done
	s.DropConnections()
	if err != nil {
		return fmt.Errorf("imapmem: %w", err)
	}
	return nil
}

// Restart serves again on the address of a closed server, with the same
// folders, messages and UIDVALIDITYs, as a real server comes back after an
// outage. It is an error while the server runs.
func (s *Server) Restart() error {
	if !s.down {
		return errors.New("imapmem: Restart of a running server")
	}
	if err := s.listen(s.addr); err != nil {
		return err
	}
	s.down = false
	return nil
}

func (s *Server) dialAdmin() (*imapclient.Client, error) {
	c, err := imapclient.DialInsecure(s.Addr(), &imapclient.Options{Dialer: &net.Dialer{Timeout: 5 * time.Second}})
	if err != nil {
		return nil, fmt.Errorf("imapmem: %w", err)
	}
	if err := c.Login(s.opts.Username, s.admin).Wait(); err != nil {
		c.Close()
		return nil, fmt.Errorf("imapmem: admin login: %w", err)
	}
	return c, nil
}

type literal struct{ *bytes.Reader }

func (l literal) Size() int64 { return l.Reader.Size() }

// listener tracks connections (for DropConnections) and, with DisableIdle,
// wraps them in capFilter.
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
	l.s.mu.Unlock()
	if l.s.opts.DisableIdle || l.s.opts.OmitUIDNext {
		f := &capFilter{trackedConn: tc, omitUIDNext: l.s.opts.OmitUIDNext}
		if l.s.opts.DisableIdle {
			f.drop = "IDLE"
		}
		return f, nil
	}
	return tc, nil
}

type trackedConn struct {
	net.Conn
	s    *Server
	once sync.Once
}

// Write sends p, paced to Options.BytesPerSecond.
func (c *trackedConn) Write(p []byte) (int, error) {
	rate := c.s.opts.BytesPerSecond
	if rate <= 0 {
		return c.Conn.Write(p)
	}
	chunk := max(rate/50, 1) // 50 pieces a second
	n := 0
	for n < len(p) {
		piece := p[n:min(n+chunk, len(p))]
		time.Sleep(time.Duration(len(piece)) * time.Second / time.Duration(rate))
		m, err := c.Conn.Write(piece)
		n += m
		if err != nil {
			return n, err
		}
	}
	return n, nil
}

func (c *trackedConn) Close() error {
	c.once.Do(func() {
		c.s.mu.Lock()
		delete(c.s.conns, c)
		c.s.mu.Unlock()
	})
	return c.Conn.Close()
}

// capFilter removes one capability from CAPABILITY responses and response
// codes, and with omitUIDNext the UIDNEXT response code of SELECT. Server
// responses always end in CRLF, so holding back an incomplete line until
// the next Write is safe.
type capFilter struct {
	*trackedConn
	drop        string // "" drops no capability
	omitUIDNext bool
	pending     []byte
}

func (c *capFilter) Write(p []byte) (int, error) {
	c.pending = append(c.pending, p...)
	var out []byte
	for {
		i := bytes.IndexByte(c.pending, '\n')
		if i < 0 {
			break
		}
		out = append(out, c.filterLine(c.pending[:i+1])...)
		c.pending = c.pending[i+1:]
	}
	if len(c.pending) == 0 {
		c.pending = nil
	}
	if len(out) > 0 {
		if _, err := c.trackedConn.Write(out); err != nil {
			return 0, err
		}
	}
	return len(p), nil
}

func (c *capFilter) filterLine(line []byte) []byte {
	s := string(line)
	if c.omitUIDNext && strings.HasPrefix(s, "* OK [UIDNEXT ") {
		return nil
	}
	_, rest, ok := strings.Cut(s, " ")
	if !ok || c.drop == "" {
		return line
	}
	if !strings.HasPrefix(rest, "CAPABILITY ") && !strings.HasPrefix(rest, "OK [CAPABILITY ") {
		return line
	}
	for _, end := range []string{" ", "]", "\r\n"} {
		s = strings.Replace(s, " "+c.drop+end, end, 1)
	}
	return []byte(s)
}
