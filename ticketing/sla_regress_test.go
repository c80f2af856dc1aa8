package ticketing_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/deskgate/deskgate/internal/dbtest"
	"github.com/deskgate/deskgate/templates"
	"github.com/deskgate/deskgate/ticketing"
	"github.com/deskgate/deskgate/ticketing/rules"
)

// Regression tests from a review of the SLA integration; each failed
// before its fix.

// A breach that raises the priority retargets the breached clock; the next
// sweep must not warn about a clock already breached.
func TestSLARegressionWarningAfterBreach(t *testing.T) {
	t.Parallel()
	pool := dbtest.Pool(t)
	ctx := context.Background()
	desk := policyDesk(t)
	o := receiveWith(t, pool, desk, human(capture(t, pool, "support", 1), "q@example.se", "Help"))[0]
	late := time.Now().Add(5 * time.Hour)
	if n, err := desk.Escalate(ctx, pool, late); err != nil || n != 1 {
		t.Fatalf("first sweep = %d, %v; want 1 breach", n, err)
	}
	n, err := desk.Escalate(ctx, pool, late)
	if err != nil || n != 0 {
		t.Errorf("second sweep at the same instant = %d, %v; want 0 (events %v)", n, err, eventKinds(t, pool, o.TicketID))
	}
}

func ageClocks(t *testing.T, pool ticketing.DB, id int64, d time.Duration) {
	t.Helper()
	_, err := pool.Exec(context.Background(), `UPDATE sla_clocks SET started = started - $2::interval, running_since = running_since - $2::interval,
		deadline = deadline - $2::interval, warn_at = warn_at - $2::interval WHERE ticket_id = $1`, id, d.String())
	if err != nil {
		t.Fatal(err)
	}
}

// pending, then the requester's reply: the resumed clock must not warn a
// second time.
func TestSLARegressionPauseResumeWarnsTwice(t *testing.T) {
	t.Parallel()
	pool := dbtest.Pool(t)
	ctx := context.Background()
	desk := policyDeskWith(t, map[string]ticketing.Targets{"Medium": {Resolution: 10 * time.Hour}},
		ticketing.Escalation{Warning: ticketing.EscalationLevel{Notify: []string{"assignee"}}})
	o := receiveWith(t, pool, desk, human(capture(t, pool, "support", 1), "q@example.se", "Help"))[0]
	ageClocks(t, pool, o.TicketID, 9*time.Hour)
	if n, err := desk.Escalate(ctx, pool, time.Now()); err != nil || n != 1 {
		t.Fatalf("sweep = %d, %v; want the warning", n, err)
	}
	if err := desk.SetStatus(ctx, pool, o.TicketID, ticketing.StatusPending, "ada@desk.example", "asked"); err != nil {
		t.Fatal(err)
	}
	reply := human(capture(t, pool, "support", 2), "r@example.se", "Re: Help")
	reply.InReplyTo = []string{"q@example.se"}
	receiveWith(t, pool, desk, reply)
	if n, err := desk.Escalate(ctx, pool, time.Now().Add(time.Second)); err != nil || n != 0 {
		t.Errorf("sweep after pause/resume = %d, %v; want 0 (the warning already fired): %v", n, err, eventKinds(t, pool, o.TicketID))
	}
}

// Escalate skips a ticket another transaction is changing instead of
// waiting (SetStatus and Receive lock tickets, then clocks).
func TestSLARegressionEscalateSkipsALockedTicket(t *testing.T) {
	t.Parallel()
	pool := dbtest.Pool(t)
	ctx := context.Background()
	desk := policyDesk(t)
	o := receiveWith(t, pool, desk, human(capture(t, pool, "support", 1), "q@example.se", "Help"))[0]
	tx, err := pool.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback(ctx)
	// Another transaction is changing the ticket (as SetStatus does).
	if _, err := tx.Exec(ctx, `SELECT 1 FROM tickets WHERE id = $1 FOR NO KEY UPDATE`, o.TicketID); err != nil {
		t.Fatal(err)
	}
	late := time.Now().Add(5 * time.Hour) // the response clock is breached then
	done := make(chan struct{})
	var n int
	go func() {
		defer close(done)
		n, err = desk.Escalate(ctx, pool, late)
	}()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("Escalate waited for the locked ticket; it must skip it (waiting risks deadlock with SetStatus)")
	}
	if err != nil || n != 0 {
		t.Errorf("Escalate while the ticket is locked = %d, %v; want 0 (skipped), nil", n, err)
	}
	if err := desk.SetStatus(ctx, tx, o.TicketID, ticketing.StatusPending, "ada@desk.example", "asked"); err != nil {
		t.Fatal(err)
	}
	if err := tx.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	if n, err := desk.Escalate(ctx, pool, late); err != nil || n != 1 {
		t.Errorf("Escalate after the change committed = %d, %v; want the response breach", n, err)
	}
}

