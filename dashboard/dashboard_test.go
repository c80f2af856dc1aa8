package dashboard_test

import (
	"context"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/deskgate/deskgate/dashboard"
	"github.com/deskgate/deskgate/internal/dbtest"
	"github.com/deskgate/deskgate/ticketing/report"
	"github.com/deskgate/deskgate/ticketing/sla"
)

type site struct {
	t    *testing.T
	pool *pgxpool.Pool
	srv  *httptest.Server
	c    *http.Client
}

func newSite(t *testing.T, secure bool) *site {
	t.Helper()
	pool := dbtest.Pool(t)
	s := &site{t: t, pool: pool}
	d, err := dashboard.New(dashboard.Options{DB: pool, Agents: []string{"lead@desk.example"},
		PublicURL: func() string { return s.srv.URL }, Secure: secure, FromName: "Desk", FromAddr: "help@desk.example",
		Report: report.Desk{Calendar: sla.Always()}})
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	for p, h := range d.Routes() {
		mux.Handle(p, h)
	}
	s.srv = httptest.NewServer(mux)
	t.Cleanup(s.srv.Close)
	jar, _ := cookiejar.New(nil)
	s.c = &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	return s
}

// do sends a request as a browser on the page's own origin would.
func (s *site) do(method, path string, form url.Values) (*http.Response, string) {
	s.t.Helper()
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, err := http.NewRequest(method, s.srv.URL+path, body)
	if err != nil {
		s.t.Fatal(err)
	}
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	if method == http.MethodPost {
		req.Header.Set("Sec-Fetch-Site", "same-origin")
	}
	resp, err := s.c.Do(req)
	if err != nil {
		s.t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if got := resp.Header.Get("Content-Security-Policy"); got != dashboard.CSP {
		s.t.Errorf("%s %s: Content-Security-Policy = %q, want %q", method, path, got, dashboard.CSP)
	}
	return resp, string(b)
}

// signIn asks for a link by mail, reads it from the outbox and uses it.
func (s *site) signIn() *http.Response {
	s.t.Helper()
	if resp, _ := s.do("POST", "/signin", url.Values{"email": {"Lead@Desk.example"}}); resp.StatusCode != 200 {
		s.t.Fatalf("POST /signin = %d", resp.StatusCode)
	}
	var text string
	if err := s.pool.QueryRow(context.Background(), `SELECT text_body FROM outbox WHERE recipient = 'lead@desk.example'
		AND event = 'dashboard.signin' ORDER BY id DESC LIMIT 1`).Scan(&text); err != nil {
		s.t.Fatalf("the sign-in mail was not queued: %v", err)
	}
	link := regexp.MustCompile(`http://\S+/signin/\S+`).FindString(text)
	path := strings.TrimPrefix(link, s.srv.URL)
	// A GET, as a link scanner does, shows the button and uses nothing up.
	for range 2 {
		if resp, body := s.do("GET", path, nil); resp.StatusCode != 200 || !strings.Contains(body, `method="post" action="`+path+`"`) {
			s.t.Fatalf("GET %s = %d %q, want the button that posts", path, resp.StatusCode, body)
		}
	}
	resp, _ := s.do("POST", path, url.Values{})
	if resp.StatusCode != http.StatusSeeOther {
		s.t.Fatalf("POST %s = %d, want 303 to the overview", path, resp.StatusCode)
	}
	if again, _ := s.do("POST", path, url.Values{}); again.StatusCode != http.StatusForbidden {
		s.t.Errorf("POST %s a second time = %d, want 403 (single use)", path, again.StatusCode)
	}
	return resp
}

func TestSignInByMail(t *testing.T) {
	t.Parallel()
	s := newSite(t, true)
	if resp, body := s.do("GET", "/", nil); resp.StatusCode != 200 || !strings.Contains(body, `name="email"`) {
		t.Fatalf("GET / without a session = %d %q, want 200 and the sign-in form", resp.StatusCode, body)
	}
	if resp, _ := s.do("GET", "/tickets", nil); resp.StatusCode != http.StatusSeeOther {
		t.Errorf("GET /tickets without a session = %d, want 303 to sign in", resp.StatusCode)
	}
	// An address that is no agent's gets the same answer and no mail.
	if resp, _ := s.do("POST", "/signin", url.Values{"email": {"stranger@example.com"}}); resp.StatusCode != 200 {
		t.Errorf("POST /signin for a stranger = %d, want 200", resp.StatusCode)
	}
	resp := s.signIn()
	var cookie *http.Cookie
	for _, c := range resp.Cookies() {
		if c.Name == "deskgate_session" {
			cookie = c
		}
	}
	if cookie == nil || !cookie.HttpOnly || !cookie.Secure || cookie.SameSite != http.SameSiteStrictMode {
		t.Fatalf("session cookie = %+v, want HttpOnly, Secure, SameSite=Strict", cookie)
	}
	// The test server is plain http: the jar keeps a Secure cookie for https only.
	u, _ := url.Parse(s.srv.URL)
	cookie.Secure = false
	s.c.Jar.SetCookies(u, []*http.Cookie{cookie})
	for _, path := range []string{"/", "/tickets", "/tickets?status=open&q=vpn", "/reports", "/reports?from=2026-01-01&to=2026-01-31"} {
		if resp, body := s.do("GET", path, nil); resp.StatusCode != 200 || !strings.Contains(body, "lead@desk.example") {
			t.Errorf("GET %s signed in = %d, want 200 naming the agent", path, resp.StatusCode)
		}
	}
	for _, c := range []struct {
		path string
		code int
	}{{"/tickets/999", 404}, {"/nowhere", 404}, {"/reports?from=yesterday", 400}, {"/static/style.css", 200}} {
		if resp, _ := s.do("GET", c.path, nil); resp.StatusCode != c.code {
			t.Errorf("GET %s = %d, want %d", c.path, resp.StatusCode, c.code)
		}
	}
	// A form posted from another site is refused.
	req, _ := http.NewRequest("POST", s.srv.URL+"/signout", nil)
	req.Header.Set("Sec-Fetch-Site", "cross-site")
	if resp, err := s.c.Do(req); err != nil || resp.StatusCode != http.StatusForbidden {
		t.Errorf("cross-site POST /signout = %v %v, want 403", resp, err)
	}
	if resp, _ := s.do("POST", "/signout", url.Values{}); resp.StatusCode != http.StatusSeeOther {
		t.Errorf("POST /signout = %d, want 303", resp.StatusCode)
	}
	if resp, _ := s.do("GET", "/tickets", nil); resp.StatusCode != http.StatusSeeOther {
		t.Errorf("GET /tickets after signing out = %d, want 303 to sign in", resp.StatusCode)
	}
}

func TestCookieNotSecureOverHTTP(t *testing.T) {
	t.Parallel()
	s := newSite(t, false)
	for _, c := range s.signIn().Cookies() {
		if c.Name == "deskgate_session" && c.Secure {
			t.Errorf("session cookie is Secure with an http public URL")
		}
	}
}

// hostileHTML tries everything mail HTML may try: scripts, event handlers,
// javascript: links, remote images and stylesheets, CSS tricks, frames,
// forms, meta refresh and base.
const hostileHTML = `<html><head><meta http-equiv="refresh" content="0;url=https://evil.example/r">
<base href="https://evil.example/"><link rel="stylesheet" href="https://evil.example/s.css">
<style>body{background:url(https://evil.example/bg.png)} .x{behavior:expression(alert(1))}</style>
<script>alert('script')</script></head>
<body onload="alert('onload')"><p>Hello <b>there</b></p>
<img src="https://evil.example/pixel.gif" onerror="alert('onerror')">
<a href="javascript:alert('link')">click</a>
<a href="https://example.com/ok">fine link</a>
<div style="position:fixed;top:0;background-image:url(https://evil.example/css.png)">overlay</div>
<iframe src="https://evil.example/frame"></iframe><object data="https://evil.example/o"></object>
<form action="https://evil.example/f"><input name=p></form>
<svg><script>alert('svg')</script><image href="https://evil.example/svg.png"/></svg>
</body></html>`

func TestTicketPageShowsMailHTMLSafely(t *testing.T) {
	t.Parallel()
	s := newSite(t, false)
	ctx := context.Background()
	for _, q := range []string{
		`INSERT INTO tickets (id, subject, requester_addr, received_at, status) VALUES (1, 'hostile', 'x@example.com', now(), 'open')`,
		`INSERT INTO messages (id, ticket_id, direction, from_addr, html_body, text_body, search) VALUES (1, 1, 'in', 'x@example.com', $1, 'Hello there', '')`,
		`INSERT INTO blobs (sha256, size, data) VALUES (sha256('MZ'), 2, 'MZ')`,
		`INSERT INTO attachments (message_id, filename, content_type, size, sha256) VALUES (1, 'run me.exe', 'text/html', 2, sha256('MZ'))`,
	} {
		var args []any
		if strings.Contains(q, "$1") {
			args = append(args, hostileHTML)
		}
		if _, err := s.pool.Exec(ctx, q, args...); err != nil {
			t.Fatal(err)
		}
	}
	s.signIn()
	resp, body := s.do("GET", "/tickets/1", nil)
	if resp.StatusCode != 200 {
		t.Fatalf("GET /tickets/1 = %d", resp.StatusCode)
	}
	frame := regexp.MustCompile(`<iframe sandbox="" [^>]*srcdoc="([^"]*)"`).FindStringSubmatch(body)
	if frame == nil {
		t.Fatalf("GET /tickets/1 has no sandboxed frame: %s", body)
	}
	for _, bad := range []string{"evil.example", "alert", "javascript", "onerror", "onload", "expression", "script", "style", "refresh"} {
		if strings.Contains(strings.ToLower(frame[1]), bad) {
			t.Errorf("the frame's srcdoc keeps %q: %s", bad, frame[1])
		}
	}
	if !strings.Contains(frame[1], "Hello") || !strings.Contains(frame[1], "fine link") {
		t.Errorf("the frame's srcdoc lost the message: %s", frame[1])
	}
	link := regexp.MustCompile(`href="(/tickets/1/files/[0-9a-f]+)"`).FindStringSubmatch(body)
	if link == nil {
		t.Fatalf("GET /tickets/1 links no attachment: %s", body)
	}
	resp, got := s.do("GET", link[1], nil)
	if resp.StatusCode != 200 || got != "MZ" || resp.Header.Get("Content-Disposition") != `attachment; filename="run me.exe"` ||
		resp.Header.Get("Content-Type") != "application/octet-stream" {
		t.Errorf("GET %s = %d %q %v, want the bytes as an attachment download", link[1], resp.StatusCode, got, resp.Header)
	}
}

func TestSignInLinksPerHour(t *testing.T) {
	t.Parallel()
	s := newSite(t, false)
	for range 7 {
		if resp, _ := s.do("POST", "/signin", url.Values{"email": {"lead@desk.example"}}); resp.StatusCode != 200 {
			t.Fatalf("POST /signin = %d", resp.StatusCode)
		}
	}
	var n int
	if err := s.pool.QueryRow(context.Background(), `SELECT count(*) FROM outbox WHERE event = 'dashboard.signin'`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	if n != 5 {
		t.Errorf("seven requests in an hour queued %d sign-in mails, want 5", n)
	}
}

// TestReportsDefaultPeriod: the reports page without from and to covers
// the period deskgate report and the API's reports default to
// (report.Desk.Defaults: a week ending today), and keeps a period asked for.
func TestReportsDefaultPeriod(t *testing.T) {
	t.Parallel()
	s := newSite(t, false)
	s.signIn()
	desk := report.Desk{Calendar: sla.Always()}
	period := regexp.MustCompile(`(?s)name="from" type="date" value="([0-9-]*)".*name="to" type="date" value="([0-9-]*)"`)
	for _, c := range []struct{ path, from, to string }{
		{"/reports", "", ""}, // the defaults, at the moment of the request
		{"/reports?from=2026-01-01&to=2026-01-31", "2026-01-01", "2026-01-31"},
		{"/reports?to=2026-01-31", "2026-01-25", "2026-01-31"},
	} {
		before := desk.Defaults(report.Query{})
		resp, body := s.do("GET", c.path, nil)
		after := desk.Defaults(report.Query{})
		m := period.FindStringSubmatch(body)
		if resp.StatusCode != 200 || m == nil {
			t.Fatalf("GET %s = %d without the period's fields: %s", c.path, resp.StatusCode, body)
		}
		got := m[1] + " to " + m[2]
		if c.from != "" {
			if want := c.from + " to " + c.to; got != want {
				t.Errorf("GET %s: period %s, want %s", c.path, got, want)
			}
		} else if got != before.From+" to "+before.To && got != after.From+" to "+after.To {
			t.Errorf("GET %s: period %s, want report.Desk.Defaults's %s to %s", c.path, got, after.From, after.To)
		}
	}
}
