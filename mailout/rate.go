package mailout

import (
	"context"
	"sync"
	"time"
)

// limiter holds sending to at most max emails in any window (a minute for
// smtp.max_per_minute), across all the workers of one Sender: it keeps the
// times of the last max sends, and a send may begin once the oldest of them
// is a window old. This sliding log is exact where a token bucket is not
// (a full bucket spent at the end of one minute and refilled in the next
// sends up to twice the rate within a minute), costs max timestamps, and
// needs no dependency (golang.org/x/time/rate is not one of ours).
//
// The limit is per process: several serve processes each send up to max.
// A nil *limiter does not limit.
type limiter struct {
	max    int
	window time.Duration
	now    func() time.Time

	mu       sync.Mutex
	sent     []time.Time // ring of the last max sends; next is the oldest once full
	next     int
	reserved int // sends the workers' current claims may still use (reserve)
}

// newLimiter returns a limiter of max sends per window, nil for max <= 0.
func newLimiter(max int, window time.Duration) *limiter {
	if max <= 0 {
		return nil
	}
	return &limiter{max: max, window: window, now: time.Now, sent: make([]time.Time, 0, max)}
}

// take records a send now if the limit allows one, and otherwise returns
// how long until it does.
func (l *limiter) take() time.Duration {
	if l == nil {
		return 0
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now()
	if len(l.sent) < l.max {
		l.sent = append(l.sent, now)
		return 0
	}
	if d := l.sent[l.next].Add(l.window).Sub(now); d > 0 {
		return d
	}
	l.sent[l.next] = now
	l.next = (l.next + 1) % l.max
	return 0
}

// free returns how many sends the limit allows now, at most n, besides
// those reserved.
func (l *limiter) free(n int) int {
	if l == nil {
		return n
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.freeLocked(n)
}

// reserve returns how many emails a worker may claim now, at most n and one
// at least (which waits its turn), and counts them as the worker's until
// it releases them, so that two workers claiming at once do not both claim
// the same minute's sends: the second would spend them on automatic mail
// while the first holds an agent's reply.
func (l *limiter) reserve(n int) int {
	if l == nil {
		return n
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	k := max(l.freeLocked(n), 1)
	l.reserved += k
	return k
}

// release ends a reservation of k once its claim is delivered or handed
// back.
func (l *limiter) release(k int) {
	if l == nil {
		return
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	l.reserved = max(l.reserved-k, 0)
}

func (l *limiter) freeLocked(n int) int {
	now, k := l.now(), l.max-len(l.sent)-l.reserved
	for i := 0; i < len(l.sent) && k < n; i++ {
		if !l.sent[(l.next+i)%len(l.sent)].Add(l.window).After(now) {
			k++
		}
	}
	return max(min(k, n), 0)
}

// wait blocks until the limit allows a send and records it; it returns
// false if ctx is done first.
func (l *limiter) wait(ctx context.Context) bool {
	for {
		d := l.take()
		if d == 0 {
			return ctx.Err() == nil
		}
		t := time.NewTimer(d)
		select {
		case <-ctx.Done():
			t.Stop()
			return false
		case <-t.C:
		}
	}
}
