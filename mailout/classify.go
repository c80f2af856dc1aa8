package mailout

import (
	"errors"
	"fmt"
	"net/textproto"
	"strings"

	gomail "github.com/wneessen/go-mail"

	"github.com/deskgate/deskgate/oauth"
	"github.com/deskgate/deskgate/ticketing"
)

// setupError is a failure to open a session. It says nothing about the
// message, so it is always temporary.
type setupError struct {
	addr string
	err  error
}

func (e *setupError) Error() string { return "connecting to " + e.addr + ": " + e.err.Error() }
func (e *setupError) Unwrap() error { return e.err }

// tokenError is a connection that could not log in for want of an OAuth2
// token: the mail waits, without an attempt, until one comes.
type tokenError struct{ err error }

func (e *tokenError) Error() string { return "no OAuth2 token: " + e.err.Error() }
func (e *tokenError) Unwrap() error { return e.err }

// classify decides the fate of a message from the error of a transaction:
// ticketing.ResultFailed for a permanent refusal (a 5xx reply other than
// 530), else ticketing.ResultRetry. (Refused recipients are no error; see
// transaction.) reply is the server's reply or the error, for the
// record.
//
// A failure to connect or log in is always retried (see Config). go-mail's
// *SendError is classified by its reply code; its IsTemp reports false for
// network errors, which have no code, so it is not consulted.
func classify(err error) (result string, reply string) {
	const retry, failed = ticketing.ResultRetry, ticketing.ResultFailed
	reply = replyOf(err)
	var se *setupError
	if errors.As(err, &se) {
		return retry, reply
	}
	var ze *sizeError // larger than the server takes: waiting does not help
	if errors.As(err, &ze) {
		return failed, reply
	}
	if code := replyCode(err); code/100 == 5 && code != 530 {
		return failed, reply
	}
	return retry, reply
}

// replyOf returns err as one line, with an SMTP reply as "code text" (since
// Go 1.26 textproto.Error quotes the text).
func replyOf(err error) string {
	s := err.Error()
	var te *textproto.Error
	if errors.As(err, &te) {
		s = strings.Replace(s, te.Error(), fmt.Sprintf("%03d %s", te.Code, te.Msg), 1)
	}
	return flatten(s)
}

// flatten joins the lines of a multi-line reply and bounds its length.
func flatten(s string) string {
	s = strings.ReplaceAll(s, "\n", " ")
	if len(s) > 2000 {
		s = s[:2000] + "…"
	}
	return s
}

// AuthFailed reports whether err is an authentication failure: the server
// refused our login (535 bad credentials, 534 a stronger mechanism or an
// app password needed, 530 authentication required, including a 530 to
// MAIL), or the provider refused to issue an OAuth2 token
// (*oauth.RefreshError). It is the one place that decides, for logging
// (ERROR), pausing the sender and the recorded state.
func AuthFailed(err error) bool {
	var refused *oauth.RefreshError
	code := replyCode(err)
	return code == 535 || code == 534 || code == 530 || errors.As(err, &refused)
}

// replyCode returns the SMTP reply code err carries, 0 for none.
func replyCode(err error) int {
	var te *textproto.Error
	var ge *gomail.SendError
	switch {
	case errors.As(err, &te):
		return te.Code
	case errors.As(err, &ge):
		return ge.ErrorCode()
	}
	return 0
}
