package mailin

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"slices"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/deskgate/deskgate/internal/imapmem"
	"github.com/deskgate/deskgate/ticketing"
)

// TestProcessorTakesWhatItsSyncerCaptured: mail this process captured is
// processed from the handoff, not read back; mail the handoff had no room
// for is read from the database. The stored bytes are changed after the
// capture so that the test sees which the processor read.
func TestProcessorTakesWhatItsSyncerCaptured(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		room int
		want string // subject prefix of the tickets
	}{
		{1 << 20, "Original"},
		{0, "Stored"},
	} {
		t.Run(fmt.Sprint(c.room), func(t *testing.T) {
			t.Parallel()
			e := newEnv(t, imapmem.Options{})
			for i := range 3 {
				e.append("INBOX", fmt.Appendf(nil, "From: a%d@example.se\r\nTo: desk@example.com\r\nSubject: Original %d\r\nMessage-ID: <m%d@example.se>\r\n\r\nHello\r\n", i, i, i))
			}
			h := NewHandoff(c.room)
			e.mb.Handoff = h
			stop := e.start(e.syncer("a"))
			ctx := context.Background()
			deadline := time.Now().Add(20 * time.Second)
			for n := 0; n < 3; {
				if time.Now().After(deadline) {
					t.Fatalf("%d of 3 messages captured after 20s", n)
				}
				if err := e.pool.QueryRow(ctx, `SELECT count(*) FROM inbound`).Scan(&n); err != nil {
					t.Fatal(err)
				}
				time.Sleep(20 * time.Millisecond)
			}
			if err := stop(); err != nil {
				t.Fatal(err)
			}
			if _, err := e.pool.Exec(ctx, `UPDATE inbound SET raw = convert_to(
				'From: a' || uid || '@example.se' || chr(13) || chr(10) || 'Subject: Stored ' || uid || chr(13) || chr(10) || chr(13) || chr(10) || 'Hi', 'UTF8')`); err != nil {
				t.Fatal(err)
			}
			log := slog.New(slog.NewTextHandler(io.Discard, nil))
			p := NewProcessor(e.pool, ticketing.NewDesk(log, ticketing.Config{}), ProcessorConfig{Handoff: h}, log)
			if _, err := p.Drain(ctx); err != nil {
				t.Fatal(err)
			}
			rows, err := e.pool.Query(ctx, `SELECT subject FROM tickets ORDER BY id`)
			if err != nil {
				t.Fatal(err)
			}
			subjects, err := pgx.CollectRows(rows, pgx.RowTo[string])
			if err != nil {
				t.Fatal(err)
			}
			if len(subjects) != 3 || slices.ContainsFunc(subjects, func(s string) bool { return s[:len(c.want)] != c.want }) {
				t.Errorf("with room for %d bytes, tickets %q; want three %q…", c.room, subjects, c.want)
			}
			if _, ok := h.take("desk", 0, 1); ok || len(h.raw) != 0 || h.size != 0 {
				t.Errorf("the handoff still holds %d entries (%d bytes) after processing", len(h.raw), h.size)
			}
		})
	}
}

// TestHandoffPacesCaptureAndForgetsWhatNobodyTakes: a capture waits for
// the processor to take what is held (but not past its bound), and an
// entry another process processed is dropped after handoffMaxAge.
func TestHandoffPacesCaptureAndForgetsWhatNobodyTakes(t *testing.T) {
	h := NewHandoff(10)
	now := time.Unix(1_000_000, 0)
	h.now = func() time.Time { return now }
	h.put("desk", 1, 1, make([]byte, 8))
	var taking atomic.Bool // set before take: room may return before take does
	go func() {
		time.Sleep(20 * time.Millisecond)
		taking.Store(true)
		h.take("desk", 1, 1)
	}()
	h.room(context.Background(), 8, time.Minute) // returns once the entry is taken
	if !taking.Load() {
		t.Fatal("room returned while the handoff was full")
	}
	h.put("desk", 1, 2, make([]byte, 8))
	start := time.Now()
	h.room(context.Background(), 8, 30*time.Millisecond) // nobody takes: the bound
	if time.Since(start) < 30*time.Millisecond {
		t.Error("room returned before its bound with the handoff full")
	}
	h.put("desk", 1, 3, make([]byte, 8)) // no room: not kept
	if _, ok := h.take("desk", 1, 3); ok {
		t.Error("an entry over the limit was kept")
	}
	now = now.Add(handoffMaxAge + time.Second)
	h.put("desk", 1, 4, make([]byte, 8)) // uid 2 expired, so this fits
	if _, ok := h.take("desk", 1, 2); ok {
		t.Error("an entry nobody took was kept past handoffMaxAge")
	}
	if _, ok := h.take("desk", 1, 4); !ok {
		t.Error("a new entry was refused after the old one expired")
	}
	if h.size != 0 || len(h.raw) != 0 {
		t.Errorf("size %d, %d entries after all were taken or expired", h.size, len(h.raw))
	}
}
