package mailin

import (
	"github.com/emersion/go-sasl"
)

// XOAUTH2 is the SASL mechanism name of Google's and Microsoft's OAuth 2.0
// bearer-token login.
const XOAUTH2 = "XOAUTH2"

// XOAUTH2Client is a go-sasl client for XOAUTH2, which go-sasl lacks. On
// failure the server sends a JSON error as a challenge; the client answers
// with an empty response, as the protocol requires, so that the server ends
// the exchange with NO, and keeps the JSON for ServerError.
type XOAUTH2Client struct {
	username, token string
	serverError     string
}

var _ sasl.Client = (*XOAUTH2Client)(nil)

// NewXOAUTH2Client returns a client that logs username in with the bearer
// token.
func NewXOAUTH2Client(username, token string) *XOAUTH2Client {
	return &XOAUTH2Client{username: username, token: token}
}

// Start returns the mechanism name and the initial response
// "user=<username>\x01auth=Bearer <token>\x01\x01".
func (c *XOAUTH2Client) Start() (mech string, ir []byte, err error) {
	ir = make([]byte, 0, len(c.username)+len(c.token)+20)
	ir = append(ir, "user="...)
	ir = append(ir, c.username...)
	ir = append(ir, "\x01auth=Bearer "...)
	ir = append(ir, c.token...)
	ir = append(ir, "\x01\x01"...)
	return XOAUTH2, ir, nil
}

// Next records the server's error challenge and returns an empty response.
func (c *XOAUTH2Client) Next(challenge []byte) ([]byte, error) {
	c.serverError = string(challenge)
	return []byte{}, nil
}

// ServerError returns the error the server sent as a challenge (usually a
// JSON object such as {"status":"401",...}), or "" if it sent none.
func (c *XOAUTH2Client) ServerError() string { return c.serverError }
