package mailout

import (
	"sync"
	"time"
)

// maxAuthHold bounds the pause after rejected logins.
const maxAuthHold = 15 * time.Minute

// authHold pauses all of a Sender's workers while no login can work: after
// the SMTP server refused the login, since retrying a wrong password
// quickly locks accounts and helps nobody (fail), and while the OAuth2
// token source has no token to log in with (hold; the source itself
// decides when to ask the provider again). The pause is RetryBase after the first refusal and doubles with
// each one in a row, up to the smaller of RetryMax and maxAuthHold; the
// first session that works ends it. A refusal while paused is of a login
// another worker began before the pause: it is the same refusal and does
// not lengthen the pause. Mail waits meanwhile, handed back
// untried: it is neither failed nor charged an attempt.
type authHold struct {
	mu    sync.Mutex
	until time.Time
	n     int
}

// fail records a login refused at now and returns when sending resumes.
func (h *authHold) fail(now time.Time, base, top time.Duration) time.Time {
	h.mu.Lock()
	defer h.mu.Unlock()
	if now.Before(h.until) {
		return h.until
	}
	d := base
	for i := 0; i < h.n && d < top; i++ {
		d *= 2
	}
	h.n++
	h.until = now.Add(min(d, top, maxAuthHold))
	return h.until
}

// hold pauses sending until until, or longer if it is paused longer
// already, without counting a refusal, and returns when sending resumes.
func (h *authHold) hold(until time.Time) time.Time {
	h.mu.Lock()
	defer h.mu.Unlock()
	if until.After(h.until) {
		h.until = until
	}
	return h.until
}

// ok records a session that worked.
func (h *authHold) ok() {
	h.mu.Lock()
	h.n, h.until = 0, time.Time{}
	h.mu.Unlock()
}

// remaining returns how long sending is still paused, 0 when it is not.
func (h *authHold) remaining() time.Duration {
	h.mu.Lock()
	defer h.mu.Unlock()
	return max(time.Until(h.until), 0)
}
