package ticketing_test

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/deskgate/deskgate/internal/dbtest"
	"github.com/deskgate/deskgate/ticketing"
	"github.com/deskgate/deskgate/ticketing/rules"
)

// updatedRules changes a desk's configuration to have rules rs and an
// escalation that moves a breached ticket to team network.
func updatedRules(t *testing.T, rs ...rules.Rule) func(c *ticketing.Config) {
	t.Helper()
	set, err := rules.Compile(rs, rules.Options{})
	if err != nil {
		t.Fatal(err)
	}
	change := func(c *ticketing.Config) {
		c.Policy.Rules = set
		c.Policy.Escalation = ticketing.Escalation{Breach: ticketing.EscalationLevel{RaisePriority: true, Reassign: "network"}}
	}
	return change
}

// statusRules tag a ticket whose status or team changed.
var statusRules = []rules.Rule{
	{Name: "tag pending", On: rules.OnUpdated, When: `ticket.status == "pending" && previous.status != "pending"`, Then: rules.Then{AddTags: []string{"was-pending"}}},
	{Name: "tag reopened", On: rules.OnUpdated, When: `ticket.status == "open" && previous.status in ["resolved", "pending"]`, Then: rules.Then{AddTags: []string{"came-back"}}},
	{Name: "tag closed", On: rules.OnUpdated, When: `ticket.status == "closed" && previous.status != "closed"`, Then: rules.Then{AddTags: []string{"was-closed"}}},
	{Name: "tag moved", On: rules.OnUpdated, When: `ticket.team != previous.team`, Then: rules.Then{AddTags: []string{"moved"}}},
}

// TestUpdatedRulesAfterEveryChange: a ticket.updated rule runs after a
// status change by email, a reply that resumes a pending ticket, the close
// sweep, a merge and an escalation.
func TestUpdatedRulesAfterEveryChange(t *testing.T) {
	t.Parallel()
	pool := dbtest.Pool(t)
	ctx := context.Background()
	keys := permitKeys(t)
	change := updatedRules(t, statusRules...)
	desk := permitDesk(t, keys, change)
	uid := 0
	tagsOf := func(id int64) []string { return fields(t, pool, id).Tags }

	// A status change by email.
	id := heldTicket(t, pool, "support", "")
	agentSays(t, pool, desk, keys, &uid, id, "ada@desk.example", "#status pending")
	if got := tagsOf(id); !slices.Contains(got, "was-pending") {
		t.Errorf("tags after #status pending by email = %v, want was-pending (rule on ticket.updated)", got)
	}
	// The requester's reply resumes the pending ticket.
	uid++
	reply := human(capture(t, pool, "support", uid), "resume@example.se", "Re: Printer")
	reply.To = []ticketing.Address{{Address: agentToken(t, pool, keys, id, "asa@example.se")}}
	receiveWith(t, pool, desk, reply)
	if got := tagsOf(id); fields(t, pool, id).Status != ticketing.StatusOpen || !slices.Contains(got, "came-back") {
		t.Errorf("after the requester's reply: status %s, tags %v; want open and came-back", fields(t, pool, id).Status, got)
	}
	// The close sweep.
	swept := heldTicket(t, pool, "support", "")
	if _, err := pool.Exec(ctx, `UPDATE tickets SET status = 'resolved', resolved_at = now() - interval '30 days' WHERE id = $1`, swept); err != nil {
		t.Fatal(err)
	}
	if _, err := desk.CloseResolved(ctx, pool, 24*time.Hour); err != nil {
		t.Fatal(err)
	}
	if got := tagsOf(swept); !slices.Contains(got, "was-closed") {
		t.Errorf("tags after the close sweep = %v, want was-closed", got)
	}
	// A merge closes the merged ticket.
	from := heldTicket(t, pool, "support", "")
	if err := desk.Merge(ctx, pool, from, id, "cli", "same"); err != nil {
		t.Fatal(err)
	}
	if got := tagsOf(from); !slices.Contains(got, "was-closed") {
		t.Errorf("tags of a merged ticket = %v, want was-closed", got)
	}
	// An escalation moves a breached ticket to team network.
	late := receiveWith(t, pool, desk, human(capture(t, pool, "support", 900), "late@example.se", "Late"))[0].TicketID
	if _, err := desk.Escalate(ctx, pool, time.Now().Add(1000*time.Hour)); err != nil {
		t.Fatal(err)
	}
	if got := tagsOf(late); !slices.Contains(got, "moved") {
		t.Errorf("tags after an escalation moved the ticket = %v, want moved", got)
	}
}

// TestUpdatedRulesDepthLimit: rules that trigger each other stop at the
// depth limit, with an event saying so.
func TestUpdatedRulesDepthLimit(t *testing.T) {
	t.Parallel()
	pool := dbtest.Pool(t)
	ctx := context.Background()
	keys := permitKeys(t)
	change := updatedRules(t,
		rules.Rule{Name: "up", On: rules.OnUpdated, When: `ticket.priority == "Low" && previous.priority != "Low"`, Then: rules.Then{Priority: "High"}, Stop: true},
		rules.Rule{Name: "down", On: rules.OnUpdated, When: `ticket.priority == "High" && previous.priority != "High"`, Then: rules.Then{Priority: "Low"}, Stop: true})
	desk := permitDesk(t, keys, change)
	uid := 0
	id := heldTicket(t, pool, "support", "")
	agentSays(t, pool, desk, keys, &uid, id, "ada@desk.example", "#priority Low")
	var n int
	var detail string
	err := pool.QueryRow(ctx, `SELECT count(*) OVER (), detail::text FROM events WHERE ticket_id = $1 AND kind = 'rules.depth_limit'`, id).Scan(&n, &detail)
	if err != nil || n != 1 || !strings.Contains(detail, `"depth"`) {
		t.Errorf("rules.depth_limit events = %d %s, %v; want one, with the depth", n, detail, err)
	}
	if fired := strings.Count(strings.Join(eventKinds(t, pool, id), " "), "rule.fired"); fired != ticketing.MaxUpdateDepth {
		t.Errorf("rule.fired events = %d, want %d (the depth limit)", fired, ticketing.MaxUpdateDepth)
	}
}
