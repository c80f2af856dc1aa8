package api_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/deskgate/deskgate/api"
	"github.com/deskgate/deskgate/internal/dbtest"
	"github.com/deskgate/deskgate/templates"
	"github.com/deskgate/deskgate/ticketing"
	"github.com/deskgate/deskgate/ticketing/rules"
	"github.com/deskgate/deskgate/ticketing/sla"
	"github.com/deskgate/deskgate/ticketing/token"
)

func TestMain(m *testing.M) { os.Exit(dbtest.Main(m)) }

var quiet = slog.New(slog.DiscardHandler)

// desk is a desk with the teams support (Ada, Bo) and network (Cy), a
// priority matrix, and a ticket.updated rule that resolves a ticket
// tagged "fixed".
func desk(t testing.TB) *ticketing.Desk {
	t.Helper()
	tpl, err := templates.Load("")
	if err != nil {
		t.Fatal(err)
	}
	keys, err := token.NewKeys(1, map[byte][]byte{1: []byte("a secret of the api tests, 32 bytes or more")})
	if err != nil {
		t.Fatal(err)
	}
	set, err := rules.Compile([]rules.Rule{{Name: "fixed resolves", On: rules.OnUpdated,
		When: `"fixed" in ticket.tags && ticket.status != "resolved"`, Then: rules.Then{Status: "resolved"}}}, rules.Options{})
	if err != nil {
		t.Fatal(err)
	}
	targets := map[string]ticketing.Targets{}
	for p, tg := range rules.DefaultTargets() {
		targets[p] = ticketing.Targets{Response: tg.Response, Resolution: tg.Resolution}
	}
	ev := func(to ...string) ticketing.EventRule { return ticketing.EventRule{Enabled: true, To: to} }
	return ticketing.NewDesk(quiet, ticketing.Config{
		DeskAddresses: []string{"help@desk.example"}, Domain: "desk.example", Tokens: keys,
		Notify: ticketing.NotifyConfig{Templates: tpl, DeskName: "Desk", Language: "en",
			Events: map[string]ticketing.EventRule{templates.AgentReply: ev("requester", "cc"),
				templates.StatusPending: ev("requester"), templates.StatusResolved: ev("requester")},
			Agents: []ticketing.Agent{
				{Name: "Ada", Addresses: []string{"ada@desk.example"}, Teams: []string{"support"}, Role: "lead"}, // may reassign (Permit)
				{Name: "Bo", Addresses: []string{"bo@desk.example"}, Teams: []string{"support"}},
				{Name: "Cy", Addresses: []string{"cy@desk.example"}, Teams: []string{"network"}},
				{Name: "Maja", Addresses: []string{"maja@desk.example"}, Teams: []string{"support"}}},
			Teams: []ticketing.Team{{Name: "support"}, {Name: "network"}}},
		Policy: ticketing.PolicyConfig{Rules: set, Matrix: rules.DefaultMatrix(), DefaultImpact: "Low", DefaultUrgency: "Normal",
			Policies:      map[string]ticketing.SLAPolicy{"standard": {Name: "standard", Calendar: sla.Always(), Targets: targets}},
			DefaultPolicy: "standard"},
	})
}

// rig is an API server over real HTTP on a fresh database.
type rig struct {
	t    *testing.T
	pool *pgxpool.Pool
	desk *ticketing.Desk
	srv  *httptest.Server
	uid  int
}

func newRig(t *testing.T, perMinute int) *rig {
	t.Helper()
	return newRigWith(t, api.Options{PerMinute: perMinute})
}

// newRigWith is newRig with o's reports' desk, clock and rate limit.
func newRigWith(t *testing.T, o api.Options) *rig {
	t.Helper()
	r := &rig{t: t, pool: dbtest.Pool(t), desk: desk(t)}
	o.DB, o.Desk, o.Log = r.pool, func() *ticketing.Desk { return r.desk }, quiet
	h, err := api.New(o)
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	mux.Handle(api.Prefix+"/", h)
	r.srv = httptest.NewServer(mux)
	t.Cleanup(r.srv.Close)
	return r
}

// token makes a token for agent with scope.
func (r *rig) token(agent, scope string, expires time.Duration) string {
	r.t.Helper()
	_, secret, err := api.CreateToken(context.Background(), r.pool, agent, scope, expires)
	if err != nil {
		r.t.Fatal(err)
	}
	return secret
}

