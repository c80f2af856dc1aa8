package mailin

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"

	"github.com/deskgate/deskgate/internal/dbtest"
	"github.com/deskgate/deskgate/internal/imapmem"
	"github.com/deskgate/deskgate/internal/mailgen"
	"github.com/deskgate/deskgate/mailin/parse"
	"github.com/deskgate/deskgate/ticketing"
)

// TestParseBudgets: mail nested deeper than the MIME nesting limit, or
// with more parts than the part limit, arrives over IMAP with ordinary
// mail around it; it is captured whole and quarantined with a reason that
// names the limit, and the ordinary mail of the same batch becomes tickets.
func TestParseBudgets(t *testing.T) {
	t.Parallel()
	e := newEnv(t, imapmem.Options{})
	nested, many := mailgen.Nested(100), mailgen.ManyParts(1500)
	for _, raw := range [][]byte{message(1, ""), nested, many, message(4, "")} {
		e.append("INBOX", raw)
	}
	e.start(e.syncer("a"))
	e.waitCount(4, 10*time.Second)

	ctx := context.Background()
	if n, err := newProcessor(e.pool, 10).Drain(ctx); err != nil || n != 4 {
		t.Fatalf("Drain = %d, %v; want 4, nil", n, err)
	}
	rs, err := ListInbound(ctx, e.pool, "", 10)
	if err != nil || len(rs) != 4 {
		t.Fatalf("ListInbound = %d records (%v), want 4", len(rs), err)
	}
	want := map[int64]struct{ status, reason string }{
		1: {ticketing.StatusTicketed, ""},
		2: {ticketing.StatusQuarantined, "MIME parts nested deeper than 64 levels (ingest.max_mime_depth)"},
		3: {ticketing.StatusQuarantined, "more than 1000 MIME parts (ingest.max_mime_parts)"},
		4: {ticketing.StatusTicketed, ""},
	}
	for _, r := range rs {
		w := want[r.UID]
		if r.Status != w.status || !strings.Contains(r.Reason, w.reason) {
			t.Errorf("uid %d: status %s, reason %q; want %s with a reason containing %q", r.UID, r.Status, r.Reason, w.status, w.reason)
		}
	}
	// Nothing is lost: the quarantined mail is kept as it came.
	for _, row := range e.rows() {
		if row.UID == 2 && string(row.Raw) != string(nested) || row.UID == 3 && string(row.Raw) != string(many) {
			t.Errorf("uid %d: stored %d bytes, want the message as sent", row.UID, len(row.Raw))
		}
	}
}

// TestParseTimeSlot: a message still being parsed when the parse time
// limit passes is quarantined with that reason, and the rest of its batch
// becomes tickets without waiting for it.
func TestParseTimeSlot(t *testing.T) {
	t.Parallel()
	pool := dbtest.Pool(t)
	captureRaw(t, pool, false, nil, message(1, ""), message(2, ""), message(3, ""))
	proc := newProcessor(pool, 10)
	// Long enough for the other two on a loaded machine; message 2 never
	// finishes while the test runs, so only the time slot ends its wait.
	proc.cfg.Parse.Limits.Timeout = 2 * time.Second
	release := make(chan struct{})
	defer close(release)
	proc.parse = func(raw []byte, opts parse.Options) (ticketing.Inbound, error) {
		if bytes.Contains(raw, []byte("Printer 2 is broken")) {
			<-release // as long as the test runs
		}
		return parse.Message(raw, opts)
	}
	ctx := context.Background()
	if n, err := proc.Drain(ctx); err != nil || n != 3 {
		t.Fatalf("Drain = %d, %v; want 3, nil", n, err)
	}
	rs, err := ListInbound(ctx, pool, "", 10)
	if err != nil || len(rs) != 3 {
		t.Fatalf("ListInbound = %d records (%v), want 3", len(rs), err)
	}
	for _, r := range rs {
		status, reason := ticketing.StatusTicketed, ""
		if r.UID == 2 {
			status, reason = ticketing.StatusQuarantined, "parsing took longer than 2s (ingest.parse_timeout)"
		}
		if r.Status != status || !strings.Contains(r.Reason, reason) {
			t.Errorf("uid %d: status %s, reason %q; want %s with a reason containing %q", r.UID, r.Status, r.Reason, status, reason)
		}
	}
}
