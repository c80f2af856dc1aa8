package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"github.com/deskgate/deskgate/config"
	"github.com/deskgate/deskgate/httpserver"
	"github.com/deskgate/deskgate/internal/demo"
	"github.com/deskgate/deskgate/internal/imapmem"
)

// scrape reads base's /metrics, parsed as Prometheus does.
func scrape(t *testing.T, base string) map[string]*dto.MetricFamily {
	t.Helper()
	resp, err := http.Get(base + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET /metrics = %s", resp.Status)
	}
	parser := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := parser.TextToMetricFamilies(resp.Body)
	if err != nil {
		t.Fatalf("GET /metrics: %v", err)
	}
	return fams
}

// value sums the series of name whose labels include want: counters and
// gauges by value, histograms by their count.
func value(fams map[string]*dto.MetricFamily, name string, want ...string) float64 {
	f := fams[name]
	if f == nil {
		return 0
	}
	total := 0.0
next:
	for _, m := range f.Metric {
		labels := map[string]string{}
		for _, l := range m.Label {
			labels[l.GetName()] = l.GetValue()
		}
		for i := 0; i+1 < len(want); i += 2 {
			if labels[want[i]] != want[i+1] {
				continue next
			}
		}
		switch {
		case m.Counter != nil:
			total += m.Counter.GetValue()
		case m.Gauge != nil:
			total += m.Gauge.GetValue()
		case m.Histogram != nil:
			total += float64(m.Histogram.GetSampleCount())
		}
	}
	return total
}

// waitMetric scrapes until name (with labels) reaches at least want, and
// returns that scrape.
func waitMetric(t *testing.T, base string, served <-chan error, want float64, name string, labels ...string) map[string]*dto.MetricFamily {
	t.Helper()
	deadline := time.After(30 * time.Second)
	for {
		fams := scrape(t, base)
		if value(fams, name, labels...) >= want {
			return fams
		}
		select {
		case err := <-served:
			t.Fatalf("serve stopped early: %v", err)
		case <-deadline:
			t.Fatalf("after 30s %s%v = %v, want at least %v", name, labels, value(fams, name, labels...), want)
		case <-time.After(20 * time.Millisecond):
		}
	}
}

// readyz reads base's /readyz.
func readyz(t *testing.T, base string) (int, httpserver.Readiness) {
	t.Helper()
	resp, err := http.Get(base + "/readyz")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var r httpserver.Readiness
	if err := json.NewDecoder(resp.Body).Decode(&r); err != nil {
		t.Fatalf("GET /readyz: %v", err)
	}
	return resp.StatusCode, r
}

// waitReady polls /readyz until its status is want.
func waitReady(t *testing.T, base string, served <-chan error, want string) httpserver.Readiness {
	t.Helper()
	deadline := time.After(30 * time.Second)
	for {
		code, r := readyz(t, base)
		if r.Status == want {
			if (code == http.StatusOK) != (want == "ready") {
				t.Errorf("GET /readyz = %d with status %q", code, r.Status)
			}
			return r
		}
		select {
		case err := <-served:
			t.Fatalf("serve stopped early: %v", err)
		case <-deadline:
			t.Fatalf("after 30s GET /readyz = %d %+v, want %s", code, r, want)
		case <-time.After(20 * time.Millisecond):
		}
	}
}

// startServing runs serve on cfg until stop is called or the test ends,
// and returns its HTTP server's base URL.
func startServing(t *testing.T, pool *pgxpool.Pool, cfg *config.Config) (base string, served <-chan error, stop func()) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	addr := make(chan string, 1)
	go func() {
		done <- serveWith(ctx, cfg, pool, slog.New(slog.NewTextHandler(io.Discard, nil)), serveHooks{listening: func(a string) { addr <- a }})
	}()
	stopped := false
	stop = func() {
		if !stopped {
			stopped = true
			cancel()
			if err := <-done; err != nil {
				t.Errorf("serve returned %v, want nil after cancel", err)
			}
		}
	}
	t.Cleanup(stop)
	select {
	case a := <-addr:
		return "http://" + a, done, stop
	case err := <-done:
		t.Fatalf("serve returned %v before listening", err)
	}
	return "", nil, nil
}