// mail opens (or continues) a ticket with a message as mailin would.
func (r *rig) mail(mailbox, from, subject, text string, files ...ticketing.Attachment) int64 {
	r.t.Helper()
	ctx := context.Background()
	r.uid++
	if _, err := r.pool.Exec(ctx, `INSERT INTO mailboxes (name) VALUES ($1) ON CONFLICT DO NOTHING`, mailbox); err != nil {
		r.t.Fatal(err)
	}
	var capture int64
	raw := []byte("From: " + from + "\r\nSubject: " + subject + "\r\n\r\n" + text + "\r\n")
	if err := r.pool.QueryRow(ctx, `INSERT INTO inbound (mailbox, uidvalidity, uid, sha256, size, raw)
		VALUES ($1, 1, $2, sha256($3::bytea), length($3::bytea), $3::bytea) RETURNING id`, mailbox, r.uid, raw).Scan(&capture); err != nil {
		r.t.Fatal(err)
	}
	in := ticketing.Inbound{CaptureID: capture, Mailbox: mailbox, Queue: mailbox,
		MessageID: time.Now().Format("20060102150405.000000000") + "@example.se", From: ticketing.Address{Address: from},
		To: []ticketing.Address{{Address: "help@desk.example"}}, Subject: subject, Date: time.Now(),
		Text: text, Class: ticketing.ClassHuman, Attachments: files}
	var out []ticketing.Outcome
	err := pgx.BeginFunc(ctx, r.pool, func(tx pgx.Tx) error {
		var err error
		out, err = r.desk.Receive(ctx, tx, []ticketing.Inbound{in})
		return err
	})
	if err != nil {
		r.t.Fatal(err)
	}
	if _, err := r.pool.Exec(ctx, `UPDATE inbound SET status = $2, ticket_id = $3 WHERE id = $1`, capture, out[0].Status, out[0].TicketID); err != nil {
		r.t.Fatal(err)
	}
	return out[0].TicketID
}

// do sends a request with token tok (none when "") and body (JSON-encoded
// unless it is []byte), and returns the status and the body.
func (r *rig) do(tok, method, path string, body any) (int, http.Header, []byte) {
	r.t.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case []byte:
		rd = bytes.NewReader(b)
	default:
		enc, err := json.Marshal(b)
		if err != nil {
			r.t.Fatal(err)
		}
		rd = bytes.NewReader(enc)
	}
	req, err := http.NewRequest(method, r.srv.URL+api.Prefix+path, rd)
	if err != nil {
		r.t.Fatal(err)
	}
	if tok != "" {
		req.Header.Set("Authorization", "Bearer "+tok)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		r.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		r.t.Fatal(err)
	}
	return resp.StatusCode, resp.Header, b
}

// want checks a request's status and decodes its JSON body into v.
func (r *rig) want(status int, tok, method, path string, body, v any) http.Header {
	r.t.Helper()
	got, h, b := r.do(tok, method, path, body)
	if got != status {
		r.t.Fatalf("%s %s = %d %s, want %d", method, path, got, b, status)
	}
	if v != nil {
		if err := json.Unmarshal(b, v); err != nil {
			r.t.Fatalf("%s %s: %v in %s", method, path, err, b)
		}
	}
	return h
}

// problem is an RFC 9457 problem as the API sends it.
type problem struct {
	Type   string `json:"type"`
	Title  string `json:"title"`
	Status int    `json:"status"`
	Detail string `json:"detail"`
	Errors []struct {
		Field   string `json:"field"`
		Message string `json:"message"`
	} `json:"errors"`
}

// wantProblem checks that a request fails with status and problem name.
func (r *rig) wantProblem(status int, name, tok, method, path string, body any) problem {
	r.t.Helper()
	var p problem
	h := r.want(status, tok, method, path, body, &p)
	if ct := h.Get("Content-Type"); ct != "application/problem+json" {
		r.t.Errorf("%s %s: Content-Type %q, want application/problem+json", method, path, ct)
	}
	if p.Type != "https://deskgate.dev/problems/"+name || p.Status != status {
		r.t.Errorf("%s %s = %+v, want type %s and status %d", method, path, p, name, status)
	}
	return p
}
