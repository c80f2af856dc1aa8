package api_test

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/deskgate/deskgate/api"
	"github.com/deskgate/deskgate/ticketing"
)

type page struct {
	Items      []ticketing.TicketSummary `json:"items"`
	NextCursor *string                   `json:"next_cursor"`
}

func numbers(p page) []int64 {
	var out []int64
	for _, t := range p.Items {
		out = append(out, t.Number)
	}
	return out
}

func TestSpecServedWithoutToken(t *testing.T) {
	t.Parallel()
	r := newRig(t, 0)
	var spec map[string]any
	r.want(http.StatusOK, "", "GET", "/openapi.json", nil, &spec)
	if spec["openapi"] != "3.0.3" {
		t.Errorf("openapi.json: openapi = %v, want 3.0.3", spec["openapi"])
	}
}

func TestTokens(t *testing.T) {
	t.Parallel()
	r := newRig(t, 0)
	ctx := context.Background()
	r.mail("support", "asa@example.se", "VPN down", "It does not connect.")
	r.wantProblem(http.StatusUnauthorized, "unauthorized", "", "GET", "/tickets", nil)
	r.wantProblem(http.StatusUnauthorized, "unauthorized", "dg_nonsense", "GET", "/tickets", nil)
	read := r.token("ada@desk.example", api.ScopeRead, 0)
	r.want(http.StatusOK, read, "GET", "/tickets", nil, nil)
	p := r.wantProblem(http.StatusForbidden, "scope", read, "PATCH", "/tickets/1", map[string]any{"priority": "High"})
	if p.Detail == "" {
		t.Error("a read token's PATCH: no detail")
	}
	expired := r.token("ada@desk.example", api.ScopeRead, time.Hour)
	if _, err := r.pool.Exec(ctx, `UPDATE api_tokens SET expires_at = now() - interval '1 second' WHERE agent = $1 AND expires_at IS NOT NULL`,
		"ada@desk.example"); err != nil {
		t.Fatal(err)
	}
	r.wantProblem(http.StatusUnauthorized, "unauthorized", expired, "GET", "/tickets", nil)
	ts, err := api.ListTokens(ctx, r.pool)
	if err != nil || len(ts) != 2 {
		t.Fatalf("ListTokens = %v, %v; want 2", ts, err)
	}
	if ts[0].LastUsedAt == nil {
		t.Error("a used token has no last_used_at")
	}
	if err := api.RevokeToken(ctx, r.pool, ts[0].ID); err != nil {
		t.Fatal(err)
	}
	r.wantProblem(http.StatusUnauthorized, "unauthorized", read, "GET", "/tickets", nil)
	if _, _, err := api.CreateToken(ctx, r.pool, "ada@desk.example", "admin", 0); err == nil {
		t.Error("CreateToken(scope admin) = nil error")
	}
}

func TestRateLimitPerToken(t *testing.T) {
	t.Parallel()
	r := newRig(t, 3)
	a, b := r.token("ada@desk.example", api.ScopeRead, 0), r.token("bo@desk.example", api.ScopeRead, 0)
	for range 3 {
		r.want(http.StatusOK, a, "GET", "/tickets", nil, nil)
	}
	r.wantProblem(http.StatusTooManyRequests, "rate-limited", a, "GET", "/tickets", nil)
	r.want(http.StatusOK, b, "GET", "/tickets", nil, nil) // another token has its own
}

