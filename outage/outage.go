// Package outage logs faults the way an operator reads them: by their
// source (the database, an IMAP mailbox, the SMTP server), once when they
// start, once more if they last, and once when they end, with repeats
// counted instead of printed.
//
// A Tracker follows one source. The first failure of a fault is a WARN (a
// blip is usually over by the next try); a fault still failing after the
// Tracker's persistence threshold is one ERROR; the first success after a
// fault is one INFO saying how long it lasted and how many tries failed.
// Nothing else is logged in between. A Summary counts recurring events
// (deferred deliveries, say) and logs one line per interval with the
// count and the most frequent reasons.
package outage

import (
	"cmp"
	"context"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"time"
)

// Sources, for the "source" attribute of every line.
const (
	Database = "database"
	IMAP     = "imap"
	SMTP     = "smtp"
	Template = "template"
)

// DefaultPersistent is how long a fault lasts before it is an ERROR.
const DefaultPersistent = 30 * time.Second

// Tracker follows the faults of one source. Its methods are safe for
// concurrent use; the zero value is not usable, see New.
type Tracker struct {
	log        *slog.Logger
	source     string
	persistent time.Duration
	now        func() time.Time

	mu      sync.Mutex
	since   time.Time // when the current fault began; zero while healthy
	fails   int       // failures in the current fault
	errored bool      // the current fault was logged at ERROR
	last    string    // the latest failure's error
}

// New returns a Tracker for source that logs to log and calls a fault
// persistent after persistent (DefaultPersistent when 0).
func New(log *slog.Logger, source string, persistent time.Duration) *Tracker {
	return &Tracker{log: log, source: source, persistent: cmp.Or(persistent, DefaultPersistent), now: time.Now}
}

// Fail records a failure. msg says what failed ("IMAP session failed");
// attrs are logged with it. It reports whether this failure began a fault.
func (t *Tracker) Fail(msg string, err error, attrs ...any) bool {
	t.mu.Lock()
	now := t.now()
	first := t.since.IsZero()
	if first {
		t.since, t.fails, t.errored = now, 0, false
	}
	t.fails++
	t.last = fmt.Sprint(err)
	escalate := !first && !t.errored && now.Sub(t.since) >= t.persistent
	if escalate {
		t.errored = true
	}
	since, fails := t.since, t.fails
	t.mu.Unlock()
	args := append([]any{"source", t.source, "err", err}, attrs...)
	switch {
	case first:
		t.log.Warn(msg, args...)
	case escalate:
		args = append(args, "failing_for", now.Sub(since).Round(time.Second), "failures", fails)
		t.log.Error(msg+"; still failing", args...)
	}
	return first
}

// OK records a success. After a fault it logs one INFO with msg ("mailbox
// reachable again"), how long the fault lasted and how many tries failed,
// and reports true.
func (t *Tracker) OK(msg string, attrs ...any) bool {
	t.mu.Lock()
	if t.since.IsZero() {
		t.mu.Unlock()
		return false
	}
	lasted, fails, last := t.now().Sub(t.since), t.fails, t.last
	t.since, t.fails, t.errored, t.last = time.Time{}, 0, false, ""
	t.mu.Unlock()
	args := append([]any{"source", t.source, "lasted", lasted.Round(time.Millisecond), "failures", fails, "last_err", last}, attrs...)
	t.log.Info(msg, args...)
	return true
}

// Failing reports whether a fault is open, and since when.
func (t *Tracker) Failing() (bool, time.Time) {
	t.mu.Lock()
	defer t.mu.Unlock()
	return !t.since.IsZero(), t.since
}

// Summary counts recurring events of one kind and logs them once per
// interval: "12 deliveries deferred in the last 1m0s", with the most
// frequent reasons. Its methods are safe for concurrent use.
type Summary struct {
	log      *slog.Logger
	level    slog.Level
	source   string
	what     string // plural noun phrase: "deliveries deferred"
	interval time.Duration

	mu      sync.Mutex
	reasons map[string]int
	total   int
	since   time.Time // when the interval being counted began
	now     func() time.Time
}

// NewSummary returns a Summary of events described by what, logged at
// level every interval while any occurred.
func NewSummary(log *slog.Logger, level slog.Level, source, what string, interval time.Duration) *Summary {
	return &Summary{log: log, level: level, source: source, what: what, interval: interval, reasons: map[string]int{},
		now: time.Now, since: time.Now()}
}

// maxReasons bounds the distinct reasons one interval keeps.
const maxReasons = 100

// Add counts one event with its reason (an SMTP reply, an error).
func (s *Summary) Add(reason string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.total++
	if _, ok := s.reasons[reason]; ok || len(s.reasons) < maxReasons {
		s.reasons[reason]++
	}
}

// Flush logs what was counted since the last Flush, if anything, and
// starts counting anew.
func (s *Summary) Flush() { s.flush(s.level) }

// flush is Flush at level.
func (s *Summary) flush(level slog.Level) {
	s.mu.Lock()
	total, reasons, since := s.total, s.reasons, s.since
	s.total, s.reasons, s.since = 0, map[string]int{}, s.now()
	s.mu.Unlock()
	if total == 0 {
		return
	}
	type rc struct {
		reason string
		n      int
	}
	var top []rc
	for r, n := range reasons {
		top = append(top, rc{r, n})
	}
	slices.SortFunc(top, func(a, b rc) int { return cmp.Or(b.n-a.n, strings.Compare(a.reason, b.reason)) })
	var parts []string
	for _, r := range top[:min(3, len(top))] {
		parts = append(parts, fmt.Sprintf("%d× %s", r.n, r.reason))
	}
	period := s.now().Sub(since).Round(time.Second)
	s.log.Log(context.Background(), level, fmt.Sprintf("%d %s in the last %v", total, s.what, period),
		"source", s.source, "count", total, "reasons", strings.Join(parts, "; "))
}

// Run flushes every interval until ctx is done, then once more, at INFO at
// the most: what happened before a normal stop is reported, but the stop
// itself raises nothing.
func (s *Summary) Run(ctx context.Context) error {
	t := time.NewTicker(s.interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			s.flush(min(s.level, slog.LevelInfo))
			return nil
		case <-t.C:
			s.Flush()
		}
	}
}
