package smtpmem

import (
	"crypto/subtle"
	"errors"
	"io"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"

	"github.com/deskgate/deskgate/internal/xoauth2srv"
)

// Authentication mechanism names.
const (
	mechPlain   = sasl.Plain
	mechLogin   = sasl.Login
	mechXOAUTH2 = "XOAUTH2"
)

// errAuthRequired is RFC 4954's reply to MAIL before AUTH (go-smtp's
// ErrAuthRequired uses 502).
var errAuthRequired = &smtp.SMTPError{Code: 530, EnhancedCode: smtp.EnhancedCode{5, 7, 0}, Message: "Authentication required"}

// errTooManyRecipients is Postfix's reply beyond smtpd_recipient_limit.
var errTooManyRecipients = &smtp.SMTPError{Code: 452, EnhancedCode: smtp.EnhancedCode{4, 5, 3}, Message: "Error: too many recipients"}

// errTooManyErrors is Postfix's reply beyond smtpd_hard_error_limit,
// before it disconnects.
var errTooManyErrors = &smtp.SMTPError{Code: 421, EnhancedCode: smtp.EnhancedCode{4, 7, 0}, Message: "localhost Error: too many errors"}

// session is one connection's SMTP session.
type session struct {
	srv    *Server
	conn   *smtp.Conn
	authed bool
	from   string
	to     []string
	errors int // error replies since the last accepted message
}

var _ smtp.AuthSession = (*session)(nil)

func (sess *session) Reset() {
	sess.from, sess.to = "", nil
}

func (sess *session) Logout() error { return nil }

func (sess *session) Mail(from string, _ *smtp.MailOptions) error {
	if sess.srv.authRequired() && !sess.authed {
		return errAuthRequired
	}
	if err := sess.tooManyErrors(); err != nil {
		return err
	}
	if err := sess.injected(StageMail, from); err != nil {
		return sess.failed(err)
	}
	sess.from = from
	return nil
}

func (sess *session) Rcpt(to string, _ *smtp.RcptOptions) error {
	if err := sess.tooManyErrors(); err != nil {
		return err
	}
	if len(sess.to) >= sess.srv.opts.MaxRecipients {
		return sess.failed(errTooManyRecipients)
	}
	if err := sess.injected(StageRcpt, to); err != nil {
		return sess.failed(err)
	}
	sess.to = append(sess.to, to)
	return nil
}

func (sess *session) Data(r io.Reader) error {
	f := sess.srv.fault(StageData, sess.to...)
	if f != nil && f.Drop && f.After > 0 {
		_, _ = io.CopyN(io.Discard, r, int64(f.After))
		sess.conn.Conn().Close()
		return errors.New("connection dropped during DATA")
	}
	data, err := io.ReadAll(r)
	if err != nil {
		return sess.failed(err)
	}
	if err := sess.tooManyErrors(); err != nil {
		return err
	}
	if err := sess.apply(f); err != nil {
		return sess.failed(err)
	}
	if sess.srv.stall() {
		return errStalled
	}
	sess.srv.accept(Message{From: sess.from, To: sess.to, Data: data})
	sess.to = nil
	sess.errors = 0
	return nil
}

// failed counts the error reply err.
func (sess *session) failed(err error) error {
	sess.errors++
	return err
}

// tooManyErrors is the 421 that ends a session past the error limit: the
// connection closes once the reply is written.
func (sess *session) tooManyErrors() error {
	if limit := sess.srv.opts.ErrorLimit; limit <= 0 || sess.errors < limit {
		return nil
	}
	if tc, ok := sess.conn.Conn().(*trackedConn); ok {
		tc.hangUp.Store(true)
	}
	return errTooManyErrors
}

// injected applies the fault that strikes at stage, if any.
func (sess *session) injected(stage string, addrs ...string) error {
	return sess.apply(sess.srv.fault(stage, addrs...))
}

// apply applies the fault f, if not nil.
func (sess *session) apply(f *Fault) error {
	if f == nil {
		return nil
	}
	if f.Drop {
		sess.conn.Conn().Close()
		return errors.New("connection dropped")
	}
	return f.reply()
}

func (sess *session) AuthMechanisms() []string {
	var mechs []string
	if len(sess.srv.opts.Users) > 0 {
		mechs = append(mechs, mechPlain, mechLogin)
	}
	if sess.srv.offersXOAUTH2() {
		mechs = append(mechs, mechXOAUTH2)
	}
	return mechs
}

func (sess *session) Auth(mech string) (sasl.Server, error) {
	switch {
	case mech == mechPlain && len(sess.srv.opts.Users) > 0:
		return sasl.NewPlainServer(func(identity, username, password string) error {
			if identity != "" && identity != username {
				return smtp.ErrAuthFailed
			}
			return sess.login(username, password)
		}), nil
	case mech == mechLogin && len(sess.srv.opts.Users) > 0:
		return &loginServer{sess: sess}, nil
	case mech == mechXOAUTH2 && sess.srv.offersXOAUTH2():
		return &xoauth2srv.Server{Initial: []byte{}, ErrFailed: smtp.ErrAuthFailed, Accept: func(user, token string) bool {
			if valid := sess.srv.opts.ValidToken; valid != nil {
				sess.authed = valid(user, token)
				return sess.authed
			}
			want, known := sess.srv.opts.Tokens[user]
			if !known || subtle.ConstantTimeCompare([]byte(token), []byte(want)) != 1 {
				return false
			}
			sess.authed = true
			return true
		}}, nil
	}
	return nil, smtp.ErrAuthUnknownMechanism
}

func (sess *session) login(username, password string) error {
	want, ok := sess.srv.opts.Users[username]
	if !ok || subtle.ConstantTimeCompare([]byte(password), []byte(want)) != 1 {
		return smtp.ErrAuthFailed
	}
	sess.authed = true
	return nil
}

// loginServer is the server side of the LOGIN mechanism, which go-sasl
// offers only as a client: it asks for the user name and the password in
// turn (a user name sent as the initial response is accepted).
type loginServer struct {
	sess     *session
	username []byte
	step     int
}

func (l *loginServer) Next(response []byte) ([]byte, bool, error) {
	switch {
	case l.step == 0 && response == nil:
		l.step = 1
		return []byte("Username:"), false, nil
	case l.step <= 1:
		l.username, l.step = response, 2
		return []byte("Password:"), false, nil
	case l.step == 2:
		l.step = 3
		return nil, true, l.sess.login(string(l.username), string(response))
	}
	return nil, false, smtp.ErrAuthFailed
}