func TestListTickets(t *testing.T) {
	t.Parallel()
	r := newRig(t, 0)
	for i := range 5 {
		r.mail("support", fmt.Sprintf("user%d@example.se", i), fmt.Sprintf("Request %d", i), "Please help.")
	}
	net := r.mail("network", "ops@example.se", "Switch down", "The switch on floor 2 is dark.")
	tok := r.token("ada@desk.example", api.ScopeWrite, 0)
	var p page
	r.want(http.StatusOK, tok, "GET", "/tickets?limit=2", nil, &p)
	if got := numbers(p); !slices.Equal(got, []int64{net, net - 1}) || p.NextCursor == nil {
		t.Fatalf("first page = %v (next %v), want [%d %d] and a cursor", got, p.NextCursor, net, net-1)
	}
	var all []int64
	all = append(all, numbers(p)...)
	for p.NextCursor != nil {
		next := *p.NextCursor
		p = page{}
		r.want(http.StatusOK, tok, "GET", "/tickets?limit=2&cursor="+next, nil, &p)
		all = append(all, numbers(p)...)
	}
	if len(all) != 6 || all[5] != 1 {
		t.Errorf("paged through %v, want the 6 tickets newest first", all)
	}
	p = page{}
	r.want(http.StatusOK, tok, "GET", "/tickets?team=network", nil, &p)
	if got := numbers(p); !slices.Equal(got, []int64{net}) {
		t.Errorf("team=network = %v, want [%d]", got, net)
	}
	p = page{}
	r.want(http.StatusOK, tok, "GET", "/tickets?requester=USER3@example.se&sort=number", nil, &p)
	if got := numbers(p); len(got) != 1 || p.Items[0].Requester.Address != "user3@example.se" {
		t.Errorf("requester=user3 = %v", p.Items)
	}
	r.want(http.StatusOK, tok, "PATCH", "/tickets/2", map[string]any{"assignee": "me", "add_tags": []string{"vip"}}, nil)
	for q, want := range map[string][]int64{"assignee=ada@desk.example": {2}, "tag=vip": {2}, "assignee=none&team=support": {5, 4, 3, 1},
		"sort=number&limit=1": {1}, "created_before=2000-01-01T00:00:00Z": nil} {
		p = page{}
		r.want(http.StatusOK, tok, "GET", "/tickets?"+q, nil, &p)
		if got := numbers(p); !slices.Equal(got, want) {
			t.Errorf("GET /tickets?%s = %v, want %v", q, got, want)
		}
	}
	bad := r.wantProblem(http.StatusUnprocessableEntity, "invalid", tok, "GET", "/tickets?limit=many", nil)
	if len(bad.Errors) != 1 || bad.Errors[0].Field != "limit" {
		t.Errorf("limit=many: errors %+v, want the field limit", bad.Errors)
	}
	bad = r.wantProblem(http.StatusUnprocessableEntity, "invalid", tok, "GET", "/tickets?cursor=xyz", nil)
	if len(bad.Errors) != 1 || bad.Errors[0].Field != "cursor" {
		t.Errorf("cursor=xyz: errors %+v, want the field cursor", bad.Errors)
	}
	// PostgreSQL runs out of stack on a phrase of 20,000 words: a query
	// that long is refused, not a 500
	bad = r.wantProblem(http.StatusUnprocessableEntity, "invalid", tok, "GET", "/tickets?q="+strings.Repeat("a.", 20000), nil)
	if len(bad.Errors) != 1 || bad.Errors[0].Field != "q" {
		t.Errorf("q of 40,000 characters: errors %+v, want the field q", bad.Errors)
	}
}

func TestGetTicket(t *testing.T) {
	t.Parallel()
	r := newRig(t, 0)
	n := r.mail("support", "asa@example.se", "Skrivaren", "Skrivaren på plan 3 fungerar inte.",
		ticketing.Attachment{Filename: "bild\r\n.png", ContentType: "image/png", Data: []byte("\x89PNG fake")})
	tok := r.token("cy@desk.example", api.ScopeRead, 0) // reading is not limited to one's teams
	var tk ticketing.Ticket
	r.want(http.StatusOK, tok, "GET", fmt.Sprintf("/tickets/%d", n), nil, &tk)
	if tk.Number != n || tk.Team != "support" || len(tk.Thread) != 1 || len(tk.Participants) != 1 || len(tk.Clocks) == 0 || len(tk.Events) == 0 {
		t.Fatalf("ticket %d = %+v", n, tk)
	}
	for _, c := range tk.Clocks {
		if c.Running && !strings.Contains(c.Explanation, "due") {
			t.Errorf("running clock %s explained as %q", c.Kind, c.Explanation)
		}
	}
	r.wantProblem(http.StatusNotFound, "not-found", tok, "GET", "/tickets/999", nil)
	// The attachment, by its id, with its type and a safe name.
	att := tk.Thread[0].Attachments[0]
	code, h, body := r.do(tok, "GET", fmt.Sprintf("/attachments/%d", att.ID), nil)
	if code != http.StatusOK || string(body) != "\x89PNG fake" || h.Get("Content-Type") != "image/png" ||
		h.Get("Content-Disposition") != `attachment; filename=bild__.png` || h.Get("X-Content-Type-Options") != "nosniff" {
		t.Errorf("GET attachment = %d %q %v", code, body, h)
	}
	r.wantProblem(http.StatusNotFound, "not-found", tok, "GET", "/attachments/999", nil)
}

