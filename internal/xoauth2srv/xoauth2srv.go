// Package xoauth2srv is the server side of Google's and Microsoft's
// XOAUTH2 SASL mechanism, for the in-process IMAP and SMTP test servers:
// the client sends "user=<u>\x01auth=Bearer <token>\x01\x01"; on failure the
// server sends a JSON error challenge, waits for the client's empty
// response, then fails.
package xoauth2srv

import (
	"bytes"
	"strings"
)

// Failure is the error challenge sent after a rejected token.
const Failure = `{"status":"401","schemes":"bearer","scope":"https://mail.google.com/"}`

// Server is one XOAUTH2 exchange; it implements go-sasl's sasl.Server.
type Server struct {
	// Accept reports whether token is valid for user (and may log the
	// session in).
	Accept func(user, token string) bool
	// Initial is the challenge that asks for the initial response (nil and
	// an empty challenge differ between protocols).
	Initial []byte
	// ErrFailed is the protocol's authentication failure.
	ErrFailed error
	failed    bool
}

// Next handles one client response.
func (x *Server) Next(response []byte) ([]byte, bool, error) {
	if x.failed {
		return nil, false, x.ErrFailed
	}
	if response == nil {
		return x.Initial, false, nil
	}
	if user, token, ok := Parse(response); ok && x.Accept(user, token) {
		return nil, true, nil
	}
	x.failed = true
	return []byte(Failure), false, nil
}

// Parse reads a client's initial response.
func Parse(b []byte) (user, token string, ok bool) {
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
