package mailout

import "context"

// CheckLogin connects to the server of cfg and logs in exactly as a
// Sender's worker does (the same dial, TLS, EHLO and AUTH), then quits:
// what `deskgate config check -connect` runs. AuthFailed tells whether an
// error is the server refusing the login.
func CheckLogin(ctx context.Context, cfg Config) error {
	c, err := newClient(cfg.withDefaults())
	if err != nil {
		return err
	}
	if err := c.connect(ctx); err != nil {
		return &checkError{err}
	}
	c.close()
	return nil
}

// checkError is a failed CheckLogin: it reads as the server's reply, on
// one line.
type checkError struct{ err error }

func (e *checkError) Error() string { return "mailout: " + replyOf(e.err) }
func (e *checkError) Unwrap() error { return e.err }
