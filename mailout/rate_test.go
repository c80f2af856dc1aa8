package mailout

import (
	"testing"
	"time"

	"github.com/deskgate/deskgate/internal/smtpmem"
	"github.com/deskgate/deskgate/ticketing"
)

func TestLimiterHoldsBurstToRate(t *testing.T) {
	t.Parallel()
	clock := time.Date(2026, 12, 7, 12, 0, 0, 0, time.UTC)
	l := newLimiter(30, time.Minute)
	l.now = func() time.Time { return clock }
	var sent []time.Time
	// A burst of 100 at once, then every second for five minutes one more
	// asks again for each that waits.
	waiting := 0
	for range 100 {
		if l.take() == 0 {
			sent = append(sent, clock)
		} else {
			waiting++
		}
	}
	if len(sent) != 30 {
		t.Fatalf("sent %d of a burst of 100, want 30", len(sent))
	}
	if got := l.free(16); got != 0 {
		t.Errorf("free(16) after the burst = %d, want 0", got)
	}
	for range 300 {
		clock = clock.Add(time.Second)
		for waiting > 0 && l.take() == 0 {
			sent = append(sent, clock)
			waiting--
		}
	}
	if waiting != 0 {
		t.Errorf("%d still waiting after five minutes, want none", waiting)
	}
	for i := range sent {
		n := 0
		for _, s := range sent[i:] {
			if s.Sub(sent[i]) < time.Minute {
				n++
			}
		}
		if n > 30 {
			t.Fatalf("%d sent in the minute from %v, want at most 30", n, sent[i])
		}
	}
	if got := l.free(16); got != 16 {
		t.Errorf("free(16) once all is sent and a minute passed = %d, want 16", got)
	}
	if d := newLimiter(0, time.Minute).take(); d != 0 {
		t.Errorf("an unlimited limiter's take() = %v, want 0", d)
	}
}

func TestMaxPerMinuteWaits(t *testing.T) {
	t.Parallel()
	e := newEnv(t, smtpmem.Options{})
	ids := e.insert(row{}, row{}, row{}, row{}, row{})
	cfg := e.config()
	cfg.MaxPerMinute = 2
	_, stop := e.start(cfg)
	e.wait(2, 10*time.Second)
	if err := stop(); err != nil {
		t.Fatal(err)
	}
	if n := len(e.srv.Messages()); n != 2 {
		t.Errorf("server received %d messages in the first minute, want 2", n)
	}
	sent, queued := 0, 0
	for _, id := range ids {
		switch r := e.row(id); {
		case r.Status == ticketing.OutboxSent && r.Attempts == 1:
			sent++
		case r.Status == ticketing.OutboxQueued && r.Attempts == 0:
			queued++
		default:
			t.Errorf("row %d = %+v, want sent once or waiting uncharged", id, r)
		}
	}
	if sent != 2 || queued != 3 {
		t.Errorf("%d sent and %d waiting, want 2 and 3", sent, queued)
	}
}

// TestMaxPerMinutePersonalFirst: under MaxPerMinute, an agent's reply is
// not held behind a backlog of automatic mail that spends the rate (30 a
// minute on Microsoft 365: 600 acknowledgements would hold it 20 minutes).
func TestMaxPerMinutePersonalFirst(t *testing.T) {
	t.Parallel()
	e := newEnv(t, smtpmem.Options{})
	auto := e.insert(row{automatic: true}, row{automatic: true}, row{automatic: true}, row{automatic: true})
	personal := e.insert(row{})[0]
	cfg := e.config()
	cfg.MaxPerMinute = 2 // two workers: each may claim only what the other has not reserved
	_, stop := e.start(cfg)
	e.wait(2, 10*time.Second)
	if err := stop(); err != nil {
		t.Fatal(err)
	}
	if r := e.row(personal); r.Status != ticketing.OutboxSent {
		t.Errorf("the agent's reply behind %d automatic emails = %+v after the first minute's 2 sends, want sent", len(auto), r)
	}
}

// TestLimiterReservesClaims: what one worker's claim reserved is not free
// to another's until it is released, so two workers claiming at once do
// not both claim the same minute's sends; a claim takes one at least.
func TestLimiterReservesClaims(t *testing.T) {
	l := newLimiter(2, time.Minute)
	if got := l.reserve(16); got != 2 {
		t.Fatalf("first reserve(16) = %d, want the 2 a minute allows", got)
	}
	if got := l.free(16); got != 0 {
		t.Errorf("free(16) while they are reserved = %d, want 0", got)
	}
	if got := l.reserve(16); got != 1 {
		t.Errorf("second reserve(16) = %d, want 1, which waits its turn", got)
	}
	l.release(1)
	l.release(2)
	if got := l.free(16); got != 2 {
		t.Errorf("free(16) once released = %d, want 2", got)
	}
	var none *limiter
	if got := none.reserve(16); got != 16 {
		t.Errorf("no limit: reserve(16) = %d, want 16", got)
	}
}
