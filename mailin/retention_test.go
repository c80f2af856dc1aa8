package mailin

import (
	"bytes"
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/deskgate/deskgate/internal/imapmem"
	"github.com/deskgate/deskgate/internal/mailgen"
	"github.com/deskgate/deskgate/ticketing"
)

// TestRetentionKeepsExactlyOnce: retention empties the raw bytes and
// attachment content of tickets closed long ago and keeps their text and
// events; the same mail fetched again, under the same UIDVALIDITY or a
// new one, is still recognised as captured and opens no second ticket.
func TestRetentionKeepsExactlyOnce(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	e := newEnv(t, imapmem.Options{})
	gen := mailgen.New(mailgen.Options{Seed: 3, AttachmentEvery: 1, AttachmentSize: 2 << 10})
	var raws [][]byte
	for i := range 4 {
		raws = append(raws, gen.Message(i))
		e.append("INBOX", raws[i])
	}
	stop := e.start(e.syncer("a"))
	e.waitCount(4, 10*time.Second)
	if err := stop(); err != nil {
		t.Fatal(err)
	}
	e.process(4, 4)
	var blobs int
	if err := e.pool.QueryRow(ctx, `SELECT count(*) FROM blobs`).Scan(&blobs); err != nil || blobs == 0 {
		t.Fatalf("count(blobs) = %d, %v: want the generated attachments stored", blobs, err)
	}
	// Three tickets closed 100 days ago, the fourth still open.
	if _, err := e.pool.Exec(ctx, `UPDATE tickets SET status = 'closed', closed_at = now() - interval '100 days'
		WHERE id IN (SELECT ticket_id FROM inbound WHERE uid <= 3)`); err != nil {
		t.Fatal(err)
	}
	texts := func() string {
		var s string
		if err := e.pool.QueryRow(ctx, `SELECT string_agg(text_body, '|' ORDER BY id) FROM messages`).Scan(&s); err != nil {
			t.Fatal(err)
		}
		return s
	}
	before := texts()

	got, err := ticketing.Retain(ctx, e.pool, 90*24*time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	if got.Tickets != 3 || got.RawMessages != 3 || got.Attachments != 3 {
		t.Errorf("Retain = %+v, want 3 tickets, 3 raw messages and 3 attachments", got)
	}
	for i, r := range e.rows() {
		if !bytes.Equal(r.SHA256, sum(raws[i])) {
			t.Errorf("inbound uid %d: sha256 changed", r.UID)
		}
		if kept := len(r.Raw) > 0; kept != (i == 3) {
			t.Errorf("inbound uid %d: %d raw bytes, want them kept only for the open ticket", r.UID, len(r.Raw))
		}
	}
	recs, err := ListInbound(ctx, e.pool, "", 10)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range recs { // newest first: uid 4 is the open ticket's
		if want := map[bool]string{true: "", false: "retention"}[r.UID == 4]; r.RawRemoved != want || (r.RawRemovedAt == nil) != (want == "") {
			t.Errorf("inbound uid %d: raw_removed %q at %v, want %q", r.UID, r.RawRemoved, r.RawRemovedAt, want)
		}
	}
	var emptied, kept, events int
	if err := e.pool.QueryRow(ctx, `SELECT count(*) FILTER (WHERE removed_at IS NOT NULL AND data = ''),
		count(*) FILTER (WHERE removed_at IS NULL AND data <> '') FROM blobs`).Scan(&emptied, &kept); err != nil {
		t.Fatal(err)
	}
	if emptied != 3 || kept != 1 {
		t.Errorf("blobs: %d emptied and %d kept, want 3 and 1", emptied, kept)
	}
	if err := e.pool.QueryRow(ctx, `SELECT count(*) FROM events WHERE kind = 'retention'`).Scan(&events); err != nil || events != 3 {
		t.Errorf("retention events = %d, %v, want 3", events, err)
	}
	if after := texts(); after != before {
		t.Errorf("messages' text changed by retention:\n%s\nwant\n%s", after, before)
	}
	if again, err := ticketing.Retain(ctx, e.pool, 90*24*time.Hour); err != nil || again != (ticketing.Retained{}) {
		t.Errorf("Retain again = %+v, %v, want nothing left to do", again, err)
	}

	// The same mail again: the cursor moved back, then the folder rebuilt
	// under a new UIDVALIDITY.
	if _, err := e.pool.Exec(ctx, `UPDATE mailboxes SET last_uid = 0`); err != nil {
		t.Fatal(err)
	}
	e.start(e.syncer("b"))
	eventually(t, 10*time.Second, func() error {
		if _, last, _ := e.cursor(); last != 4 {
			return fmt.Errorf("cursor at uid %d, want 4 again", last)
		}
		return nil
	})
	if n := e.count(); n != 4 {
		t.Errorf("%d messages captured after fetching the same UIDs again, want still 4", n)
	}
	if err := e.srv.RecreateFolder("INBOX"); err != nil {
		t.Fatal(err)
	}
	validity, _ := e.srv.UIDValidity("INBOX")
	eventually(t, 10*time.Second, func() error {
		if v, last, _ := e.cursor(); v != int64(validity) || last != 4 {
			return fmt.Errorf("cursor = (%d, %d), want (%d, 4)", v, last, validity)
		}
		return nil
	})
	if n := e.count(); n != 4 {
		t.Errorf("%d messages captured after fetching the same mail again, want still 4", n)
	}
	e.process(0, 4)
}
