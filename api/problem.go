package api

import (
	"errors"
	"net/http"

	"github.com/deskgate/deskgate/mailin"
	"github.com/deskgate/deskgate/ticketing"
	"github.com/deskgate/deskgate/ticketing/report"
	"github.com/deskgate/deskgate/ticketing/search"
)

// problemBase is where the stable problem types live; a problem's type is
// problemBase + its name.
const problemBase = "https://deskgate.dev/problems/"

// The problem names, stable for clients to branch on.
const (
	ProblemBadRequest   = "bad-request"  // 400: a parameter or body that cannot be read
	ProblemUnauthorized = "unauthorized" // 401: no token, or an unknown, revoked or expired one
	ProblemForbidden    = "forbidden"    // 403: outside the agent's teams
	ProblemScope        = "scope"        // 403: a read token asked to change something
	ProblemNotFound     = "not-found"    // 404
	ProblemTransition   = "transition"   // 409: a status change the lifecycle forbids
	ProblemMerge        = "merge"        // 409: a merge that cannot be done
	ProblemInvalid      = "invalid"      // 422: fields refused, each named in errors
	ProblemRateLimited  = "rate-limited" // 429
	ProblemInternal     = "internal"     // 500
)

var titles = map[string]string{
	ProblemBadRequest: "Bad request", ProblemUnauthorized: "Unauthorized", ProblemForbidden: "Forbidden",
	ProblemScope: "Token scope too narrow", ProblemNotFound: "Not found", ProblemTransition: "Status change not allowed",
	ProblemMerge: "Cannot merge", ProblemInvalid: "Invalid fields", ProblemRateLimited: "Too many requests",
	ProblemInternal: "Internal error",
}

// fieldError is one entry of a problem's errors.
type fieldError = struct {
	Field   string `json:"field"`
	Message string `json:"message"`
}

func problem(status int, name, detail string) Problem {
	p := Problem{Type: problemBase + name, Title: titles[name], Status: status}
	if detail != "" {
		p.Detail = &detail
	}
	return p
}

// problemOf maps a domain error to its problem: the one place errors
// become HTTP statuses.
func problemOf(err error) Problem {
	var inv *ticketing.InvalidError
	var cur ticketing.BadCursor
	var long search.TooLong
	var query *report.QueryError
	switch {
	case errors.As(err, &inv):
		p := problem(http.StatusUnprocessableEntity, ProblemInvalid, err.Error())
		var fs []fieldError
		for _, f := range inv.Fields {
			fs = append(fs, fieldError{Field: f.Field, Message: f.Message})
		}
		p.Errors = &fs
		return p
	case errors.As(err, &cur):
		return invalid("cursor", err.Error())
	case errors.As(err, &long):
		return invalid("q", err.Error())
	case errors.As(err, &query):
		return invalid(query.Field, query.Message)
	case errors.Is(err, ticketing.ErrNotFound), errors.Is(err, mailin.ErrNotFound):
		return problem(http.StatusNotFound, ProblemNotFound, err.Error())
	case errors.Is(err, ticketing.ErrForbidden), errors.Is(err, ticketing.ErrNoAgent):
		return problem(http.StatusForbidden, ProblemForbidden, err.Error())
	case errors.Is(err, ticketing.ErrTransition):
		return problem(http.StatusConflict, ProblemTransition, err.Error())
	case errors.Is(err, ticketing.ErrMerge):
		return problem(http.StatusConflict, ProblemMerge, err.Error())
	}
	return problem(http.StatusInternalServerError, ProblemInternal, "")
}

// invalid is a 422 naming one field.
func invalid(field, msg string) Problem {
	p := problem(http.StatusUnprocessableEntity, ProblemInvalid, field+": "+msg)
	p.Errors = &[]fieldError{{Field: field, Message: msg}}
	return p
}

// badRequest is a body that cannot be decoded.
func badRequest(err error) Problem {
	return problem(http.StatusBadRequest, ProblemBadRequest, err.Error())
}

// paramProblem is a parameter that cannot be read: a 422 naming it.
func paramProblem(err error) Problem {
	var f *InvalidParamFormatError
	var r *RequiredParamError
	switch {
	case errors.As(err, &f):
		return invalid(f.ParamName, f.Err.Error())
	case errors.As(err, &r):
		return invalid(r.ParamName, "required")
	}
	return badRequest(err)
}

func writeProblem(w http.ResponseWriter, p Problem) {
	if p.Status == http.StatusTooManyRequests {
		w.Header().Set("Retry-After", "60")
	}
	writeJSON(w, p.Status, "application/problem+json", p)
}
