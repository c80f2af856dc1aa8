package imapmem

import (
	"cmp"
	"crypto/subtle"
	"errors"
	"net"
	"time"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapserver"
	"github.com/emersion/go-imap/v2/imapserver/imapmemserver"
	"github.com/emersion/go-sasl"

	"github.com/deskgate/deskgate/internal/xoauth2srv"
)

// session is one connection's session: the memory server's user session once
// authenticated, with our own LOGIN and SASL mechanisms.
type session struct {
	*imapmemserver.UserSession // nil until authenticated
	srv                        *Server
	conn                       net.Conn // the client's connection, for MOVE faults
	selected                   string   // the selected folder, canonical; "" if none
	token                      string   // the XOAUTH2 token of the login checked by ValidToken; "" if none
}

// expired reports whether the session's token is no longer accepted, and
// then closes its connection.
func (sess *session) expired() bool {
	valid := sess.srv.opts.ValidToken
	if sess.token == "" || valid == nil || valid(sess.srv.opts.Username, sess.token) {
		return false
	}
	sess.conn.Close()
	return true
}

// errExpired ends a command of a session whose token expired.
var errExpired = &imap.Error{Type: imap.StatusResponseTypeNo, Text: "session token expired"}

func (sess *session) Select(mailbox string, options *imap.SelectOptions) (*imap.SelectData, error) {
	if sess.expired() {
		return nil, errExpired
	}
	sess.selected = ""
	data, err := sess.UserSession.Select(mailbox, options)
	if err == nil {
		sess.selected = canonicalFolder(mailbox)
	}
	return data, err
}

func (sess *session) Unselect() error {
	sess.selected = ""
	return sess.UserSession.Unselect()
}

// Fetch applies the server's fetch faults (see Server.SetFetchFault).
func (sess *session) Fetch(w *imapserver.FetchWriter, numSet imap.NumSet, options *imap.FetchOptions) error {
	if sess.expired() {
		return errExpired
	}
	numSet, err := sess.srv.applyFetchFaults(sess.selected, numSet, options)
	if err != nil || numSet == nil {
		return err
	}
	return sess.UserSession.Fetch(w, numSet, options)
}

// Move applies the server's MOVE fault (see Server.SetMoveFault).
func (sess *session) Move(w *imapserver.MoveWriter, numSet imap.NumSet, dest string) error {
	switch sess.srv.takeMoveFault() {
	case MoveDropBefore:
		sess.conn.Close()
		return errors.New("imapmem: connection dropped before MOVE")
	case MoveDropAfter:
		sess.conn.Close() // the move below still happens; its answer is lost
	case MoveDropCopied:
		_, err := sess.UserSession.Copy(numSet, dest)
		sess.conn.Close()
		return cmp.Or(err, errors.New("imapmem: connection dropped during MOVE, after the copy"))
	}
	return sess.UserSession.Move(w, numSet, dest)
}

var _ imapserver.SessionSASL = (*session)(nil)

func (sess *session) Login(username, password string) error {
	o := sess.srv.opts
	if username != o.Username {
		return imapserver.ErrAuthFailed
	}
	ok := (o.Password != "" && subtle.ConstantTimeCompare([]byte(password), []byte(o.Password)) == 1) ||
		subtle.ConstantTimeCompare([]byte(password), []byte(sess.srv.admin)) == 1
	if !ok {
		return imapserver.ErrAuthFailed
	}
	sess.UserSession = imapmemserver.NewUserSession(sess.srv.user)
	return nil
}

func (sess *session) Idle(w *imapserver.UpdateWriter, stop <-chan struct{}) error {
	if sess.srv.opts.DisableIdle {
		return &imap.Error{Type: imap.StatusResponseTypeBad, Text: "IDLE not supported"}
	}
	// go-imap's tracker only reacts to updates signalled while IDLE runs:
	// one queued between the previous command and IDLE would wait for the
	// next. Real servers (Dovecot among them) send it as IDLE begins, so
	// this server polls its queue throughout IDLE instead.
	tick := time.NewTicker(idlePoll)
	defer tick.Stop()
	for {
		if sess.expired() {
			return errExpired
		}
		if err := sess.UserSession.Poll(w, true); err != nil {
			return err
		}
		select {
		case <-stop:
			return nil
		case <-tick.C:
		}
	}
}

// idlePoll is how often an idling session looks for mailbox updates.
const idlePoll = 10 * time.Millisecond

func (sess *session) AuthenticateMechanisms() []string {
	mechs := []string{sasl.Plain}
	if sess.srv.opts.OAuth2Token != "" || sess.srv.opts.ValidToken != nil {
		mechs = append(mechs, "XOAUTH2")
	}
	return mechs
}

func (sess *session) Authenticate(mech string) (sasl.Server, error) {
	switch {
	case mech == sasl.Plain:
		return sasl.NewPlainServer(func(identity, username, password string) error {
			if identity != "" && identity != username {
				return imapserver.ErrAuthFailed
			}
			return sess.Login(username, password)
		}), nil
	case mech == "XOAUTH2" && (sess.srv.opts.OAuth2Token != "" || sess.srv.opts.ValidToken != nil):
		o := sess.srv.opts
		return &xoauth2srv.Server{ErrFailed: imapserver.ErrAuthFailed, Accept: func(user, token string) bool {
			switch {
			case user != o.Username:
				return false
			case o.ValidToken != nil:
				if !o.ValidToken(user, token) {
					return false
				}
				sess.token = token
			case subtle.ConstantTimeCompare([]byte(token), []byte(o.OAuth2Token)) != 1:
				return false
			}
			sess.UserSession = imapmemserver.NewUserSession(sess.srv.user)
			return true
		}}, nil
	}
	return nil, &imap.Error{Type: imap.StatusResponseTypeNo, Text: "SASL mechanism not supported"}
}

// noMoveSession hides session's Move method (the field shadows it), so the
// server refuses MOVE.
type noMoveSession struct {
	*session
	Move struct{}
}
