package ticketing_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/deskgate/deskgate/internal/dbtest"
	"github.com/deskgate/deskgate/ticketing"
	"github.com/deskgate/deskgate/ticketing/search"
)

// heldCommit delays the commit of its transactions until open is closed,
// saying on atCommit that one is ready.
type heldCommit struct {
	pool     *pgxpool.Pool
	atCommit chan struct{}
	open     chan struct{}
}

type heldTx struct {
	pgx.Tx
	h *heldCommit
}

func (h *heldCommit) Begin(ctx context.Context) (pgx.Tx, error) {
	tx, err := h.pool.Begin(ctx)
	return heldTx{tx, h}, err
}

func (tx heldTx) Commit(ctx context.Context) error {
	close(tx.h.atCommit)
	<-tx.h.open
	return tx.Tx.Commit(ctx)
}

// TestReindexDuringErasureKeepsNoErasedWord: the search rewrite of an
// upgrade running while a person's data is erased must not write the
// vector of the text as it was before the erasure (found by review: the
// rewrite read the text, waited for the erasure's lock, then wrote the old
// words back, and the erased address was found again).
func TestReindexDuringErasureKeepsNoErasedWord(t *testing.T) {
	t.Parallel()
	pool := dbtest.Pool(t)
	ctx := context.Background()
	const text = "Please write to bob@example.com, Bob Baker"
	if _, err := pool.Exec(ctx, `
		INSERT INTO tickets (id, subject, requester_name, requester_addr, received_at) VALUES (1, 'VPN', 'Bob Baker', 'bob@example.com', now());
		INSERT INTO participants (ticket_id, address, name, role) VALUES (1, 'bob@example.com', 'Bob Baker', 'requester');
		INSERT INTO messages (ticket_id, direction, from_name, from_addr, subject, text_body, search)
		SELECT 1, 'in', 'Carol', 'carol@example.com', 'VPN', '`+text+`', to_tsvector('simple', 'VPN `+text+`');
		INSERT INTO search_reindex (upto, next) SELECT max(id), 0 FROM messages`); err != nil {
		t.Fatal(err)
	}
	h := &heldCommit{pool: pool, atCommit: make(chan struct{}), open: make(chan struct{})}
	var wg sync.WaitGroup
	var eraseErr, reindexErr error
	wg.Add(2)
	go func() {
		defer wg.Done()
		_, eraseErr = ticketing.EraseContact(ctx, h, "bob@example.com", "test")
	}()
	<-h.atCommit // erased, not yet committed
	go func() {
		defer wg.Done()
		reindexErr = ticketing.ReindexSearch(ctx, pool, nil)
	}()
	waited := false
	for deadline := time.Now().Add(30 * time.Second); !waited && time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		err := pool.QueryRow(ctx, `SELECT count(*) > 0 FROM pg_stat_activity
			WHERE wait_event_type = 'Lock' AND query LIKE '%messages%' AND datname = current_database()`).Scan(&waited)
		if err != nil {
			t.Fatal(err)
		}
	}
	close(h.open)
	wg.Wait()
	if eraseErr != nil || reindexErr != nil {
		t.Fatal(eraseErr, reindexErr)
	}
	if !waited {
		t.Fatal("the rewrite never waited for the erasure: the test shows nothing")
	}
	var subject, body, vector string
	if err := pool.QueryRow(ctx, `SELECT subject, text_body, search::text FROM messages`).Scan(&subject, &body, &vector); err != nil {
		t.Fatal(err)
	}
	if want := search.Vector(subject, body).String(); vector != want {
		t.Errorf("vector after erasure and rewrite = %q, want that of %q: %q", vector, body, want)
	}
	for _, q := range []string{"bob@example.com", "Bob Baker"} {
		if ts, _, err := ticketing.FindTickets(ctx, pool, ticketing.Filter{Query: q, Limit: 10}); err != nil || len(ts) != 0 {
			t.Errorf("search for the erased %q finds %d tickets (%v)", q, len(ts), err)
		}
	}
}

// TestMessagesWithoutWordsAreStored: a message with no word to index (no
// subject, a smiley) opens its ticket and joins it with the empty search
// vector, derived ahead or not, and the search rewrite writes the empty
// vector too (found by review: sent in binary, a vector without words went
// as NULL, and messages.search is NOT NULL).
func TestMessagesWithoutWordsAreStored(t *testing.T) {
	t.Parallel()
	pool := dbtest.Pool(t)
	ctx := context.Background()
	first := human(capture(t, pool, "support", 1), "smile-1@example.se", "")
	first.Text = "-- :) --"
	reply := human(capture(t, pool, "support", 2), "smile-2@example.se", "")
	reply.Text, reply.InReplyTo = ":-)", []string{"smile-1@example.se"}
	reply.Derive()
	out := receive(t, pool, first, reply)
	if out[0].Status != ticketing.StatusTicketed || out[1].Status != ticketing.StatusAttached || out[1].TicketID != out[0].TicketID {
		t.Fatalf("outcomes %+v", out)
	}
	if _, err := pool.Exec(ctx, `INSERT INTO search_reindex (upto, next) SELECT max(id), 0 FROM messages`); err != nil {
		t.Fatal(err)
	}
	if err := ticketing.ReindexSearch(ctx, pool, nil); err != nil {
		t.Fatal(err)
	}
	var n int
	if err := pool.QueryRow(ctx, `SELECT count(*) FROM messages WHERE search = ''::tsvector`).Scan(&n); err != nil || n != 2 {
		t.Errorf("%d messages with the empty vector (%v), want 2", n, err)
	}
}
