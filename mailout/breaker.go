package mailout

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/deskgate/deskgate/ticketing"
)

// Breaker is the circuit breaker on automatic mail: when more than Max
// automatic notifications were queued in the last Window (in all
// processes), automatic mail is held back for Pause, and again for as long
// as the count stays above Max. Mail a person wrote is sent regardless.
// Zero fields take DefaultBreakerWindow, DefaultBreakerMax and
// DefaultBreakerPause; a negative Max disables the breaker.
type Breaker struct {
	Window time.Duration
	Max    int
	Pause  time.Duration
}

// BreakerOpen reports whether the circuit breaker currently holds back
// automatic mail.
func (s *Sender) BreakerOpen() bool {
	s.breaker.mu.Lock()
	defer s.breaker.mu.Unlock()
	return s.breaker.open
}

// breakerState is the circuit breaker's state, shared by the workers.
type breakerState struct {
	mu      sync.Mutex
	open    bool
	until   time.Time // while open: when to check again
	checked time.Time // while closed: when last checked
}

// automaticAllowed reports whether automatic mail may be claimed, counting
// recent automatic mail in the database at most once per second (or Poll).
// Each change is recorded in smtp_state for `deskgate status`; with
// several processes, the last to decide is shown (they decide from the
// same count).
func (s *Sender) automaticAllowed(ctx context.Context) (bool, error) {
	cfg := s.cfg.Breaker
	if cfg.Max < 0 {
		return true, nil
	}
	b := &s.breaker
	b.mu.Lock()
	defer b.mu.Unlock()
	now := time.Now()
	if b.open && now.Before(b.until) {
		return false, nil
	}
	if !b.open && now.Sub(b.checked) < min(time.Second, s.cfg.Poll) {
		return true, nil
	}
	n, err := ticketing.AutomaticSince(ctx, s.pool, now.Add(-cfg.Window), cfg.Max+1)
	if err != nil {
		return false, err
	}
	b.checked = now
	switch {
	case n > cfg.Max && !b.open:
		b.open, b.until = true, now.Add(cfg.Pause)
		s.state.breaker(ctx, true, b.until)
		s.log.Error(fmt.Sprintf("automatic mail paused: more than %d queued in last %v; possible mail loop", cfg.Max, cfg.Window),
			"window", cfg.Window, "max", cfg.Max, "pause", cfg.Pause)
	case n > cfg.Max:
		b.until = now.Add(cfg.Pause)
		s.state.breaker(ctx, true, b.until)
	case b.open:
		b.open = false
		s.state.breaker(ctx, false, time.Time{})
		s.log.Warn(fmt.Sprintf("automatic mail resumed: %d queued in last %v, at most %d", n, cfg.Window, cfg.Max),
			"queued", n, "window", cfg.Window, "max", cfg.Max)
	}
	return !b.open, nil
}
