package ticketing_test

import (
	"context"
	"strings"
	"testing"

	"github.com/deskgate/deskgate/internal/dbtest"
	"github.com/deskgate/deskgate/ticketing"
	"github.com/deskgate/deskgate/ticketing/search"
)

// TestEraseMatchesWholeAddressesAndNames: erasing bob@example.com and his
// name Ann Bo leaves jimbob@example.com, bob@example.com.au and Anne Bolt
// as they were.
func TestEraseMatchesWholeAddressesAndNames(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	pool := dbtest.Pool(t)
	const text = "Ann Bo (bob@example.com) asked; jimbob@example.com, bob@example.com.au and Anne Bolt did not. BOB@Example.com again."
	var a, b int64
	for _, q := range []struct {
		id         *int64
		name, addr string
	}{{&a, "Ann Bo", "bob@example.com"}, {&b, "Anne Bolt", "jimbob@example.com"}} {
		if err := pool.QueryRow(ctx, `INSERT INTO tickets (subject, requester_name, requester_addr, received_at)
			VALUES ('Printer', $1, $2, now()) RETURNING id`, q.name, q.addr).Scan(q.id); err != nil {
			t.Fatal(err)
		}
		if _, err := pool.Exec(ctx, `INSERT INTO participants (ticket_id, address, name, role) VALUES ($1, $2, $3, 'requester')`,
			*q.id, q.addr, q.name); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := pool.Exec(ctx, `INSERT INTO messages (ticket_id, direction, from_name, from_addr, text_body, search)
		VALUES ($1, 'in', 'Anne Bolt', 'jimbob@example.com', $2, $3::tsvector)`, b, text, search.Vector("", text).String()); err != nil {
		t.Fatal(err)
	}
	e, err := ticketing.EraseContact(ctx, pool, "Bob@Example.com", "test")
	if err != nil {
		t.Fatal(err)
	}
	var got, requester, other string
	if err := pool.QueryRow(ctx, `SELECT text_body FROM messages WHERE ticket_id = $1`, b).Scan(&got); err != nil {
		t.Fatal(err)
	}
	want := "[erased] (" + e.Pseudonym + ") asked; jimbob@example.com, bob@example.com.au and Anne Bolt did not. " + e.Pseudonym + " again."
	if got != want {
		t.Errorf("text after erasure = %q, want %q", got, want)
	}
	// search finds the text as it is now: no longer Ann Bo, nor bob's address
	var vector string
	if err := pool.QueryRow(ctx, `SELECT search::text FROM messages WHERE ticket_id = $1`, b).Scan(&vector); err != nil {
		t.Fatal(err)
	}
	if want := search.Vector("", got).String(); vector != want {
		t.Errorf("search vector after erasure = %q, want %q", vector, want)
	}
	if err := pool.QueryRow(ctx, `SELECT requester_addr FROM tickets WHERE id = $1`, a).Scan(&requester); err != nil || requester != e.Pseudonym {
		t.Errorf("erased requester = %q, %v, want %s", requester, err, e.Pseudonym)
	}
	if err := pool.QueryRow(ctx, `SELECT requester_name || ' ' || requester_addr FROM tickets WHERE id = $1`, b).Scan(&other); err != nil ||
		other != "Anne Bolt jimbob@example.com" {
		t.Errorf("the other ticket's requester = %q, %v, want Anne Bolt jimbob@example.com", other, err)
	}
	if e.Tickets != 1 {
		t.Errorf("EraseContact = %+v, want 1 ticket", e)
	}
}

// TestEraseStopsQueuedMailWithTheirWords: mail not yet sent that quotes the
// erased person (the new-ticket mail to the team, held by an SMTP outage)
// is not sent after erasure: it would carry their words on.
func TestEraseStopsQueuedMailWithTheirWords(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	pool := dbtest.Pool(t)
	desk, _ := notifyingDesk(t)
	in := human(capture(t, pool, "support", 1), "m1@example.se", "Locked out") // from asa@example.se
	in.Text, in.NewText = "My old passphrase was tulip-garden-42.", "My old passphrase was tulip-garden-42."
	receiveWith(t, pool, desk, in)
	other := human(capture(t, pool, "support", 2), "m2@example.se", "Printer")
	other.From = ticketing.Address{Name: "Bo Ek", Address: "bo@example.se"}
	receiveWith(t, pool, desk, other)

	if _, err := ticketing.EraseContact(ctx, pool, "asa@example.se", "test"); err != nil {
		t.Fatal(err)
	}
	var kept int // bodies, or the data they are rendered from when claimed
	if err := pool.QueryRow(ctx, `SELECT count(*) FROM outbox WHERE text_body LIKE '%tulip%' OR render_data LIKE '%tulip%'`).Scan(&kept); err != nil || kept != 0 {
		t.Errorf("%d outbox rows still hold the erased person's words (%v)", kept, err)
	}
	for _, r := range outbox(t, pool) {
		if r.Status == ticketing.OutboxQueued && strings.Contains(r.Text, "tulip") {
			t.Errorf("%s to %s still queued after erasure, quoting the erased person: %q", r.Event, r.Recipient, r.Text)
		}
		if r.TicketID != 1 && r.Status != ticketing.OutboxQueued {
			t.Errorf("%s to %s about another person's ticket is %s, want queued", r.Event, r.Recipient, r.Status)
		}
	}
}
