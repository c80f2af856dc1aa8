package ticketing_test

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/deskgate/deskgate/ticketing"
)

// TestRelayIsQueuedNotDelivered: when an agent's reply is relayed, the
// ticket's events say it was queued for the requester; only the sender, once
// the SMTP server accepted it for the requester, logs its delivery
// (notification.delivered, in mailout's tests).
func TestRelayIsQueuedNotDelivered(t *testing.T) {
	t.Parallel()
	c := newAgentCase(t, ticketing.VerifyConfig{})
	msgID, replyTo := c.sentTo("ada@desk.example")
	c.reply("ada@desk.example", replyTo, msgID, "Please restart the VPN client.")
	var relay, why string
	err := c.pool.QueryRow(context.Background(), `
		SELECT (SELECT coalesce(detail->>'relay', '') FROM events WHERE ticket_id = $1 AND kind = 'agent.reply'),
		       (SELECT coalesce(string_agg(DISTINCT detail->>'why', '; '), '') FROM events WHERE ticket_id = $1 AND kind = 'sla.clock' AND actor = 'ada@desk.example')`,
		c.ticket).Scan(&relay, &why)
	if err != nil {
		t.Fatal(err)
	}
	if relay != "queued" || why != "an agent's reply was queued for the requester" {
		t.Errorf("agent.reply relay = %q, clock why = %q; want queued, \"an agent's reply was queued for the requester\"", relay, why)
	}
}

// TestStatusMailWaitsForRelay: when one agent email relays a reply and
// changes the status, the status mail is claimed only once the server has
// accepted the relayed reply for the requester; a status change without a
// relay waits for nothing.
func TestStatusMailWaitsForRelay(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	c := newAgentCase(t, ticketing.VerifyConfig{})
	msgID, replyTo := c.sentTo("ada@desk.example")
	c.reply("ada@desk.example", replyTo, msgID, "#status resolved\n\nThe VPN certificate was renewed; it works again.")
	if _, err := c.pool.Exec(ctx, `UPDATE outbox SET status = 'sent' WHERE event NOT IN ('agent-reply', 'status-resolved')`); err != nil {
		t.Fatal(err)
	}
	claim := func() []string {
		t.Helper()
		ns, err := ticketing.ClaimNotifications(ctx, c.pool, "sender-1", time.Minute, 10, true)
		if err != nil {
			t.Fatal(err)
		}
		var events []string
		for _, n := range ns {
			events = append(events, n.Event)
		}
		return events
	}
	record := func(result string) {
		t.Helper()
		var id int64
		var attempts int
		if err := c.pool.QueryRow(ctx, `SELECT id, attempts FROM outbox WHERE event = 'agent-reply'`).Scan(&id, &attempts); err != nil {
			t.Fatal(err)
		}
		r := ticketing.SendResult{ID: id, Attempt: attempts, Result: result, Reply: "451 4.2.0 try later", Retry: time.Now().Add(-time.Second)}
		if result == ticketing.ResultSent {
			r.Reply, r.Delivered = "250 ok", true
		}
		if err := ticketing.RecordResults(ctx, c.pool, "sender-1", []ticketing.SendResult{r}, 0); err != nil {
			t.Fatal(err)
		}
	}
	if got := claim(); !slices.Equal(got, []string{"agent-reply"}) {
		t.Fatalf("first claim = %q, want only the relayed reply", got)
	}
	record(ticketing.ResultRetry)
	if got := claim(); !slices.Equal(got, []string{"agent-reply"}) {
		t.Fatalf("claim after the relay was deferred = %q, want only the relayed reply again", got)
	}
	record(ticketing.ResultSent)
	if got := claim(); !slices.Equal(got, []string{"status-resolved"}) {
		t.Fatalf("claim after the relay was accepted = %q, want the status mail", got)
	}

	// A status change alone is sent at once.
	c.reply("ada@desk.example", replyTo, msgID, "#status open")
	c.reply("ada@desk.example", replyTo, msgID, "#status pending")
	var after int
	if err := c.pool.QueryRow(ctx, `SELECT count(*) FROM outbox WHERE event = 'status-pending' AND after_id IS NULL`).Scan(&after); err != nil || after != 1 {
		t.Errorf("status-pending mails without a relay that wait for nothing: %d (%v), want 1", after, err)
	}
}
