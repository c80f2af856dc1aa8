package ticketing_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/deskgate/deskgate/internal/dbtest"
	"github.com/deskgate/deskgate/ticketing"
)

func TestCanTransition(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		from, to string
		want     bool
	}{
		{"new", "open", true}, {"new", "resolved", true}, {"open", "pending", true}, {"pending", "open", true},
		{"resolved", "open", true}, {"resolved", "closed", true}, {"closed", "open", false},
		{"closed", "resolved", false}, {"open", "new", false}, {"resolved", "pending", false}, {"open", "bogus", false},
	} {
		if got := ticketing.CanTransition(tc.from, tc.to); got != tc.want {
			t.Errorf("CanTransition(%s, %s) = %v, want %v", tc.from, tc.to, got, tc.want)
		}
	}
}

func status(t *testing.T, db ticketing.DB, n int64) string {
	t.Helper()
	tk, err := ticketing.GetTicket(context.Background(), db, n)
	if err != nil {
		t.Fatal(err)
	}
	return tk.Status
}

func setStatus(t *testing.T, db ticketing.Beginner, n int64, to string) {
	t.Helper()
	if err := plainDesk.SetStatus(context.Background(), db, n, to, "agent@desk.example", "test"); err != nil {
		t.Fatalf("SetStatus(%d, %s) = %v", n, to, err)
	}
}

func TestRepliesMoveTheLifecycle(t *testing.T) {
	t.Parallel()
	pool := dbtest.Pool(t)
	ctx := context.Background()
	uid := 0
	reply := func(to string, msgID string) ticketing.Inbound {
		uid++
		in := human(capture(t, pool, "support", 100+uid), msgID, "Re: Skrivaren fungerar inte")
		in.InReplyTo = []string{to}
		in.Text = msgID
		return in
	}
	t1 := receive(t, pool, human(capture(t, pool, "support", 1), "a1@example.se", "Skrivaren fungerar inte"))[0].TicketID

	if err := plainDesk.SetStatus(ctx, pool, t1, "bogus", "agent", "x"); !errors.Is(err, ticketing.ErrTransition) {
		t.Errorf("SetStatus(new -> bogus) = %v, want ErrTransition", err)
	}
	setStatus(t, pool, t1, "pending")
	if out := receive(t, pool, reply("a1@example.se", "a2@example.se"))[0]; out.TicketID != t1 || status(t, pool, t1) != "open" {
		t.Errorf("reply to pending: ticket %d status %s, want #%d open", out.TicketID, status(t, pool, t1), t1)
	}
	setStatus(t, pool, t1, "resolved")
	if out := receive(t, pool, reply("a2@example.se", "a3@example.se"))[0]; out.TicketID != t1 || status(t, pool, t1) != "open" {
		t.Errorf("reply within the window: ticket %d status %s, want #%d reopened", out.TicketID, status(t, pool, t1), t1)
	}
	setStatus(t, pool, t1, "resolved")
	if _, err := pool.Exec(ctx, `UPDATE tickets SET resolved_at = now() - interval '8 days' WHERE id = $1`, t1); err != nil {
		t.Fatal(err)
	}
	late := receive(t, pool, reply("a3@example.se", "a4@example.se"))[0]
	if late.Status != "ticketed" || late.TicketID == t1 || late.Evidence.Kind != "in-reply-to" || status(t, pool, t1) != "resolved" {
		t.Errorf("reply after the window = %+v (old ticket %s), want a new ticket, the old one untouched", late, status(t, pool, t1))
	}
	var linked int64
	if err := pool.QueryRow(ctx, `SELECT linked_to FROM tickets WHERE id = $1`, late.TicketID).Scan(&linked); err != nil || linked != t1 {
		t.Errorf("new ticket linked_to = %d (%v), want %d", linked, err, t1)
	}

	setStatus(t, pool, late.TicketID, "closed")
	two := receive(t, pool, reply("a4@example.se", "a5@example.se"), reply("a4@example.se", "a6@example.se"))
	if two[0].Status != "ticketed" || two[0].TicketID == late.TicketID || two[1].TicketID != two[0].TicketID {
		t.Errorf("two replies to a closed ticket in one batch = %+v, want one new ticket holding both", two)
	}
	if err := plainDesk.SetStatus(ctx, pool, late.TicketID, "open", "agent", "x"); !errors.Is(err, ticketing.ErrTransition) {
		t.Errorf("SetStatus(closed -> open) = %v, want ErrTransition", err)
	}
}

func TestCloseResolvedOnceAcrossProcesses(t *testing.T) {
	t.Parallel()
	pool := dbtest.Pool(t)
	ctx := context.Background()
	var ids []int64
	for i := range 3 {
		ids = append(ids, receive(t, pool, human(capture(t, pool, "support", i+1), fmt.Sprintf("c%d@example.se", i), "x"))[0].TicketID)
	}
	setStatus(t, pool, ids[0], "resolved")
	setStatus(t, pool, ids[1], "resolved")
	if _, err := pool.Exec(ctx, `UPDATE tickets SET resolved_at = now() - interval '10 days' WHERE id = $1`, ids[0]); err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	var mu sync.Mutex
	total := int64(0)
	for range 3 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			n, err := plainDesk.CloseResolved(ctx, pool, 7*24*time.Hour)
			if err != nil {
				t.Error(err)
			}
			mu.Lock()
			total += n
			mu.Unlock()
		}()
	}
	wg.Wait()
	if total != 1 || status(t, pool, ids[0]) != "closed" || status(t, pool, ids[1]) != "resolved" || status(t, pool, ids[2]) != "new" {
		t.Errorf("CloseResolved x3 closed %d; statuses %s %s %s; want 1: closed, resolved, new", total,
			status(t, pool, ids[0]), status(t, pool, ids[1]), status(t, pool, ids[2]))
	}
}

