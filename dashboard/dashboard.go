// Package dashboard is the read-only web view of the desk for team leads,
// served by deskgate serve at / of its HTTP server: an overview, the
// ticket list, a ticket's page and the reports with charts. Pages are
// rendered on the server with html/template from files embedded in the
// binary, charts are SVG drawn on the server (nothing is fetched from the
// internet and no script runs), and every response carries one strict
// Content-Security-Policy. Agents sign in with a one-time link mailed to
// their configured address (signin.go).
package dashboard

import (
	"context"
	"embed"
	"errors"
	"fmt"
	"html/template"
	"io/fs"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/deskgate/deskgate/ticketing/report"
)

// CSP is the Content-Security-Policy of every dashboard response.
const CSP = "default-src 'self'; script-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'"

//go:embed files
var files embed.FS

// DB is what the dashboard reads and writes: a *pgxpool.Pool, which the
// reports page queries from several goroutines at once.
type DB interface {
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
	Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error)
	Begin(ctx context.Context) (pgx.Tx, error)
}

// Options configure a Dashboard.
type Options struct {
	DB DB
	// Agents are the configured agents' addresses, lower-cased: only they
	// may sign in.
	Agents []string
	// PublicURL returns the base of the sign-in links: http.public_url, or
	// the address the server listens on.
	PublicURL func() string
	// Secure marks the session cookie Secure (http.public_url is https).
	Secure bool
	// From is the desk's name and address, the sign-in mail's sender.
	FromName, FromAddr string
	Report             report.Desk // the reports' calendar
	Log                *slog.Logger
	Now                func() time.Time // nil: time.Now
}

// Dashboard serves the dashboard's pages.
type Dashboard struct {
	o     Options
	pages map[string]*template.Template
}

// Link and session lifetimes.
const (
	linkTTL    = 15 * time.Minute
	sessionTTL = 12 * time.Hour
	cookieName = "deskgate_session"
)

// New parses the templates (a mistake in them is the error).
func New(o Options) (*Dashboard, error) {
	if o.Log == nil {
		o.Log = slog.New(slog.DiscardHandler)
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	d := &Dashboard{o: o, pages: map[string]*template.Template{}}
	names, err := fs.Glob(files, "files/pages/*.html")
	if err != nil {
		return nil, fmt.Errorf("dashboard: %w", err)
	}
	for _, n := range names {
		t, err := template.New("layout.html").Funcs(funcs).ParseFS(files, "files/layout.html", n)
		if err != nil {
			return nil, fmt.Errorf("dashboard: %w", err)
		}
		d.pages[strings.TrimSuffix(strings.TrimPrefix(n, "files/pages/"), ".html")] = t
	}
	return d, nil
}

// Routes are the dashboard's ServeMux patterns, for httpserver.Options.
func (d *Dashboard) Routes() map[string]http.Handler {
	static, _ := fs.Sub(files, "files/static")
	h := func(f func(http.ResponseWriter, *http.Request)) http.Handler { return d.secure(http.HandlerFunc(f)) }
	signedIn := func(f func(http.ResponseWriter, *http.Request, string)) http.Handler {
		return d.secure(d.session(f))
	}
	return map[string]http.Handler{
		"GET /{$}":                     h(d.home),
		"GET /static/":                 d.secure(http.StripPrefix("/static/", http.FileServerFS(static))),
		"POST /signin":                 h(d.requestLink),
		"GET /signin/{token}":          h(d.showLink),
		"POST /signin/{token}":         h(d.useLink),
		"POST /signout":                signedIn(d.signOut),
		"GET /tickets":                 signedIn(d.tickets),
		"GET /tickets/{n}":             signedIn(d.ticket),
		"GET /tickets/{n}/files/{sha}": signedIn(d.attachment),
		"GET /reports":                 signedIn(d.reports),
		"/":                            h(func(w http.ResponseWriter, r *http.Request) { d.fail(w, r, http.StatusNotFound, "no such page") }),
	}
}

// secure sets the headers every response carries and refuses cross-origin
// POSTs (http.CrossOriginProtection reads Sec-Fetch-Site and Origin).
func (d *Dashboard) secure(next http.Handler) http.Handler {
	cop := http.NewCrossOriginProtection()
	cop.SetDenyHandler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		d.fail(w, r, http.StatusForbidden, "a form from another site cannot post here")
	}))
	inner := cop.Handler(next)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Content-Security-Policy", CSP)
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Referrer-Policy", "no-referrer")
		h.Set("X-Frame-Options", "DENY")
		if !strings.HasPrefix(r.URL.Path, "/static/") {
			h.Set("Cache-Control", "no-store")
		}
		inner.ServeHTTP(w, r)
	})
}

// page is what every page template gets.
type page struct {
	Title string
	Agent string // signed in as; "" on the sign-in pages
	Nav   string // the current section
	Data  any
}

func (d *Dashboard) render(w http.ResponseWriter, r *http.Request, code int, name string, p page) {
	t := d.pages[name]
	var b strings.Builder
	if err := t.Execute(&b, p); err != nil {
		d.o.Log.Error("dashboard: rendering", "page", name, "err", err)
		http.Error(w, "the page could not be rendered", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(code)
	_, _ = w.Write([]byte(b.String()))
}

// fail answers with an error page.
func (d *Dashboard) fail(w http.ResponseWriter, r *http.Request, code int, msg string) {
	d.render(w, r, code, "error", page{Title: http.StatusText(code), Data: msg})
}

// failErr logs err and answers 500, or 404 for ErrNotFound-like errors.
func (d *Dashboard) failErr(w http.ResponseWriter, r *http.Request, err error) {
	if errors.Is(err, pgx.ErrNoRows) {
		d.fail(w, r, http.StatusNotFound, "not found")
		return
	}
	d.o.Log.Error("dashboard: request failed", "path", r.URL.Path, "err", err)
	d.fail(w, r, http.StatusInternalServerError, "something went wrong; the log says what")
}
