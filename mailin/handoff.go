package mailin

import "sync"

// Handoff carries the raw bytes a Syncer has just captured to the
// Processor of the same process, so that the processor does not read back
// from PostgreSQL what this process wrote a moment ago (290 MB for
// BenchmarkIngest's 10,000 messages). It is only a shortcut: a capture it
// has no room for, one made by another process or before a restart, or
// one whose batch is processed again, is read from the database as
// before. Entries are keyed by the inbound row's unique (mailbox,
// UIDVALIDITY, UID), put after the capture commits and taken once.
type Handoff struct {
	mu   sync.Mutex
	max  int
	size int
	raw  map[handoffKey][]byte
}

type handoffKey struct {
	mailbox     string
	uidValidity int64
	uid         int64
}

// NewHandoff returns a Handoff holding at most max bytes; while full, new
// captures are left to be read from the database (the processor takes the
// oldest first, so those it holds are the next it needs).
func NewHandoff(max int) *Handoff {
	return &Handoff{max: max, raw: map[handoffKey][]byte{}}
}

// put keeps raw, the bytes stored in the inbound row (mailbox, uidValidity,
// uid), if there is room. A nil Handoff keeps nothing.
func (h *Handoff) put(mailbox string, uidValidity, uid int64, raw []byte) {
	if h == nil {
		return
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.size+len(raw) > h.max {
		return
	}
	k := handoffKey{mailbox, uidValidity, uid}
	if old, ok := h.raw[k]; ok {
		h.size -= len(old)
	}
	h.raw[k] = raw
	h.size += len(raw)
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
	}
	return raw, ok
}