func TestMergeThenReply(t *testing.T) {
	t.Parallel()
	pool := dbtest.Pool(t)
	ctx := context.Background()
	from := receive(t, pool, human(capture(t, pool, "support", 1), "m-from@example.se", "VPN"))[0].TicketID
	b := human(capture(t, pool, "support", 2), "m-into@example.se", "VPN again")
	b.From = addr("bob@example.se")
	into := receive(t, pool, b)[0].TicketID
	if err := plainDesk.Merge(ctx, pool, from, into, "agent@desk.example", "same problem"); err != nil {
		t.Fatalf("Merge = %v", err)
	}
	if err := plainDesk.Merge(ctx, pool, from, into, "agent", "again"); !errors.Is(err, ticketing.ErrMerge) {
		t.Errorf("second Merge = %v, want ErrMerge", err)
	}
	byHeader := human(capture(t, pool, "support", 3), "m-r1@example.se", "Re: VPN")
	byHeader.InReplyTo = []string{"m-from@example.se"}
	byTag := human(capture(t, pool, "support", 4), "m-r2@example.se", fmt.Sprintf("Re: [#%d] VPN", from))
	out := receive(t, pool, byHeader, byTag)
	for i, o := range out {
		if o.TicketID != into {
			t.Errorf("reply %d after merge = %+v, want ticket #%d", i, o, into)
		}
	}
	tk, err := ticketing.GetTicket(ctx, pool, into)
	if err != nil || len(tk.Thread) != 4 {
		t.Errorf("merged ticket has %d messages (%v), want 4", len(tk.Thread), err)
	}
	if s := status(t, pool, from); s != "closed" {
		t.Errorf("merged-away ticket status %s, want closed", s)
	}
}

// TestReviewFixes pins the lifecycle fixes a review found.
func TestReviewFixes(t *testing.T) {
	t.Parallel()
	pool := dbtest.Pool(t)
	ctx := context.Background()

	// A person's reply matched through an automatic mail of the same batch
	// still goes through the lifecycle: the closed ticket is not reused.
	first := human(capture(t, pool, "support", 1), "h1@example.se", "VPN")
	first.To = []ticketing.Address{addr("help+tok123@desk.example"), addr("colleague@example.se")}
	t1 := receive(t, pool, first)[0].TicketID
	setStatus(t, pool, t1, "closed")
	ooo := human(capture(t, pool, "support", 2), "h2@example.se", "Automatic reply: VPN")
	ooo.Class, ooo.ClassReason, ooo.InReplyTo, ooo.ThreadRoot = ticketing.ClassAutoReply, "Auto-Submitted", []string{"h1@example.se"}, "ROOT"
	person := human(capture(t, pool, "support", 3), "h3@example.se", "SV: VPN")
	person.ThreadRoot = "ROOT"
	out := receive(t, pool, ooo, person)
	if out[0].TicketID != t1 || out[1].Status != "ticketed" || out[1].TicketID == t1 {
		t.Errorf("closed ticket, auto-reply then person in one batch = %+v, want the auto-reply attached and the person on a new follow-up", out)
	}
	var why, evidence string
	if err := pool.QueryRow(ctx, `SELECT detail->>'why', detail->'evidence'->>'kind' FROM events WHERE ticket_id = $1 AND kind = 'ticket.created'`,
		out[1].TicketID).Scan(&why, &evidence); err != nil || evidence != "thread-index" || !strings.Contains(why, fmt.Sprintf("#%d", t1)) {
		t.Errorf("follow-up's ticket.created = why %q, evidence %q (%v); want the closed ticket named and thread-index", why, evidence, err)
	}

	// The desk's plus-addresses never become participants; the follow-up
	// keeps the old ticket's people.
	var parts []string
	if err := pool.QueryRow(ctx, `SELECT array_agg(address ORDER BY address) FROM participants WHERE ticket_id = $1`, out[1].TicketID).Scan(&parts); err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(parts) != "[asa@example.se colleague@example.se]" {
		t.Errorf("follow-up participants = %v, want the requester and her colleague, never help+…@desk", parts)
	}

	// Merge moves inbound records too, and refuses a closed target.
	a := receive(t, pool, human(capture(t, pool, "support", 4), "h4@example.se", "A"))[0].TicketID
	b := receive(t, pool, human(capture(t, pool, "support", 5), "h5@example.se", "B"))[0].TicketID
	if err := plainDesk.Merge(ctx, pool, a, t1, "agent", "x"); !errors.Is(err, ticketing.ErrMerge) {
		t.Errorf("Merge into a closed ticket = %v, want ErrMerge", err)
	}
	if err := plainDesk.Merge(ctx, pool, a, b, "agent", "same"); err != nil {
		t.Fatal(err)
	}
	var left int
	if err := pool.QueryRow(ctx, `SELECT count(*) FROM inbound WHERE ticket_id = $1`, a).Scan(&left); err != nil || left != 0 {
		t.Errorf("inbound records still on the merged-away ticket = %d (%v), want 0", left, err)
	}
}