func TestChangeTicket(t *testing.T) {
	t.Parallel()
	r := newRig(t, 0)
	n := r.mail("support", "asa@example.se", "VPN down", "It does not connect.")
	other := r.mail("network", "ops@example.se", "Switch down", "Dark.")
	ada := r.token("ada@desk.example", api.ScopeWrite, 0)
	path := fmt.Sprintf("/tickets/%d", n)

	var tk ticketing.Ticket
	r.want(http.StatusOK, ada, "PATCH", path, map[string]any{"status": "open", "priority": "High", "category": "", "assignee": "bo@desk.example",
		"why": "monitoring saw it"}, &tk)
	if !slices.ContainsFunc(tk.Events, func(e ticketing.Event) bool {
		return e.Kind == "status.changed" && e.Actor == "ada@desk.example" && strings.Contains(string(e.Detail), "monitoring saw it")
	}) {
		t.Errorf("no status.changed by ada for the reason given: %v", tk.Events)
	}
	if tk.Status != "open" || tk.Priority != "High" || tk.Assignee != "bo@desk.example" {
		t.Errorf("after PATCH: status %s priority %s assignee %s", tk.Status, tk.Priority, tk.Assignee)
	}
	if !slices.ContainsFunc(tk.Events, func(e ticketing.Event) bool { return e.Kind == "fields.changed" && e.Actor == "ada@desk.example" }) {
		t.Errorf("no fields.changed event by ada: %v", tk.Events)
	}
	// A tag fires the ticket.updated rule, which resolves the ticket and
	// queues the status mail to the requester.
	r.want(http.StatusOK, ada, "PATCH", path, map[string]any{"add_tags": []string{"fixed"}}, &tk)
	if tk.Status != "resolved" {
		t.Fatalf("after tagging fixed: status %s, want resolved by the rule", tk.Status)
	}
	if !slices.ContainsFunc(tk.Notifications, func(n ticketing.Notice) bool {
		return n.Event == "status-resolved" && n.To == "asa@example.se"
	}) {
		t.Errorf("no status mail queued for the requester: %+v", tk.Notifications)
	}
	// 422 names every refused field; nothing changes.
	p := r.wantProblem(http.StatusUnprocessableEntity, "invalid", ada, "PATCH", path,
		map[string]any{"priority": "Whenever", "assignee": "nobody@example.com"})
	var fields []string
	for _, e := range p.Errors {
		fields = append(fields, e.Field)
	}
	if !slices.Equal(fields, []string{"priority", "assignee"}) {
		t.Errorf("422 fields = %v, want [priority assignee]", fields)
	}
	r.wantProblem(http.StatusUnprocessableEntity, "invalid", ada, "PATCH", path, map[string]any{})
	// 403 across teams; 404; 409 on a lifecycle the table forbids.
	r.wantProblem(http.StatusForbidden, "forbidden", ada, "PATCH", fmt.Sprintf("/tickets/%d", other), map[string]any{"priority": "Low"})
	r.wantProblem(http.StatusNotFound, "not-found", ada, "PATCH", "/tickets/999", map[string]any{"priority": "Low"})
	r.want(http.StatusOK, ada, "PATCH", path, map[string]any{"status": "closed"}, nil)
	r.wantProblem(http.StatusConflict, "transition", ada, "PATCH", path, map[string]any{"status": "open"})
	// A token of someone no longer an agent acts for nobody.
	gone := r.token("left@desk.example", api.ScopeWrite, 0)
	r.wantProblem(http.StatusForbidden, "forbidden", gone, "PATCH", path, map[string]any{"priority": "Low"})
}

