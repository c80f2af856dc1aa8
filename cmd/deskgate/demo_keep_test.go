package main

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"
)

// watchWriter collects what is written and calls found once with the
// first match of re.
type watchWriter struct {
	mu    sync.Mutex
	text  []byte
	re    *regexp.Regexp
	found chan []string
}

func (w *watchWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.text = append(w.text, p...)
	if w.found != nil {
		if m := w.re.FindSubmatch(w.text); m != nil {
			var s []string
			for _, b := range m {
				s = append(s, string(b))
			}
			w.found <- s
			w.found = nil
		}
	}
	return len(p), nil
}

// TestDemoKeepPrintsURLs runs `deskgate demo -keep` and reads the health,
// readiness and metrics URLs it prints, and the dashboard's with a sign-in
// link for the demo's agent, which signs in.
func TestDemoKeepPrintsURLs(t *testing.T) {
	t.Chdir(t.TempDir()) // demo -keep writes demo.yaml into the working directory
	found := make(chan []string, 1)
	out := &watchWriter{re: regexp.MustCompile(`metrics (http://\S+/metrics)  health (http://\S+/healthz)  readiness (http://\S+/readyz)\n\s+dashboard (http://\S+/)  sign in as maja@desk.example: (http://\S+/signin/\S+) `), found: found}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- demoCmd(ctx, []string{"-keep"}, out, slog.New(slog.DiscardHandler)) }()
	defer func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("demo -keep = %v, want nil after cancel", err)
		}
	}()
	var urls []string
	select {
	case urls = <-found:
	case err := <-done:
		t.Fatalf("demo -keep ended (%v) without printing the URLs:\n%s", err, out.text)
	case <-time.After(2 * time.Minute):
		t.Fatalf("demo -keep printed no URLs in 2 minutes:\n%s", out.text)
	}
	dashboard, link := urls[4], urls[5]
	for _, u := range urls[1:4] {
		resp, err := http.Get(u)
		if err != nil {
			t.Fatalf("GET %s: %v", u, err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK || len(body) == 0 {
			t.Errorf("GET %s = %s %q, want 200", u, resp.Status, body)
		}
	}
	if !strings.HasPrefix(link, dashboard+"signin/") {
		t.Errorf("sign-in link %s, want one on the dashboard %s", link, dashboard)
	}
	req, _ := http.NewRequest("POST", link, nil)
	req.Header.Set("Sec-Fetch-Site", "same-origin")
	resp, err := (&http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}).Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusSeeOther || len(resp.Cookies()) == 0 {
		t.Errorf("POST %s = %s %v, want 303 with the session cookie", link, resp.Status, resp.Cookies())
	}
}
