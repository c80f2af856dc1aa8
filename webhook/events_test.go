package webhook_test

import (
	"context"
	"slices"
	"strconv"
	"testing"
	"time"

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

// FuzzSignature: whatever headers a receiver gets, Verify answers without
// panicking, and accepts a signature Sign made for the same message only.
func FuzzSignature(f *testing.F) {
	f.Add("msg_1", "1614265330", []byte(`{"a":1}`), "v1,abc v2,def")
	f.Add("", "", []byte{}, "")
	f.Add("msg_2", "-1", []byte("x"), "v1,")
	f.Fuzz(func(t *testing.T, id, ts string, body []byte, header string) {
		webhook.Verify(secret, id, ts, body, header)
		n, err := strconv.ParseInt(ts, 10, 64)
		if err != nil {
			return
		}
		sig := webhook.Sign(secret, id, time.Unix(n, 0), body)
		if !webhook.Verify(secret, id, ts, body, header+" "+sig) {
			t.Fatalf("Verify refused Sign's signature for %q %q %q", id, ts, body)
		}
		if webhook.Verify(secret, id+"x", ts, body, sig) {
			t.Fatalf("Verify accepted a signature for another id")
		}
	})
}
