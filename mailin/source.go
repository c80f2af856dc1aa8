package mailin

import "errors"

// dbError marks an error of the database (a query, a connection refused,
// a closed pool), as opposed to one of the IMAP server, so that the sync
// loop logs each fault as what it is.
type dbError struct{ err error }

func (e dbError) Error() string { return e.err.Error() }
func (e dbError) Unwrap() error { return e.err }

// dbErr marks err, which came from the database; nil stays nil.
func dbErr(err error) error {
	if err == nil {
		return nil
	}
	return dbError{err}
}

// fromDatabase reports whether err came from the database.
func fromDatabase(err error) bool {
	var d dbError
	return errors.As(err, &d)
}

// errLoginRejected marks a login the IMAP server refused: wrong
// credentials, an expired token, a locked account. It is logged as an
// error every time, since it will not pass on its own.
var errLoginRejected = errors.New("login rejected")

// AuthFailed reports whether err is an authentication failure: the server
// refused the login. It is the one place that decides, for logging (ERROR
// every time), back-off (the long one) and the mailbox's recorded state
// (auth_failed); an OAuth2 token that cannot be refreshed belongs here too.
func AuthFailed(err error) bool {
	return errors.Is(err, errLoginRejected)
}