func TestReplyNoteMerge(t *testing.T) {
	t.Parallel()
	r := newRig(t, 0)
	n := r.mail("support", "asa@example.se", "VPN down", "It does not connect.")
	dup := r.mail("support", "asa@example.se", "VPN still down", "Again.")
	ada := r.token("ada@desk.example", api.ScopeWrite, 0)

	var posted struct{ Message int64 }
	r.want(http.StatusCreated, ada, "POST", fmt.Sprintf("/tickets/%d/reply", n), map[string]any{"text": "Restart the client, please.",
		"attachments": []map[string]any{{"filename": "steps.txt", "content_type": "text/plain", "content": []byte("1. quit\n2. start\n")}}}, &posted)
	r.want(http.StatusCreated, ada, "POST", fmt.Sprintf("/tickets/%d/notes", n), map[string]any{"text": "Known issue with 5.2"}, nil)
	var tk ticketing.Ticket
	r.want(http.StatusOK, ada, "GET", fmt.Sprintf("/tickets/%d", n), nil, &tk)
	if len(tk.Thread) != 3 {
		t.Fatalf("thread has %d messages, want 3", len(tk.Thread))
	}
	reply, note := tk.Thread[1], tk.Thread[2]
	if reply.ID != posted.Message || reply.Agent != "ada@desk.example" || reply.Visibility != "public" || len(reply.Attachments) != 1 {
		t.Errorf("reply = %+v", reply)
	}
	if note.Visibility != "internal" || note.Agent != "ada@desk.example" {
		t.Errorf("note = %+v", note)
	}
	var relayed []ticketing.Notice
	for _, no := range tk.Notifications {
		if no.Event == "agent-reply" {
			relayed = append(relayed, no)
		}
	}
	if len(relayed) != 1 || relayed[0].To != "asa@example.se" {
		t.Fatalf("relayed = %+v, want one agent-reply to the requester", relayed)
	}
	var inReplyTo string
	var refs []string
	var files int
	if err := r.pool.QueryRow(context.Background(), `SELECT in_reply_to, refs, cardinality(attachment_ids) FROM outbox WHERE id = $1`,
		relayed[0].ID).Scan(&inReplyTo, &refs, &files); err != nil {
		t.Fatal(err)
	}
	if inReplyTo == "" || len(refs) == 0 || files != 1 {
		t.Errorf("relayed reply: In-Reply-To %q, References %v, %d files; want it threaded with its file", inReplyTo, refs, files)
	}
	for _, c := range tk.Clocks {
		if c.Kind == "response" && c.Stopped == nil {
			t.Errorf("response clock still running after the reply: %+v", c)
		}
	}
	r.wantProblem(http.StatusUnprocessableEntity, "invalid", ada, "POST", fmt.Sprintf("/tickets/%d/notes", n), map[string]any{"text": " "})

	r.want(http.StatusOK, ada, "POST", fmt.Sprintf("/tickets/%d/merge", dup), map[string]any{"into": n}, &tk)
	if tk.Number != n || len(tk.Thread) != 4 {
		t.Errorf("after merge: ticket %d with %d messages, want %d with 4", tk.Number, len(tk.Thread), n)
	}
	r.wantProblem(http.StatusConflict, "merge", ada, "POST", fmt.Sprintf("/tickets/%d/merge", dup), map[string]any{"into": n})
	cy := r.token("cy@desk.example", api.ScopeWrite, 0)
	r.wantProblem(http.StatusForbidden, "forbidden", cy, "POST", fmt.Sprintf("/tickets/%d/reply", n), map[string]any{"text": "hi"})
}

func TestSearch(t *testing.T) {
	t.Parallel()
	r := newRig(t, 0)
	en := r.mail("support", "a@example.com", "Printer jammed", "The printer on the third floor is jammed again.")
	sv := r.mail("support", "b@example.se", "Skrivaren", "Skrivaren på plan 3 fungerar inte, pappret fastnar. Ärendet är brådskande.")
	zh := r.mail("support", "c@example.cn", "打印机故障", "三楼的打印机又卡纸了，请尽快处理。")
	ja := r.mail("support", "e@example.jp", "プリンター", "プリンターが動きません。")
	ko := r.mail("support", "f@example.kr", "프린터", "프린터가 고장났어요.")
	r.mail("support", "d@example.com", "VPN", "Nothing to see.")
	// The most a message can put in the index (100,000 characters, all
	// pairs distinct) is stored all the same.
	var huge strings.Builder
	for i := range 100_000 {
		huge.WriteRune(rune(0x3400 + (i*7919)%6592)) // extension A: none of the queries below
	}
	r.mail("support", "g@example.cn", "㐀", huge.String())
	tok := r.token("ada@desk.example", api.ScopeRead, 0)
	for q, want := range map[string][]int64{"printer": {en}, "JAMMED": {en}, "third floor": {en}, "printer' & floor": {en}, "fungerar": {sv}, "pappret": {sv}, "ärendet": {sv}, "BRÅDSKANDE": {sv},
		"打印": {zh}, "卡纸": {zh}, "打印机故障": {zh}, "机": {zh}, "纸了，请": {zh}, "打纸": nil, "動きません": {ja},
		"프린터": {ko}, "nowhere": nil} {
		var p page
		r.want(http.StatusOK, tok, "GET", "/tickets?q="+urlQuery(q), nil, &p)
		if got := numbers(p); !slices.Equal(got, want) {
			t.Errorf("q=%s = %v, want %v", q, got, want)
		}
	}
}
