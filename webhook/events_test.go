package webhook_test

import (
	"context"
	"slices"
	"testing"

	"github.com/deskgate/deskgate/internal/dbtest"
	"github.com/deskgate/deskgate/webhook"
)

// TestEventNames checks the migration's mapping from the event log to
// webhook events: each of Events comes from some entry, and entries that
// are none of them map to nothing.
func TestEventNames(t *testing.T) {
	t.Parallel()
	pool := dbtest.Pool(t)
	var seen []string
	for _, c := range []struct {
		kind, detail string
		want         []string
	}{
		{"ticket.created", `{}`, []string{"ticket.created", "message.received"}},
		{"message.received", `{}`, []string{"message.received"}},
		{"status.changed", `{"from": "open", "to": "pending"}`, []string{"ticket.status_changed"}},
		{"priority.changed", `{"from": "Low", "to": "High"}`, []string{"ticket.priority_changed"}},
		{"fields.changed", `{"changes": [{"field": "assignee", "from": "", "to": "a@x"}]}`, []string{"ticket.assignee_changed"}},
		{"rule.fired", `{"changes": [{"field": "assignee", "to": "a@x"}]}`, []string{"ticket.assignee_changed"}},
		{"fields.changed", `{"changes": [{"field": "category", "to": "Billing"}]}`, nil},
		{"agent.reply", `{"relay": "queued"}`, []string{"agent.reply"}},
		{"agent.reply", `{"relay": "none"}`, nil},
		{"sla.warning", `{}`, []string{"sla.warning"}},
		{"sla.breach", `{}`, []string{"sla.breach"}},
		{"notification.failed", `{}`, []string{"notification.failed"}},
		{"notification.delivered", `{}`, nil},
	} {
		var got []string
		if err := pool.QueryRow(context.Background(), `SELECT webhook_event_names($1, $2::jsonb)`, c.kind, c.detail).Scan(&got); err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(got, c.want) {
			t.Errorf("webhook_event_names(%s, %s) = %v, want %v", c.kind, c.detail, got, c.want)
		}
		seen = append(seen, got...)
	}
	for _, e := range webhook.Events {
		if !slices.Contains(seen, e) {
			t.Errorf("no event log entry maps to %s", e)
		}
	}
}
