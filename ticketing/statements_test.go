package ticketing_test

import (
	"context"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/deskgate/deskgate/internal/dbtest"
	"github.com/deskgate/deskgate/ticketing"
	"github.com/deskgate/deskgate/ticketing/rules"
	"github.com/deskgate/deskgate/ticketing/sla"
)

// statements counts the statements a pool sends, one per query and one per
// statement of a batch.
type statements struct{ n atomic.Int64 }

func (s *statements) TraceQueryStart(ctx context.Context, _ *pgx.Conn, _ pgx.TraceQueryStartData) context.Context {
	s.n.Add(1)
	return ctx
}

func (s *statements) TraceQueryEnd(context.Context, *pgx.Conn, pgx.TraceQueryEndData) {}

func (s *statements) TraceBatchStart(ctx context.Context, _ *pgx.Conn, _ pgx.TraceBatchStartData) context.Context {
	return ctx
}

func (s *statements) TraceBatchQuery(context.Context, *pgx.Conn, pgx.TraceBatchQueryData) { s.n.Add(1) }

func (s *statements) TraceBatchEnd(context.Context, *pgx.Conn, pgx.TraceBatchEndData) {}

// TestNewTicketsStatementsDoNotGrow: a batch of new tickets, each with a
// Cc participant, a rule that fires, a priority and two SLA clocks, sends
// as many statements for 200 tickets as for 20: the rows of a batch go in
// one statement per table, not one per ticket.
func TestNewTicketsStatementsDoNotGrow(t *testing.T) {
	cfg, err := pgxpool.ParseConfig(dbtest.URL(t))
	if err != nil {
		t.Fatal(err)
	}
	count := &statements{}
	cfg.ConnConfig.Tracer = count
	pool, err := pgxpool.NewWithConfig(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pool.Close)
	desk := policyDesk(t, rules.Rule{Name: "printers", On: rules.OnCreated, When: `subject contains "printer"`,
		Then: rules.Then{Category: "Hardware", AddTags: []string{"printer"}}})
	batch := func(run, n int) []ticketing.Inbound {
		ins := make([]ticketing.Inbound, n)
		for i := range ins {
			ins[i] = human(capture(t, pool, "support", run*1000+i), fmt.Sprintf("%d.%d@example.se", run, i), fmt.Sprintf("The printer %d.%d", run, i))
			ins[i].From = ticketing.Address{Name: "Sender", Address: fmt.Sprintf("s%d.%d@example.se", run, i)}
			ins[i].Cc = []ticketing.Address{{Name: "Colleague", Address: fmt.Sprintf("c%d.%d@example.se", run, i)}}
		}
		return ins
	}
	sent := func(run, n int) int64 {
		ins := batch(run, n)
		before := count.n.Load()
		for i, o := range receiveWith(t, pool, desk, ins...) {
			if o.Status != ticketing.StatusTicketed {
				t.Fatalf("run %d message %d: %s (%s), want ticketed", run, i, o.Status, o.Reason)
			}
		}
		return count.n.Load() - before
	}
	small, large := sent(1, 20), sent(2, 200)
	if small != large {
		t.Fatalf("a batch of 20 new tickets sent %d statements, one of 200 sent %d: want the same", small, large)
	}
	var clocks, fired int
	if err := pool.QueryRow(context.Background(), `SELECT (SELECT count(*) FROM sla_clocks),
		(SELECT count(*) FROM events WHERE kind = 'rule.fired')`).Scan(&clocks, &fired); err != nil {
		t.Fatal(err)
	}
	if clocks != 2*220 || fired != 220 {
		t.Fatalf("%d clocks and %d rule.fired events, want %d and %d", clocks, fired, 2*220, 220)
	}
}

// TestReplyEventsKeepTheirOrder: a ticket's events are written in the
// order they happen, also when some go in the batch-wide statement and
// others in statements of their own: the requester's reply is received,
// adds the one Cc that fits and then records that the rest did not.
func TestReplyEventsKeepTheirOrder(t *testing.T) {
	pool := dbtest.Pool(t)
	desk := ticketing.NewDesk(quiet, ticketing.Config{DeskAddresses: []string{"help@desk.example"}, MaxParticipants: 2})
	o := receiveWith(t, pool, desk, human(capture(t, pool, "support", 1), "first@example.se", "Printer"))[0]
	other := human(capture(t, pool, "support", 2), "other@example.se", "Scanner")
	other.From = ticketing.Address{Address: "bo@example.se"}
	reply := human(capture(t, pool, "support", 3), "reply@example.se", "Re: Printer")
	reply.InReplyTo = []string{"first@example.se"}
	reply.Cc = []ticketing.Address{{Address: "x@example.se"}, {Address: "y@example.se"}, {Address: "z@example.se"}}
	for _, r := range receiveWith(t, pool, desk, other, reply) {
		if r.Status == ticketing.StatusQuarantined || r.Status == ticketing.StatusIgnored {
			t.Fatalf("%s: %s", r.Status, r.Reason)
		}
	}
	rows, _ := pool.Query(context.Background(), `SELECT kind FROM events WHERE ticket_id = $1 ORDER BY id`, o.TicketID)
	kinds, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"ticket.created", "message.received", "participant.added", "participants.capped"}
	if fmt.Sprint(kinds) != fmt.Sprint(want) {
		t.Fatalf("events %v, want %v", kinds, want)
	}
}

// TestTwoRepliesInOneBatchStartOneNextResponseClock: the requester's
// second reply of a batch finds the next-response clock its first one
// started (the batch's clocks are started together), and leaves it.
func TestTwoRepliesInOneBatchStartOneNextResponseClock(t *testing.T) {
	pool := dbtest.Pool(t)
	targets := map[string]ticketing.Targets{"Medium": {Response: 4 * time.Hour, Resolution: 16 * time.Hour, NextResponse: 2 * time.Hour}}
	desk := ticketing.NewDesk(quiet, ticketing.Config{DeskAddresses: []string{"help@desk.example"}, Domain: "desk.example",
		Policy: ticketing.PolicyConfig{Matrix: rules.DefaultMatrix(), DefaultImpact: "Low", DefaultUrgency: "Normal",
			Policies:      map[string]ticketing.SLAPolicy{"standard": {Name: "standard", Calendar: sla.Always(), Targets: targets}},
			DefaultPolicy: "standard"}})
	o := receiveWith(t, pool, desk, human(capture(t, pool, "support", 1), "q@example.se", "Help"))[0]
	var replies []ticketing.Inbound
	for i := range 2 {
		r := human(capture(t, pool, "support", 2+i), fmt.Sprintf("r%d@example.se", i), "Re: Help")
		r.InReplyTo = []string{"q@example.se"}
		replies = append(replies, r)
	}
	receiveWith(t, pool, desk, replies...)
	var started int
	err := pool.QueryRow(context.Background(), `SELECT count(*) FROM events WHERE ticket_id = $1 AND kind = 'sla.clock'
		AND detail->>'clock' = 'next_response'`, o.TicketID).Scan(&started)
	if err != nil {
		t.Fatal(err)
	}
	if c, ok := clocks(t, pool, o.TicketID)["next_response"]; !ok || !c.Running || started != 1 {
		t.Fatalf("next-response clock %+v, %v, started %d times; want running, started once", c, ok, started)
	}
}
