package outage

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"strings"
	"testing"
	"time"
)

// lines returns what h logged, one "LEVEL msg" per line.
func lines(buf *bytes.Buffer) []string {
	var out []string
	for _, l := range strings.Split(strings.TrimSpace(buf.String()), "\n") {
		if l == "" {
			continue
		}
		level := l[strings.Index(l, "level=")+6:]
		level = level[:strings.IndexByte(level, ' ')]
		msg := l[strings.Index(l, "msg=")+4:]
		if strings.HasPrefix(msg, `"`) {
			msg = msg[1 : strings.Index(msg[1:], `"`)+1]
		} else {
			msg = msg[:strings.IndexByte(msg+" ", ' ')]
		}
		out = append(out, level+" "+msg)
	}
	return out
}

func TestTrackerLogsAFaultThreeTimesAtMost(t *testing.T) {
	var buf bytes.Buffer
	tr := New(slog.New(slog.NewTextHandler(&buf, nil)), Database, 30*time.Second)
	clock := time.Date(2026, 12, 7, 9, 0, 0, 0, time.UTC)
	tr.now = func() time.Time { return clock }
	boom := errors.New("connection refused")

	if tr.OK("database reachable again") {
		t.Error("OK without a fault reported a recovery")
	}
	for i := range 100 { // a minute of failures, every 0.6 s
		if first := tr.Fail("database unavailable", boom); first != (i == 0) {
			t.Errorf("Fail #%d reported first = %v", i, first)
		}
		clock = clock.Add(600 * time.Millisecond)
	}
	if failing, since := tr.Failing(); !failing || !since.Equal(time.Date(2026, 12, 7, 9, 0, 0, 0, time.UTC)) {
		t.Errorf("Failing() = %v, %v", failing, since)
	}
	if !tr.OK("database reachable again") {
		t.Error("OK after a fault reported no recovery")
	}
	tr.Fail("database unavailable", boom) // a new blip: WARN again
	tr.OK("database reachable again")
	got := strings.Join(lines(&buf), "\n")
	want := strings.Join([]string{
		"WARN database unavailable",
		"ERROR database unavailable; still failing",
		"INFO database reachable again",
		"WARN database unavailable",
		"INFO database reachable again",
	}, "\n")
	if got != want {
		t.Errorf("logged:\n%s\nwant:\n%s", got, want)
	}
	if !strings.Contains(buf.String(), "source=database") || !strings.Contains(buf.String(), "failures=100") {
		t.Errorf("log lacks the source or the failure count:\n%s", buf.String())
	}
}

func TestSummary(t *testing.T) {
	var buf bytes.Buffer
	s := NewSummary(slog.New(slog.NewTextHandler(&buf, nil)), slog.LevelWarn, SMTP, "deliveries deferred", time.Minute)
	clock := time.Date(2026, 12, 7, 9, 0, 0, 0, time.UTC)
	s.now = func() time.Time { return clock }
	s.Flush() // nothing counted: nothing logged
	clock = clock.Add(time.Minute)
	for range 10 {
		s.Add("421 4.3.2 Service not available")
	}
	s.Add("451 4.7.1 Greylisted")
	s.Add("451 4.7.1 Greylisted")
	s.Flush()
	s.Flush()
	if got := lines(&buf); len(got) != 1 || got[0] != "WARN 12 deliveries deferred in the last 1m0s" {
		t.Fatalf("logged %q", got)
	}
	if !strings.Contains(buf.String(), `reasons="10× 421 4.3.2 Service not available; 2× 451 4.7.1 Greylisted"`) {
		t.Errorf("reasons missing:\n%s", buf.String())
	}

	// What is left at a stop is reported at INFO, over the time it covers.
	buf.Reset()
	s.Add("421 4.3.2 Service not available")
	clock = clock.Add(20 * time.Second)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	s.Run(ctx)
	if got := lines(&buf); len(got) != 1 || got[0] != "INFO 1 deliveries deferred in the last 20s" {
		t.Fatalf("at stop logged %q", got)
	}
}
