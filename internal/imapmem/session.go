package imapmem

import (
	"bytes"
	"crypto/subtle"
	"strings"
	"time"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapserver"
	"github.com/emersion/go-imap/v2/imapserver/imapmemserver"
	"github.com/emersion/go-sasl"
)

// session is one connection's session: the memory server's user session once
// authenticated, with our own LOGIN and SASL mechanisms.
type session struct {
	*imapmemserver.UserSession // nil until authenticated
	srv                        *Server
	selected                   string // the selected folder, canonical; "" if none
}

func (sess *session) Select(mailbox string, options *imap.SelectOptions) (*imap.SelectData, error) {
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
	numSet, err := sess.srv.applyFetchFaults(sess.selected, numSet, options)
	if err != nil || numSet == nil {
		return err
	}
	return sess.UserSession.Fetch(w, numSet, options)
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
	if sess.srv.opts.OAuth2Token != "" {
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
	case mech == "XOAUTH2" && sess.srv.opts.OAuth2Token != "":
		return &xoauth2Server{sess: sess}, nil
	}
	return nil, &imap.Error{Type: imap.StatusResponseTypeNo, Text: "SASL mechanism not supported"}
}

// noMoveSession hides session's Move method (the field shadows it), so the
// server refuses MOVE.
type noMoveSession struct {
	*session
	Move struct{}
}

// xoauth2Server implements the server side of Google's and Microsoft's
// XOAUTH2: "user=<u>\x01auth=Bearer <token>\x01\x01". On failure it sends a
// JSON error challenge, waits for the client's empty response, then fails.
type xoauth2Server struct {
	sess   *session
	failed bool
}

const xoauth2Failure = `{"status":"401","schemes":"bearer","scope":"https://mail.google.com/"}`

func (x *xoauth2Server) Next(response []byte) ([]byte, bool, error) {
	if x.failed {
		return nil, false, imapserver.ErrAuthFailed
	}
	if response == nil {
		return nil, false, nil // ask for the initial response
	}
	user, token, ok := parseXOAUTH2(response)
	o := x.sess.srv.opts
	if ok && user == o.Username && subtle.ConstantTimeCompare([]byte(token), []byte(o.OAuth2Token)) == 1 {
		x.sess.UserSession = imapmemserver.NewUserSession(x.sess.srv.user)
		return nil, true, nil
	}
	x.failed = true
	return []byte(xoauth2Failure), false, nil
}

func parseXOAUTH2(b []byte) (user, token string, ok bool) {
	if !bytes.HasSuffix(b, []byte("\x01\x01")) {
		return "", "", false
	}
	for _, kv := range strings.Split(string(b[:len(b)-2]), "\x01") {
		k, v, _ := strings.Cut(kv, "=")
		switch k {
		case "user":
			user = v
		case "auth":
			t, found := strings.CutPrefix(v, "Bearer ")
			if !found {
				return "", "", false
			}
			token = t
		}
	}
	return user, token, user != "" && token != ""
}
