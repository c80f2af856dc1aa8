// Package api is deskgate's HTTP API under /api/v1: the handlers of the
// OpenAPI document openapi.yaml (the contract; openapi.gen.go is generated
// from it by oapi-codegen), bearer-token authentication with per-token
// rate limits, and RFC 9457 problem details for every error. Handlers
// decode, call one ticketing (or mailin) function and encode; a change
// goes through the same ticketing function as an agent's email command.
package api

import (
	"context"
	_ "embed"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"go.yaml.in/yaml/v3"

	"github.com/deskgate/deskgate/ticketing"
	"github.com/deskgate/deskgate/ticketing/report"
)

//go:embed openapi.yaml
var specYAML []byte

// Prefix is where the API is served.
const Prefix = "/api/v1"

// Options configure the API.
type Options struct {
	DB *pgxpool.Pool
	// Desk returns the desk that applies changes. It is called for each
	// request, so that a reloaded configuration (SIGHUP) reaches the API
	// when it reaches mail: a change applies the same rules either way.
	Desk func() *ticketing.Desk
	// Report returns what the reports need: the default calendar, whose
	// time zone decides where a day begins; called for each request, as
	// Desk. nil: around the clock in UTC.
	Report func() report.Desk
	Log    *slog.Logger
	// Now is the reports' clock ("today", the backlog's ages); nil:
	// time.Now.
	Now func() time.Time
	// PerMinute is how many requests one token may make a minute (with a
	// burst of as many); 0 means DefaultPerMinute.
	PerMinute int
}

// DefaultPerMinute is the per-token rate limit when Options sets none.
const DefaultPerMinute = 600

// server implements the generated StrictServerInterface.
type server struct {
	db     *pgxpool.Pool
	desk   func() *ticketing.Desk
	report func() report.Desk
	now    func() time.Time
	log    *slog.Logger
	spec   map[string]any
}

// New returns the handler of everything under /api/v1, to be mounted at
// "/api/v1/" on the HTTP server of deskgate serve.
func New(o Options) (http.Handler, error) {
	var spec map[string]any
	if err := yaml.Unmarshal(specYAML, &spec); err != nil {
		return nil, fmt.Errorf("api: reading the OpenAPI document: %w", err)
	}
	shapes, err := bodyShapes(spec)
	if err != nil {
		return nil, err
	}
	if o.PerMinute == 0 {
		o.PerMinute = DefaultPerMinute
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Report == nil {
		o.Report = func() report.Desk { return report.Desk{} }
	}
	s := &server{db: o.DB, desk: o.Desk, report: o.Report, now: o.Now, log: o.Log, spec: spec}
	strict := NewStrictHandlerWithOptions(s, nil, StrictHTTPServerOptions{
		RequestErrorHandlerFunc:  func(w http.ResponseWriter, r *http.Request, err error) { writeProblem(w, badRequest(err)) },
		ResponseErrorHandlerFunc: func(w http.ResponseWriter, r *http.Request, err error) { s.fail(w, r, err) },
	})
	h := HandlerWithOptions(strict, StdHTTPServerOptions{
		BaseURL:          Prefix,
		Middlewares:      []MiddlewareFunc{refuseUnknown(shapes)},
		ErrorHandlerFunc: func(w http.ResponseWriter, r *http.Request, err error) { writeProblem(w, paramProblem(err)) },
	})
	return &auth{db: o.DB, next: h, limits: newLimiter(o.PerMinute), log: o.Log}, nil
}

// GetSpec serves the OpenAPI document as JSON.
func (s *server) GetSpec(ctx context.Context, _ GetSpecRequestObject) (GetSpecResponseObject, error) {
	return GetSpec200JSONResponse(s.spec), nil
}

// fail answers err as a problem, logging what is not the client's fault.
func (s *server) fail(w http.ResponseWriter, r *http.Request, err error) {
	p := problemOf(err)
	if p.Status >= 500 {
		s.log.Error("api request failed", "method", r.Method, "path", r.URL.Path, "err", err)
	}
	writeProblem(w, p)
}

func writeJSON(w http.ResponseWriter, status int, contentType string, v any) {
	w.Header().Set("Content-Type", contentType)
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}
