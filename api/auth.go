package api

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/deskgate/deskgate/ticketing"
)

type identityKey struct{}

// agentOf is the agent a request acts as.
func agentOf(ctx context.Context) string {
	id, _ := ctx.Value(identityKey{}).(identity)
	return id.agent
}

// auth admits requests with a valid bearer token of the right scope,
// within the token's rate limit; the OpenAPI document needs none.
type auth struct {
	db     ticketing.DB
	next   http.Handler
	limits *limiter
	log    *slog.Logger
}

func (a *auth) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path == Prefix+"/openapi.json" {
		a.next.ServeHTTP(w, r)
		return
	}
	secret, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	if !ok || strings.TrimSpace(secret) == "" {
		a.refuse(w, problem(http.StatusUnauthorized, ProblemUnauthorized, "want Authorization: Bearer <token> (deskgate token create)"))
		return
	}
	id, err := authenticate(r.Context(), a.db, strings.TrimSpace(secret))
	var refused errToken
	switch {
	case errors.As(err, &refused):
		a.refuse(w, problem(http.StatusUnauthorized, ProblemUnauthorized, refused.Error()))
		return
	case err != nil:
		a.log.Error("api authentication failed", "err", err)
		writeProblem(w, problem(http.StatusInternalServerError, ProblemInternal, ""))
		return
	}
	if !a.limits.allow(id.token, time.Now()) {
		writeProblem(w, problem(http.StatusTooManyRequests, ProblemRateLimited,
			fmt.Sprintf("token %d is limited to %d requests a minute", id.token, a.limits.perMinute)))
		return
	}
	if r.Method != http.MethodGet && r.Method != http.MethodHead && id.scope != ScopeWrite {
		writeProblem(w, problem(http.StatusForbidden, ProblemScope, fmt.Sprintf("token %d may only read", id.token)))
		return
	}
	a.next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), identityKey{}, id)))
}

func (a *auth) refuse(w http.ResponseWriter, p Problem) {
	w.Header().Set("WWW-Authenticate", `Bearer realm="deskgate"`)
	writeProblem(w, p)
}

// limiter is a token bucket per API token: perMinute requests a minute,
// in bursts of as many. It is per process.
type limiter struct {
	perMinute int
	mu        sync.Mutex
	buckets   map[int64]*bucket
}

type bucket struct {
	left float64
	at   time.Time
}

func newLimiter(perMinute int) *limiter {
	return &limiter{perMinute: perMinute, buckets: map[int64]*bucket{}}
}

func (l *limiter) allow(token int64, now time.Time) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	b := l.buckets[token]
	if b == nil {
		b = &bucket{left: float64(l.perMinute), at: now}
		l.buckets[token] = b
	}
	b.left = min(float64(l.perMinute), b.left+now.Sub(b.at).Minutes()*float64(l.perMinute))
	b.at = now
	if b.left < 1 {
		return false
	}
	b.left--
	return true
}
