package httpserver

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"slices"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
)

func get(t *testing.T, url string) (int, string) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, string(b)
}

func start(t *testing.T, o Options) *Server {
	t.Helper()
	s, err := Start(context.Background(), o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Shutdown(context.Background()) })
	return s
}

func TestEndpoints(t *testing.T) {
	t.Parallel()
	var problems atomic.Pointer[[]string]
	problems.Store(&[]string{"mailbox support: auth_failed"})
	reg := prometheus.NewRegistry()
	c := prometheus.NewCounter(prometheus.CounterOpts{Name: "deskgate_test_total", Help: "A test counter."})
	reg.MustRegister(c)
	c.Add(3)
	s := start(t, Options{Listen: "127.0.0.1:0", Registry: reg,
		Ready: func(context.Context) []string { return *problems.Load() },
		Routes: map[string]http.Handler{"GET /api/v1/ping": http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			io.WriteString(w, "pong")
		})}})
	base := "http://" + s.Addr()

	if code, body := get(t, base+"/healthz"); code != 200 || !strings.Contains(body, `"ok"`) {
		t.Errorf("GET /healthz = %d %q, want 200 ok", code, body)
	}
	code, body := get(t, base+"/readyz")
	var r Readiness
	if err := json.Unmarshal([]byte(body), &r); err != nil {
		t.Fatalf("GET /readyz body %q: %v", body, err)
	}
	if code != 503 || r.Status != "unready" || !slices.Equal(r.Problems, []string{"mailbox support: auth_failed"}) {
		t.Errorf("GET /readyz = %d %+v, want 503 unready with the problem", code, r)
	}
	problems.Store(&[]string{})
	if code, body := get(t, base+"/readyz"); code != 200 || body != "{\"status\":\"ready\",\"problems\":[]}\n" {
		t.Errorf("GET /readyz = %d %q, want 200 ready with no problems", code, body)
	}
	if code, body := get(t, base+"/api/v1/ping"); code != 200 || body != "pong" {
		t.Errorf("GET /api/v1/ping = %d %q, want the mounted route", code, body)
	}
	code, body = get(t, base+"/metrics")
	parser := expfmt.NewTextParser(model.UTF8Validation)
	families, err := parser.TextToMetricFamilies(strings.NewReader(body))
	if code != 200 || err != nil {
		t.Fatalf("GET /metrics = %d, parse error %v", code, err)
	}
	if f := families["deskgate_test_total"]; f == nil || f.Metric[0].GetCounter().GetValue() != 3 {
		t.Errorf("GET /metrics: deskgate_test_total = %v, want 3", f)
	}
}

func TestBindFailure(t *testing.T) {
	t.Parallel()
	s := start(t, Options{Listen: "127.0.0.1:0"})
	_, err := Start(context.Background(), Options{Listen: s.Addr()})
	if err == nil || !strings.Contains(err.Error(), "http.listen") {
		t.Errorf("Start on a bound address = %v, want an error naming http.listen", err)
	}
}