// TestMetricsEndToEnd runs serve on the demo's mail and reads /metrics as
// Prometheus would: the counters follow the pipeline, and move again with
// one more message.
func TestMetricsEndToEnd(t *testing.T) {
	srv, err := imapmem.Start(imapmem.Options{Username: "help@desk.example", Password: "pw"})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	n := 0
	for _, m := range demo.Messages() {
		if _, err := srv.Append("INBOX", m.Raw); err != nil {
			t.Fatal(err)
		}
		n++
		if m.Name == "02-apple-sv.eml" { // the demo's copy to the IT team's mailbox
			if _, err := srv.Append("IT", append([]byte("Delivered-To: it@desk.example\r\n"), m.Raw...)); err != nil {
				t.Fatal(err)
			}
			n++
		}
	}
	base, served, _ := startServing(t, useDatabase(t), demoConfig(srv.Addr(), testSMTP(t), "help@desk.example", "pw"))
	want := float64(n)

	fams := waitMetric(t, base, served, want, "deskgate_messages_processed_total")
	for _, c := range []struct {
		name   string
		labels []string
		want   float64
	}{
		{"deskgate_messages_captured_total", nil, want},
		{"deskgate_messages_captured_total", []string{"mailbox", "it"}, 1},
		{"deskgate_messages_processed_total", nil, want},
		{"deskgate_parse_duration_seconds", nil, want},
		{"deskgate_imap_connects_total", []string{"mailbox", "it"}, 1},
		{"deskgate_mailbox_lease_held", []string{"mailbox", "support"}, 1},
		{"deskgate_state_up", nil, 1},
	} {
		if got := value(fams, c.name, c.labels...); got != c.want {
			t.Errorf("%s%v = %v, want %v", c.name, c.labels, got, c.want)
		}
	}
	for _, c := range []struct {
		name   string
		labels []string
	}{
		{"deskgate_messages_processed_total", []string{"class", "human", "outcome", "ticketed"}},
		{"deskgate_messages_processed_total", []string{"class", "auto_reply"}},
		{"deskgate_batch_duration_seconds", []string{"stage", "capture"}},
		{"deskgate_batch_duration_seconds", []string{"stage", "process"}},
		{"deskgate_arrival_to_ticket_seconds", nil},
		{"deskgate_rules_fired_total", []string{"rule", "VPN problems"}},
		{"go_goroutines", nil},
		{"process_cpu_seconds_total", nil},
	} {
		if got := value(fams, c.name, c.labels...); got <= 0 {
			t.Errorf("%s%v = %v, want more than 0", c.name, c.labels, got)
		}
	}
	fams = waitMetric(t, base, served, 1, "deskgate_smtp_results_total", "class", "2xx")
	if f := fams["deskgate_outbox_messages"]; f == nil || len(f.Metric) != 2 {
		t.Errorf("deskgate_outbox_messages = %v, want a queued and a deferred series", f)
	}
	waitReady(t, base, served, "ready")

	// One more message: IDLE wakes, and it is captured, processed and
	// ticketed.
	before := waitMetric(t, base, served, 1, "deskgate_mailbox_state", "mailbox", "support", "state", "idle")
	if _, err := srv.Append("INBOX", demo.Late); err != nil {
		t.Fatal(err)
	}
	after := waitMetric(t, base, served, want+1, "deskgate_messages_processed_total")
	for _, c := range []struct {
		name   string
		labels []string
	}{
		{"deskgate_messages_captured_total", []string{"mailbox", "support"}},
		{"deskgate_imap_idle_wakeups_total", []string{"mailbox", "support"}},
		{"deskgate_arrival_to_ticket_seconds", nil},
		{"deskgate_messages_processed_total", []string{"outcome", "ticketed"}},
	} {
		if b, a := value(before, c.name, c.labels...), value(after, c.name, c.labels...); a <= b {
			t.Errorf("%s%v = %v after one more message, %v before: want it to move", c.name, c.labels, a, b)
		}
	}
	for name, f := range after {
		for _, m := range f.Metric {
			for _, l := range m.Label {
				if strings.Contains(l.GetValue(), "@") {
					t.Errorf("%s has label %s=%q: no addresses in labels", name, l.GetName(), l.GetValue())
				}
			}
		}
	}
}

// TestReadyzFollowsIMAPLogin: /readyz is 503 naming the mailbox while its
// password is wrong, and 200 once serve runs with the right one.
func TestReadyzFollowsIMAPLogin(t *testing.T) {
	srv, err := imapmem.Start(imapmem.Options{Username: "help@desk.example", Password: "pw"})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	if _, err := srv.Append("IT", demo.Late); err != nil {
		t.Fatal(err)
	}
	cfg := demoConfig(srv.Addr(), testSMTP(t), "help@desk.example", "pw")
	cfg.Mailboxes[1].Password = "wrong"
	pool := useDatabase(t)
	base, served, stop := startServing(t, pool, cfg)
	r := waitReady(t, base, served, "unready")
	for deadline := time.Now().Add(30 * time.Second); !strings.Contains(fmt.Sprint(r.Problems), "mailbox it: auth_failed"); {
		if time.Now().After(deadline) { // "never synced" until the login is refused
			t.Fatalf("after 30s GET /readyz problems = %q, want mailbox it: auth_failed", r.Problems)
		}
		time.Sleep(20 * time.Millisecond)
		r = waitReady(t, base, served, "unready")
	}
	fams := scrape(t, base)
	if got := value(fams, "deskgate_imap_auth_failures_total", "mailbox", "it"); got < 1 {
		t.Errorf("deskgate_imap_auth_failures_total{mailbox=it} = %v, want at least 1", got)
	}
	stop()

	cfg.Mailboxes[1].Password = "pw" // fixed, and serve started again
	base, served, _ = startServing(t, pool, cfg)
	waitReady(t, base, served, "ready")
}
