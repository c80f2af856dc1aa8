package mailin

import (
	"context"
	"crypto/sha256"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/deskgate/deskgate/internal/dbtest"
	"github.com/deskgate/deskgate/internal/mailgen"
	"github.com/deskgate/deskgate/ticketing"
)

// captureRaw records raw messages as the Syncer would, UIDs from 1.
func captureRaw(t *testing.T, pool *pgxpool.Pool, truncated bool, sizes []int64, raws ...[]byte) {
	t.Helper()
	ctx := context.Background()
	if _, err := pool.Exec(ctx, `INSERT INTO mailboxes (name) VALUES ('desk') ON CONFLICT DO NOTHING`); err != nil {
		t.Fatal(err)
	}
	for i, raw := range raws {
		sum := sha256.Sum256(raw)
		size := int64(len(raw))
		if sizes != nil {
			size = sizes[i]
		}
		if _, err := pool.Exec(ctx, `INSERT INTO inbound (mailbox, uidvalidity, uid, sha256, size, raw, truncated)
			VALUES ('desk', 1, $1, $2, $3, $4, $5)`, i+1, sum[:], size, raw, truncated); err != nil {
			t.Fatal(err)
		}
	}
}

func newProcessor(pool *pgxpool.Pool, batch int) *Processor {
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	return NewProcessor(pool, ticketing.NewDesk(log, ticketing.Config{}), ProcessorConfig{BatchSize: batch, Workers: 2}, log)
}

// TestProcessorsShareBacklogExactlyOnce runs two processors, as two
// deskgate processes would, over one backlog.
func TestProcessorsShareBacklogExactlyOnce(t *testing.T) {
	t.Parallel()
	pool := dbtest.Pool(t)
	const n = 300
	gen := mailgen.New(mailgen.Options{Seed: 7, AttachmentEvery: 25, AttachmentSize: 4 << 10})
	raws := make([][]byte, n)
	for i := range raws {
		raws[i] = gen.Message(i)
	}
	captureRaw(t, pool, false, nil, raws...)

	ctx := context.Background()
	var wg sync.WaitGroup
	counts := make([]int, 2)
	for k := range counts {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c, err := newProcessor(pool, 20).Drain(ctx)
			if err != nil {
				t.Errorf("Drain: %v", err)
			}
			counts[k] = c
		}()
	}
	wg.Wait()
	if counts[0]+counts[1] != n {
		t.Errorf("processors handled %d + %d messages, want %d in total", counts[0], counts[1], n)
	}
	var tickets, distinct, ticketed int
	err := pool.QueryRow(ctx, `SELECT (SELECT count(*) FROM tickets), (SELECT count(DISTINCT inbound_id) FROM messages),
		(SELECT count(*) FROM inbound WHERE status = 'ticketed' AND ticket_id IS NOT NULL)`).Scan(&tickets, &distinct, &ticketed)
	if err != nil {
		t.Fatal(err)
	}
	if tickets != n || distinct != n || ticketed != n {
		t.Fatalf("tickets = %d, messages from %d captures, %d ticketed; want %d of each", tickets, distinct, ticketed, n)
	}
	// Charsets survived: every language's first line is in its ticket.
	for i := range 7 {
		var text string
		if err := pool.QueryRow(ctx, `SELECT m.text_body FROM inbound i JOIN messages m ON m.inbound_id = i.id WHERE i.uid = $1`, i+1).Scan(&text); err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(text, mailgen.Sample(i)) {
			t.Errorf("message %d text = %q, want it to contain %q", i, text, mailgen.Sample(i))
		}
	}
}

// TestOversizeStubOpensTicketThatSaysSo: a header-only stub still reaches
// the desk, with a note of where the full message is.
func TestOversizeStubOpensTicketThatSaysSo(t *testing.T) {
	t.Parallel()
	pool := dbtest.Pool(t)
	header := []byte("From: Big Sender <big@example.org>\r\nTo: help@desk.example\r\nSubject: Scans of all invoices\r\n" +
		"Message-ID: <big-1@example.org>\r\nContent-Type: multipart/mixed; boundary=x\r\n\r\n")
	captureRaw(t, pool, true, []int64{40 << 20}, header)
	if _, err := newProcessor(pool, 10).Drain(context.Background()); err != nil {
		t.Fatal(err)
	}
	rs, err := ListInbound(context.Background(), pool, "", 10)
	if err != nil || len(rs) != 1 {
		t.Fatalf("ListInbound = %d records (%v), want 1", len(rs), err)
	}
	r := rs[0]
	if r.Status != ticketing.StatusTicketed || r.Ticket == nil || !r.Truncated || r.Subject != "Scans of all invoices" ||
		!strings.Contains(r.Text, "40.0 MB") || !strings.Contains(r.Text, `desk mailbox "desk" (IMAP UID 1`) {
		t.Fatalf("stub record = %+v, want a ticket whose text names the size and where the message stays", r)
	}
}

