package mailout

import (
	"testing"
	"time"
)

func TestAuthHoldDoublesAndEnds(t *testing.T) {
	var h authHold
	for _, want := range []time.Duration{time.Minute, 2 * time.Minute, 4 * time.Minute, 8 * time.Minute, maxAuthHold, maxAuthHold} {
		before := time.Now()
		until := h.fail(time.Minute, time.Hour)
		if until.Sub(before) < want || time.Until(until) > want {
			t.Errorf("fail() paused until %v after the call began, want %v", until.Sub(before), want)
		}
		if h.remaining() <= 0 {
			t.Errorf("remaining() = %v while paused, want more than 0", h.remaining())
		}
	}
	h.ok()
	if d := h.remaining(); d != 0 {
		t.Errorf("remaining() after a login that worked = %v, want 0", d)
	}
	if until := h.fail(time.Second, 3*time.Second); time.Until(until) > time.Second {
		t.Errorf("fail() after ok() paused %v, want the base again (1s)", time.Until(until))
	}
	var short authHold
	for range 3 {
		short.fail(time.Minute, 90*time.Second)
	}
	if d := short.remaining(); d > 90*time.Second {
		t.Errorf("remaining() = %v, want at most retry_max (1m30s)", d)
	}
}
