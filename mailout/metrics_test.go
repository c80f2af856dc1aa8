package mailout

import (
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/deskgate/deskgate/internal/smtpmem"
	"github.com/deskgate/deskgate/metrics"
	"github.com/deskgate/deskgate/ticketing"
)

// TestSMTPReplyMetrics: each reply the server gives (to DATA, a refused
// recipient, a refused DATA for good and for now) is counted by its class
// and enhanced code.
func TestSMTPReplyMetrics(t *testing.T) {
	t.Parallel()
	e := newEnv(t, smtpmem.Options{})
	e.srv.AddFault(smtpmem.Fault{Stage: smtpmem.StageRcpt, Addr: "gone@example.com", Code: 550, Enhanced: "5.1.1", Message: "no such user"})
	e.srv.AddFault(smtpmem.Fault{Stage: smtpmem.StageData, Addr: "bad@example.com", Code: 554, Enhanced: "5.7.1", Message: "rejected"})
	e.srv.AddFault(smtpmem.Fault{Stage: smtpmem.StageData, Addr: "later@example.com", Code: 451, Enhanced: "4.3.0", Message: "try later", Times: 1})
	ids := e.insert(
		row{to: []ticketing.Address{{Address: "ok@example.com"}}, cc: []ticketing.Address{{Address: "gone@example.com"}}},
		row{to: []ticketing.Address{{Address: "bad@example.com"}}},
		row{to: []ticketing.Address{{Address: "later@example.com"}}},
	)
	reg := prometheus.NewRegistry()
	cfg := e.config()
	cfg.Metrics = metrics.New(reg)
	_, stop := e.start(cfg)
	e.waitStatus(ids[0], ticketing.OutboxSent, 10*time.Second)
	e.waitStatus(ids[1], ticketing.OutboxFailed, 10*time.Second)
	e.waitStatus(ids[2], ticketing.OutboxSent, 10*time.Second)
	stop()

	fams, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	got := map[[2]string]float64{}
	for _, f := range fams {
		if f.GetName() != "deskgate_smtp_results_total" {
			continue
		}
		for _, m := range f.Metric {
			var k [2]string
			for _, l := range m.Label {
				if l.GetName() == "class" {
					k[0] = l.GetValue()
				} else {
					k[1] = l.GetValue()
				}
			}
			got[k] += m.Counter.GetValue()
		}
	}
	sent := 0.0
	for k, v := range got {
		if k[0] == "2xx" {
			sent += v
		}
	}
	if sent != 2 || got[[2]string{"5xx", "5.1.1"}] != 1 || got[[2]string{"5xx", "5.7.1"}] != 1 || got[[2]string{"4xx", "4.3.0"}] != 1 {
		t.Errorf("deskgate_smtp_results_total = %v, want 2 accepted DATA, one each of 5.1.1, 5.7.1 and 4.3.0", got)
	}
}
