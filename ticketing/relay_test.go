package ticketing_test

import (
	"context"
	"testing"

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
