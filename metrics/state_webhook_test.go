package metrics

import (
	"context"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// TestWebhookGauges: each configured endpoint's backlog, oldest wait and
// deliveries are scraped, labelled by the endpoint's configured name.
func TestWebhookGauges(t *testing.T) {
	reg := prometheus.NewRegistry()
	RegisterState(reg, time.Second, func(context.Context) (Snapshot, error) {
		return Snapshot{Webhooks: []Webhook{{Endpoint: "crm", Queued: 3, Oldest: time.Now().Add(-time.Minute), Sent: 40, GivenUp: 2}}}, nil
	})
	families, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]float64{}
	for _, f := range families {
		for _, m := range f.GetMetric() {
			key := f.GetName()
			for _, l := range m.GetLabel() {
				key += " " + l.GetName() + "=" + l.GetValue()
			}
			got[key] = m.GetGauge().GetValue()
		}
	}
	for key, want := range map[string]float64{
		"deskgate_webhook_queued endpoint=crm":                      3,
		"deskgate_webhook_deliveries endpoint=crm outcome=sent":     40,
		"deskgate_webhook_deliveries endpoint=crm outcome=given_up": 2,
	} {
		if got[key] != want {
			t.Errorf("%s = %v, want %v", key, got[key], want)
		}
	}
	if age := got["deskgate_webhook_oldest_queued_age_seconds endpoint=crm"]; age < 59 || age > 3600 {
		t.Errorf("oldest queued age = %v s, want about 60", age)
	}
}
