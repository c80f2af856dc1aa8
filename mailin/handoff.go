package mailin

import (
	"context"
	"sync"
	"time"
)

// Handoff carries the raw bytes a Syncer has just captured to the
// Processor of the same process, so that the processor does not read back
// from PostgreSQL what this process wrote a moment ago (290 MB for
// BenchmarkIngest's 10,000 messages). It is only a shortcut: a capture it
// has no room for, one made by another process or before a restart, or
// one whose batch is processed again, is read from the database as
// before. Entries are keyed by the inbound row's unique (mailbox,
// UIDVALIDITY, UID), put after the capture commits and taken once; an
// entry nobody took within handoffMaxAge (another process processed it)
// is dropped.
type Handoff struct {
	mu    sync.Mutex
	max   int
	size  int
	raw   map[handoffKey][]byte
	order []handoffEntry // in the order put, taken ones included
	freed chan struct{}  // signalled when an entry is taken
	now   func() time.Time
}

type handoffKey struct {
	mailbox     string
	uidValidity int64
	uid         int64
}

type handoffEntry struct {
	key handoffKey
	put time.Time
}

// handoffMaxAge is how long an entry waits to be taken.
const handoffMaxAge = time.Minute

// NewHandoff returns a Handoff holding at most max bytes.
func NewHandoff(max int) *Handoff {
	return &Handoff{max: max, raw: map[handoffKey][]byte{}, freed: make(chan struct{}, 1), now: time.Now}
}

// room waits, at most wait, until need more bytes fit, so that a syncer
// capturing a backlog stays a few batches ahead of its processor instead
// of filling the handoff at once and leaving the rest to be read back. A
// nil Handoff has no room and waits for nothing.
func (h *Handoff) room(ctx context.Context, need int, wait time.Duration) {
	if h == nil {
		return
	}
	timer := time.NewTimer(wait)
	defer timer.Stop()
	for {
		h.mu.Lock()
		h.expire()
		fits := h.size == 0 || h.size+need <= h.max
		h.mu.Unlock()
		if fits {
			return
		}
		select {
		case <-h.freed:
		case <-timer.C:
			return
		case <-ctx.Done():
			return
		}
	}
}

// put keeps raw, the bytes stored in the inbound row (mailbox, uidValidity,
// uid), if there is room.
func (h *Handoff) put(mailbox string, uidValidity, uid int64, raw []byte) {
	if h == nil {
		return
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	h.expire()
	if h.size+len(raw) > h.max {
		return
	}
	k := handoffKey{mailbox, uidValidity, uid}
	if old, ok := h.raw[k]; ok {
		h.size -= len(old)
	}
	h.raw[k] = raw
	h.size += len(raw)
	h.order = append(h.order, handoffEntry{k, h.now()})
}

// take returns and forgets the bytes kept for an inbound row.
func (h *Handoff) take(mailbox string, uidValidity, uid int64) ([]byte, bool) {
	if h == nil {
		return nil, false
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	k := handoffKey{mailbox, uidValidity, uid}
	raw, ok := h.raw[k]
	if ok {
		delete(h.raw, k)
		h.size -= len(raw)
		select {
		case h.freed <- struct{}{}:
		default:
		}
	}
	return raw, ok
}

// expire drops the entries put more than handoffMaxAge ago, and forgets
// the order of those taken. h.mu is held.
func (h *Handoff) expire() {
	cut := h.now().Add(-handoffMaxAge)
	i := 0
	for ; i < len(h.order); i++ {
		e := h.order[i]
		raw, held := h.raw[e.key]
		if held && e.put.After(cut) {
			break
		}
		if held {
			delete(h.raw, e.key)
			h.size -= len(raw)
		}
	}
	h.order = h.order[i:]
}