// TestPoisonMessageIsQuarantinedAlone: a message the database refuses is
// set aside with the reason; the rest of its batch becomes tickets.
func TestPoisonMessageIsQuarantinedAlone(t *testing.T) {
	t.Parallel()
	pool := dbtest.Pool(t)
	ctx := context.Background()
	// A permanent failure for exactly one message, decided by PostgreSQL.
	if _, err := pool.Exec(ctx, `ALTER TABLE tickets ADD CONSTRAINT test_poison CHECK (subject <> 'POISON')`); err != nil {
		t.Fatal(err)
	}
	var raws [][]byte
	for i, subject := range []string{"one", "two", "POISON", "four", "five"} {
		raws = append(raws, []byte(fmt.Sprintf("From: u%d@example.org\r\nSubject: %s\r\nMessage-ID: <p%d@example.org>\r\n\r\nbody %d\r\n", i, subject, i, i)))
	}
	captureRaw(t, pool, false, nil, raws...)
	n, err := newProcessor(pool, 10).Drain(ctx)
	if err != nil || n != 5 {
		t.Fatalf("Drain = %d, %v; want 5, nil", n, err)
	}
	wantOneQuarantined(t, pool, 3, "test_poison")
}

// TestAttachmentTheDatabaseRefusesIsQuarantinedAlone: content refused
// when stored ahead of Receive (ticketing.StoreBlobs) does not stop the
// mailbox: the message is quarantined with the reason, the rest of its
// batch becomes tickets.
func TestAttachmentTheDatabaseRefusesIsQuarantinedAlone(t *testing.T) {
	t.Parallel()
	pool := dbtest.Pool(t)
	ctx := context.Background()
	if _, err := pool.Exec(ctx, `ALTER TABLE blobs ADD CONSTRAINT test_poison CHECK (size <> 13)`); err != nil {
		t.Fatal(err)
	}
	var raws [][]byte
	for i, file := range []string{"the first file", "twelve bytes", "13 bytes long", "another file", "a fifth file"} {
		raws = append(raws, withFiles(i, "", file))
	}
	captureRaw(t, pool, false, nil, raws...)
	n, err := newProcessor(pool, 10).Drain(ctx)
	if err != nil || n != 5 {
		t.Fatalf("Drain = %d, %v; want 5, nil", n, err)
	}
	wantOneQuarantined(t, pool, 3, "test_poison")
	var blobs int
	if err := pool.QueryRow(ctx, `SELECT count(*) FROM blobs`).Scan(&blobs); err != nil || blobs != 4 {
		t.Errorf("blobs = %d, %v; want the 4 stored messages' files", blobs, err)
	}
}

// TestRefusedFileBesideSharedFileDoesNotStall: after a batch whose file the
// database refuses, the next batch, prepared meanwhile, may already hold a
// file the refused batch shares (a signature logo). Nothing then waits on
// it: the refused batch is set aside message by message, and the transaction
// that applies a batch stores no file content.
func TestRefusedFileBesideSharedFileDoesNotStall(t *testing.T) {
	t.Parallel()
	pool := dbtest.Pool(t)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if _, err := pool.Exec(ctx, `ALTER TABLE blobs ADD CONSTRAINT test_poison CHECK (size <> 13)`); err != nil {
		t.Fatal(err)
	}
	const logo = "the logo of the company"
	captureRaw(t, pool, false, nil,
		withFiles(1, "Auto-Submitted: auto-replied\r\n", "13 bytes long"),
		withFiles(2, "", logo), withFiles(3, "", logo), withFiles(4, "", "a file of its own"))
	n, err := newProcessor(pool, 2).Drain(ctx)
	if err != nil || n != 4 {
		t.Fatalf("Drain = %d, %v; want 4, nil", n, err)
	}
	wantOneQuarantined(t, pool, 1, "test_poison")
}

// wantOneQuarantined checks that of the captured mail only uid was
// quarantined, for a reason naming why, and the rest was ticketed.
func wantOneQuarantined(t *testing.T, pool *pgxpool.Pool, uid int64, why string) {
	t.Helper()
	rs, err := ListInbound(context.Background(), pool, "", 10)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range rs {
		want := ticketing.StatusTicketed
		if r.UID == uid {
			want = ticketing.StatusQuarantined
		}
		if r.Status != want {
			t.Errorf("uid %d (%s) status = %s (%s), want %s", r.UID, r.Subject, r.Status, r.Reason, want)
		}
		if r.UID == uid && !strings.Contains(r.Reason, why) {
			t.Errorf("quarantine reason = %q, want the database's refusal (%s)", r.Reason, why)
		}
	}
}

// withFiles is message i, with the extra header fields headers, carrying
// each of files as an attachment.
func withFiles(i int, headers string, files ...string) []byte {
	var b strings.Builder
	fmt.Fprintf(&b, "From: u%d@example.org\r\nSubject: message %d\r\nMessage-ID: <f%d@example.org>\r\n%s"+
		"MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\nContent-Type: text/plain\r\n\r\nbody %d\r\n",
		i, i, i, headers, i)
	for _, f := range files {
		fmt.Fprintf(&b, "--b\r\nContent-Type: application/octet-stream\r\nContent-Disposition: attachment; filename=f.bin\r\n\r\n%s\r\n", f)
	}
	b.WriteString("--b--\r\n")
	return []byte(b.String())
}