// A rule that resolves a new ticket goes through the lifecycle: clocks
// stop, resolved_at is set.
func TestSLARegressionRuleResolvesNewTicket(t *testing.T) {
	t.Parallel()
	pool := dbtest.Pool(t)
	ctx := context.Background()
	desk := policyDesk(t, rules.Rule{Name: "thanks", On: rules.OnCreated, When: `subject contains "Thanks"`, Then: rules.Then{Status: "resolved"}})
	o := receiveWith(t, pool, desk, human(capture(t, pool, "support", 1), "q@example.se", "Thanks!"))[0]
	if f := fields(t, pool, o.TicketID); f.Status != "resolved" {
		t.Fatalf("status = %q", f.Status)
	}
	for k, c := range clocks(t, pool, o.TicketID) {
		if c.Running {
			t.Errorf("%s clock of a ticket a rule resolved is running: %+v", k, c)
		}
	}
	var resolvedAt *time.Time
	pool.QueryRow(ctx, `SELECT resolved_at FROM tickets WHERE id = $1`, o.TicketID).Scan(&resolvedAt)
	if resolvedAt == nil {
		t.Errorf("resolved_at is NULL: CloseResolved never closes it")
	}
	if n, _ := desk.Escalate(ctx, pool, time.Now().Add(100*time.Hour)); n != 0 {
		t.Errorf("Escalate fired %d on a resolved ticket", n)
	}
}

// A chain A (ignored by a rule) ← B ← C in one batch is ignored whole.
func TestSLARegressionIgnoredChainInBatch(t *testing.T) {
	t.Parallel()
	pool := dbtest.Pool(t)
	desk := policyDesk(t, rules.Rule{Name: "newsletter", On: rules.OnCreated, When: `subject contains "Offers"`, Then: rules.Then{Ignore: "newsletter"}})
	a := human(capture(t, pool, "support", 1), "a@news.example", "Offers")
	b := human(capture(t, pool, "support", 2), "b@news.example", "Re: Offers")
	b.InReplyTo = []string{"a@news.example"}
	c := human(capture(t, pool, "support", 3), "c@news.example", "Re: Re: Offers")
	c.InReplyTo = []string{"b@news.example"}
	err := pgx.BeginFunc(context.Background(), pool, func(tx pgx.Tx) error {
		_, err := desk.Receive(context.Background(), tx, []ticketing.Inbound{a, b, c})
		return err
	})
	if err != nil {
		t.Errorf("Receive(A ignored, B→A, C→B) = %v; want C ignored with A and B", err)
	}
}

// Two replies in one batch, each firing a message.received rule: both
// changes count.
func TestSLARegressionTwoReplyRulesOneBatch(t *testing.T) {
	t.Parallel()
	pool := dbtest.Pool(t)
	desk := policyDesk(t,
		rules.Rule{Name: "alpha", On: rules.OnMessage, When: `text contains "alpha"`, Then: rules.Then{AddTags: []string{"alpha"}}},
		rules.Rule{Name: "beta", On: rules.OnMessage, When: `text contains "beta"`, Then: rules.Then{Impact: "High"}})
	o := receiveWith(t, pool, desk, human(capture(t, pool, "support", 1), "q@example.se", "Help"))[0]
	r1 := human(capture(t, pool, "support", 2), "r1@example.se", "Re: Help")
	r1.InReplyTo, r1.Text = []string{"q@example.se"}, "beta"
	r2 := human(capture(t, pool, "support", 3), "r2@example.se", "Re: Help")
	r2.InReplyTo, r2.Text = []string{"q@example.se"}, "alpha"
	receiveWith(t, pool, desk, r1, r2)
	f := fields(t, pool, o.TicketID)
	if strings.Join(f.Tags, ",") != "alpha" || f.Impact != "High" || f.Priority != "Normal" {
		t.Errorf("after two rule-firing replies in one batch: %+v; want tags [alpha], impact High, priority Normal", f)
	}
}

// A second next-response cycle does not inherit the first one's breach.
func TestSLARegressionNextResponseSecondCycle(t *testing.T) {
	t.Parallel()
	pool := dbtest.Pool(t)
	ctx := context.Background()
	desk := policyDeskWith(t, map[string]ticketing.Targets{"Medium": {Resolution: 100 * time.Hour, NextResponse: 2 * time.Hour}},
		ticketing.Escalation{})
	o := receiveWith(t, pool, desk, human(capture(t, pool, "support", 1), "q@example.se", "Help"))[0]
	r := human(capture(t, pool, "support", 2), "r@example.se", "Re: Help")
	r.InReplyTo = []string{"q@example.se"}
	receiveWith(t, pool, desk, r)
	if n, err := desk.Escalate(ctx, pool, time.Now().Add(3*time.Hour)); err != nil || n != 1 {
		t.Fatalf("breach of next response = %d, %v", n, err)
	}
	if err := desk.SetStatus(ctx, pool, o.TicketID, ticketing.StatusResolved, "ada@desk.example", "fixed"); err != nil {
		t.Fatal(err)
	}
	r2 := human(capture(t, pool, "support", 3), "r2@example.se", "Re: Help")
	r2.InReplyTo = []string{"q@example.se"}
	receiveWith(t, pool, desk, r2)
	c := clocks(t, pool, o.TicketID)["next_response"]
	if !c.Running || c.Breached != nil {
		t.Errorf("new next-response clock = %+v; want running, not breached", c)
	}
	if n, _ := desk.Escalate(ctx, pool, time.Now().Add(3*time.Hour)); n != 1 {
		t.Errorf("breach of the second next-response cycle fired %d times, want 1", n)
	}
}

