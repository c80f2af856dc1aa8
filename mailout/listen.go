package mailout

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/deskgate/deskgate/ticketing"
)

// listen wakes the workers whenever a commit signals ticketing.OutboxChannel.
// It holds one connection of its own, taken out of the pool, and listens
// again after losing it; the workers poll meanwhile.
func (s *Sender) listen(ctx context.Context) {
	delay := 100 * time.Millisecond
	for {
		listened, err := s.listenOnce(ctx)
		if ctx.Err() != nil {
			return
		}
		if listened {
			delay = 100 * time.Millisecond
		}
		s.db.Fail("mailout: listening for queued mail failed; polling meanwhile", err, "retry_in", delay)
		t := time.NewTimer(delay)
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-t.C:
		}
		delay = min(2*delay, 30*time.Second)
	}
}

// listenOnce listens on one connection until it fails or ctx is done, and
// reports whether LISTEN took effect.
func (s *Sender) listenOnce(ctx context.Context) (bool, error) {
	pc, err := s.pool.Acquire(ctx)
	if err != nil {
		return false, fmt.Errorf("mailout: connecting to listen: %w", err)
	}
	conn := pc.Hijack() // never returned to the pool in LISTEN state
	defer func() {
		cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), time.Second)
		defer cancel()
		conn.Close(cctx)
	}()
	if _, err := conn.Exec(ctx, "LISTEN "+pgx.Identifier{ticketing.OutboxChannel}.Sanitize()); err != nil {
		return false, fmt.Errorf("mailout: LISTEN: %w", err)
	}
	// Mail may have been queued while nobody listened.
	s.wake.broadcast()
	for {
		if _, err := conn.WaitForNotification(ctx); err != nil {
			return true, fmt.Errorf("mailout: waiting for notifications: %w", err)
		}
		s.wake.broadcast()
	}
}

// wakeup wakes every waiting worker at once.
type wakeup struct {
	mu sync.Mutex
	ch chan struct{}
}

// channel returns a channel closed by the next broadcast.
func (w *wakeup) channel() <-chan struct{} {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.ch == nil {
		w.ch = make(chan struct{})
	}
	return w.ch
}

func (w *wakeup) broadcast() {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.ch != nil {
		close(w.ch)
		w.ch = nil
	}
}
