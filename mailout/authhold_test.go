package mailout

import (
	"testing"
	"time"
)

func TestAuthHoldDoublesAndEnds(t *testing.T) {
	var h authHold
	// Each refusal comes as the pause before it ends: refusals in a row.
	at := time.Now()
	for _, want := range []time.Duration{time.Minute, 2 * time.Minute, 4 * time.Minute, 8 * time.Minute, maxAuthHold, maxAuthHold} {
		until := h.fail(at, time.Minute, time.Hour)
		if got := until.Sub(at); got != want {
			t.Errorf("fail() paused %v, want %v", got, want)
		}
		at = until
	}
	if h.fail(time.Now(), time.Minute, time.Hour); h.remaining() <= 0 {
		t.Errorf("remaining() = %v while paused, want more than 0", h.remaining())
	}
	h.ok()
	if d := h.remaining(); d != 0 {
		t.Errorf("remaining() after a login that worked = %v, want 0", d)
	}
	if until := h.fail(time.Now(), time.Second, 3*time.Second); time.Until(until) > time.Second {
		t.Errorf("fail() after ok() paused %v, want the base again (1s)", time.Until(until))
	}
	var short authHold
	at = time.Now()
	for range 3 {
		until := short.fail(at, time.Minute, 90*time.Second)
		if d := until.Sub(at); d > 90*time.Second {
			t.Errorf("fail() paused %v, want at most retry_max (1m30s)", d)
		}
		at = until
	}
}

// TestAuthHoldWorkersRefusedTogether: the workers' logins begun before the
// first refusal paused sending are refused too; they are the same refusal
// and do not double the pause (with four workers the first pause was
// eight times smtp.retry_base).
func TestAuthHoldWorkersRefusedTogether(t *testing.T) {
	var h authHold
	first := h.fail(time.Now(), time.Minute, time.Hour)
	for range 3 {
		if until := h.fail(time.Now(), time.Minute, time.Hour); !until.Equal(first) {
			t.Errorf("fail() by another worker while paused = pause until +%v, want the first pause's end (+%v)",
				time.Until(until).Round(time.Second), time.Until(first).Round(time.Second))
		}
	}
}