// send and sla actions of message.received rules apply.
func TestSLARegressionReplyRuleSend(t *testing.T) {
	t.Parallel()
	pool := dbtest.Pool(t)
	ctx := context.Background()
	desk := policyDesk(t, rules.Rule{Name: "ack again", On: rules.OnMessage, When: `true`, Then: rules.Then{Send: templates.TicketReceived}})
	o := receiveWith(t, pool, desk, human(capture(t, pool, "support", 1), "q@example.se", "Help"))[0]
	r := human(capture(t, pool, "support", 2), "r@example.se", "Re: Help")
	r.InReplyTo = []string{"q@example.se"}
	receiveWith(t, pool, desk, r)
	var n int
	pool.QueryRow(ctx, `SELECT count(*) FROM outbox WHERE ticket_id = $1 AND event = $2`, o.TicketID, templates.TicketReceived).Scan(&n)
	if n != 2 {
		t.Errorf("ticket-received mails = %d, want 2 (ack + the rule's send on the reply)", n)
	}
}

// Stopping after the deadline records the breach.
func TestSLARegressionStopAfterDeadline(t *testing.T) {
	t.Parallel()
	pool := dbtest.Pool(t)
	ctx := context.Background()
	desk := policyDeskWith(t, map[string]ticketing.Targets{"Medium": {Resolution: 10 * time.Hour}}, ticketing.Escalation{})
	o := receiveWith(t, pool, desk, human(capture(t, pool, "support", 1), "q@example.se", "Help"))[0]
	ageClocks(t, pool, o.TicketID, 11*time.Hour)
	if err := desk.SetStatus(ctx, pool, o.TicketID, ticketing.StatusResolved, "ada@desk.example", "fixed"); err != nil {
		t.Fatal(err)
	}
	if c := clocks(t, pool, o.TicketID)["resolution"]; c.Breached == nil {
		t.Errorf("resolution clock resolved after its deadline = %+v, want breached_at", c)
	}
}

func TestSLARegressionReopen(t *testing.T) {
	t.Parallel()
	pool := dbtest.Pool(t)
	ctx := context.Background()
	desk := policyDesk(t)
	o := receiveWith(t, pool, desk, human(capture(t, pool, "support", 1), "q@example.se", "Help"))[0]
	if err := desk.SetStatus(ctx, pool, o.TicketID, ticketing.StatusResolved, "ada@desk.example", "fixed"); err != nil {
		t.Fatal(err)
	}
	r := human(capture(t, pool, "support", 2), "r@example.se", "Re: Help")
	r.InReplyTo = []string{"q@example.se"}
	receiveWith(t, pool, desk, r)
	var n, reopens int
	pool.QueryRow(ctx, `SELECT reopen_count FROM tickets WHERE id = $1`, o.TicketID).Scan(&n)
	pool.QueryRow(ctx, `SELECT reopens FROM sla_clocks WHERE ticket_id = $1 AND kind = 'resolution'`, o.TicketID).Scan(&reopens)
	c := clocks(t, pool, o.TicketID)
	if n != 1 || reopens != 1 || !c["resolution"].Running || c["response"].Running {
		t.Errorf("after reopen: reopen_count %d, reopens %d, clocks %+v", n, reopens, c)
	}
}

func TestSLARegressionMergeAfterDeadline(t *testing.T) {
	t.Parallel()
	pool := dbtest.Pool(t)
	ctx := context.Background()
	desk := policyDeskWith(t, map[string]ticketing.Targets{"Medium": {Resolution: 10 * time.Hour}}, ticketing.Escalation{})
	a := receiveWith(t, pool, desk, human(capture(t, pool, "support", 1), "a@example.se", "Printer"))[0]
	b := receiveWith(t, pool, desk, human(capture(t, pool, "support", 2), "b@example.se", "Printer again"))[0]
	ageClocks(t, pool, b.TicketID, 11*time.Hour)
	if err := desk.Merge(ctx, pool, b.TicketID, a.TicketID, "ada@desk.example", "same"); err != nil {
		t.Fatal(err)
	}
	var elapsed int64
	pool.QueryRow(ctx, `SELECT elapsed FROM sla_clocks WHERE ticket_id = $1`, b.TicketID).Scan(&elapsed)
	if c := clocks(t, pool, b.TicketID)["resolution"]; c.Breached == nil || elapsed < 11*3600-60 {
		t.Errorf("merged after its deadline: %+v elapsed %ds; want breached, ~11h used", c, elapsed)
	}
}
