// Package httpserver is the one HTTP server of deskgate serve: /healthz
// (200 while the process runs), /readyz (200 when ready, 503 with the
// problems otherwise), /metrics (Prometheus text from a registry) and the
// routes the caller mounts (the API). None of its own endpoints needs a
// token; they say nothing about tickets or people.
package httpserver

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Options configure a Server.
type Options struct {
	Listen string // host:port; port 0 picks a free one (see Server.Addr)
	// Routes are mounted as given: Go 1.22 ServeMux patterns to handlers.
	Routes map[string]http.Handler
	// Ready returns what keeps the process from being ready; none: ready.
	// Nil: always ready.
	Ready    func(context.Context) []string
	Registry *prometheus.Registry // served at /metrics; nil: no /metrics
	Log      *slog.Logger
}

// Server is a running HTTP server.
type Server struct {
	srv  *http.Server
	ln   net.Listener
	done chan struct{}
}

// readyTimeout bounds one readiness check.
const readyTimeout = 5 * time.Second

// Start listens on o.Listen at once (an address it cannot bind is the
// error) and serves in the background until Shutdown.
func Start(ctx context.Context, o Options) (*Server, error) {
	if o.Log == nil {
		o.Log = slog.New(slog.DiscardHandler)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
	})
	mux.Handle("GET /readyz", readyHandler(o.Ready))
	if o.Registry != nil {
		mux.Handle("GET /metrics", promhttp.HandlerFor(o.Registry, promhttp.HandlerOpts{
			ErrorLog: slog.NewLogLogger(o.Log.Handler(), slog.LevelWarn), Registry: o.Registry}))
	}
	for pattern, h := range o.Routes {
		mux.Handle(pattern, h)
	}
	var lc net.ListenConfig
	ln, err := lc.Listen(ctx, "tcp", o.Listen)
	if err != nil {
		return nil, fmt.Errorf("httpserver: cannot listen on %s (http.listen): %w", o.Listen, err)
	}
	s := &Server{ln: ln, done: make(chan struct{}),
		srv: &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second,
			ErrorLog: slog.NewLogLogger(o.Log.Handler(), slog.LevelDebug)}}
	go func() {
		defer close(s.done)
		if err := s.srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			o.Log.Error("httpserver: serving stopped", "err", err)
		}
	}()
	return s, nil
}

// Addr is the address the server listens on, with the port it was given.
func (s *Server) Addr() string { return s.ln.Addr().String() }

// Shutdown stops the server, letting requests in progress finish until
// ctx is done.
func (s *Server) Shutdown(ctx context.Context) error {
	err := s.srv.Shutdown(ctx)
	<-s.done
	if err != nil {
		return fmt.Errorf("httpserver: shutting down: %w", err)
	}
	return nil
}

// Readiness is /readyz's body.
type Readiness struct {
	Status   string   `json:"status"` // ready or unready
	Problems []string `json:"problems"`
}

func readyHandler(ready func(context.Context) []string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body := Readiness{Status: "ready", Problems: []string{}}
		if ready != nil {
			ctx, cancel := context.WithTimeout(r.Context(), readyTimeout)
			defer cancel()
			if p := ready(ctx); len(p) > 0 {
				body = Readiness{Status: "unready", Problems: p}
			}
		}
		code := http.StatusOK
		if body.Status != "ready" {
			code = http.StatusServiceUnavailable
		}
		writeJSON(w, code, body)
	})
}

func writeJSON(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(code)
	_ = json.NewEncoder(w).Encode(v)
}
