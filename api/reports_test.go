package api_test

import (
	"context"
	"encoding/json"
	"net/http"
	"reflect"
	"testing"
	"time"

	"github.com/deskgate/deskgate/api"
	"github.com/deskgate/deskgate/ticketing/report"
	"github.com/deskgate/deskgate/ticketing/sla"
)

// office is a desk working Monday to Friday, 09:00-17:00 in Stockholm
// (UTC+1 in winter).
func office(t testing.TB) *sla.Calendar {
	t.Helper()
	span, err := sla.ParseSpan("09:00-17:00")
	if err != nil {
		t.Fatal(err)
	}
	hours := map[time.Weekday][]sla.Span{}
	for wd := time.Monday; wd <= time.Friday; wd++ {
		hours[wd] = []sla.Span{span}
	}
	cal, err := sla.New(sla.Spec{Name: "office", TimeZone: "Europe/Stockholm", Hours: hours})
	if err != nil {
		t.Fatal(err)
	}
	return cal
}

// reportRig is a server whose reports count on the office calendar, at
// Wednesday 7 January 2026, 15:00 in Stockholm, over this week's history
// (local times):
//
//	#4 support, new: Mon 5 Jan 00:30 (Sun 23:30 UTC: in the week only in Stockholm's time zone)
//	#1 support, resolved: Mon 16:00; answered by ada@ Tue 10:00 (2 business hours, within 4h),
//	   resolved by ada@ Tue 15:00 (7 business hours, within 16h)
//	#2 network, open: Wed 09:00; answered by cy@ Wed 12:00 (3h > 2h: breached); resolution due Wed 17:00
//	#3 support, new: Sat 10 Jan 12:00, after the backlog's instant
func reportRig(t *testing.T) (*rig, time.Time) {
	t.Helper()
	cal := office(t)
	at := func(local string) time.Time {
		v, err := time.ParseInLocation("2006-01-02 15:04", local, cal.Location())
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	now := at("2026-01-07 15:00")
	r := newRigWith(t, api.Options{Report: func() report.Desk { return report.Desk{Calendar: cal} }, Now: func() time.Time { return now }})
	exec := func(sql string, args ...any) {
		t.Helper()
		if _, err := r.pool.Exec(context.Background(), sql, args...); err != nil {
			t.Fatalf("seed %s: %v", sql, err)
		}
	}
	ticket := func(id int64, created, team, status string) {
		exec(`INSERT INTO tickets (id, subject, requester_addr, status, queue, received_at, created_at, team)
			VALUES ($1, 'ticket', 'asa@example.se', $2, 'support', $3, $3, $4)`, id, status, at(created), team)
	}
	clock := func(id int64, kind string, target, elapsed time.Duration, started, stopped, deadline string, breached bool) {
		var stop, due, breach any
		if stopped != "" {
			stop = at(stopped)
		}
		if deadline != "" {
			due = at(deadline)
		}
		if breached {
			breach = at(started)
		}
		exec(`INSERT INTO sla_clocks (ticket_id, kind, calendar, target, started, elapsed, running, stopped, deadline, breached_at)
			VALUES ($1, $2, 'office', $3, $4, $5, $6, $7, $8, $9)`, id, kind, int64(target.Seconds()), at(started),
			int64(elapsed.Seconds()), stopped == "", stop, due, breach)
	}
	reply := func(id int64, when, agent string) {
		exec(`INSERT INTO messages (ticket_id, direction, from_addr, created_at, agent, visibility, search)
			VALUES ($1, 'in', $2, $3, $2, 'public', '')`, id, agent, at(when))
	}
	h := time.Hour
	ticket(4, "2026-01-05 00:30", "support", "new")
	ticket(1, "2026-01-05 16:00", "support", "resolved")
	clock(1, "response", 4*h, 2*h, "2026-01-05 16:00", "2026-01-06 10:00", "", false)
	clock(1, "resolution", 16*h, 7*h, "2026-01-05 16:00", "2026-01-06 15:00", "", false)
	reply(1, "2026-01-06 10:00", "ada@desk.example")
	exec(`INSERT INTO events (ticket_id, at, actor, kind, detail) VALUES (1, $1, 'ada@desk.example', 'status.changed',
		'{"from": "open", "to": "resolved"}')`, at("2026-01-06 15:00"))
	ticket(2, "2026-01-07 09:00", "network", "open")
	clock(2, "response", 2*h, 3*h, "2026-01-07 09:00", "2026-01-07 12:00", "", true)
	clock(2, "resolution", 8*h, 6*h, "2026-01-07 09:00", "", "2026-01-07 17:00", false)
	reply(2, "2026-01-07 12:00", "cy@desk.example")
	ticket(3, "2026-01-10 12:00", "support", "new")
	return r, now
}

func f(v float64) *float64 { return &v }

// TestReports: each report answers 200 with the figures of the seeded week,
// counted on the server's calendar and clock, for a read token.
func TestReports(t *testing.T) {
	t.Parallel()
	r, now := reportRig(t)
	tok := r.token("bo@desk.example", api.ScopeRead, 0)

	var s report.SLA
	r.want(http.StatusOK, tok, "GET", "/reports/sla?from=2026-01-05&to=2026-01-11&by=team", nil, &s)
	wantSLA := report.SLA{From: "2026-01-05", To: "2026-01-11", By: "team", Groups: []report.SLAGroup{
		{Group: "network", Tickets: 1, FirstResponseMedian: f(3), FirstResponseP90: f(3), RespondedWithinTarget: f(0),
			Breaches: report.Breaches{Response: 1}},
		{Group: "support", Tickets: 3, FirstResponseMedian: f(2), FirstResponseP90: f(2), RespondedWithinTarget: f(100),
			ResolvedWithinTarget: f(100)},
	}, Total: report.SLAGroup{Tickets: 4, FirstResponseMedian: f(2.5), FirstResponseP90: f(2.9), RespondedWithinTarget: f(50),
		ResolvedWithinTarget: f(100), Breaches: report.Breaches{Response: 1}}}
	if !reflect.DeepEqual(s, wantSLA) {
		t.Errorf("GET /reports/sla = %s, want %s", jsonOf(s), jsonOf(wantSLA))
	}

	var v report.Volume
	r.want(http.StatusOK, tok, "GET", "/reports/volume?from=2026-01-05&to=2026-01-11", nil, &v)
	opened, replies := map[string]int{}, map[string]int{}
	for _, d := range v.Days {
		opened[d.Date], replies[d.Date] = d.Opened, d.AgentReplies
	}
	if len(v.Days) != 7 || !reflect.DeepEqual(opened, map[string]int{"2026-01-05": 2, "2026-01-06": 0, "2026-01-07": 1,
		"2026-01-08": 0, "2026-01-09": 0, "2026-01-10": 1, "2026-01-11": 0}) ||
		replies["2026-01-06"] != 1 || replies["2026-01-07"] != 1 {
		t.Errorf("GET /reports/volume = %s, want 2, 0, 1, 0, 0, 1, 0 tickets opened and replies on Tuesday and Wednesday", jsonOf(v))
	}

	// Without from and to: the week ending today, Wednesday.
	r.want(http.StatusOK, tok, "GET", "/reports/volume", nil, &v)
	if v.From != "2026-01-01" || v.To != "2026-01-07" || len(v.Days) != 7 {
		t.Errorf("GET /reports/volume = %s to %s, %d days, want 2026-01-01 to 2026-01-07, 7 days", v.From, v.To, len(v.Days))
	}

	var b report.Backlog
	r.want(http.StatusOK, tok, "GET", "/reports/backlog", nil, &b)
	// #4: Mon, Tue and Wed to 15:00 are 22 business hours (8-24h), 62.5 wall
	// hours (1-3d); #2: 6 hours (4-8h, 0-1d), due in 2 business hours.
	total := report.BacklogGroup{Open: 2, ByStatus: map[string]report.AgeCount{
		"new":     {Tickets: 1, Business: []int{0, 0, 1, 0, 0}, Wall: []int{0, 1, 0, 0, 0}},
		"open":    {Tickets: 1, Business: []int{0, 1, 0, 0, 0}, Wall: []int{1, 0, 0, 0, 0}},
		"pending": {Business: []int{0, 0, 0, 0, 0}, Wall: []int{0, 0, 0, 0, 0}},
	}, Oldest: &report.Oldest{Ticket: 4, Status: "new", BusinessHours: 22, WallHours: 62.5}, AtRisk: 1}
	if !b.At.Equal(now) || b.AtRiskWithin != 4 || len(b.Groups) != 1 || !reflect.DeepEqual(b.Total, total) {
		t.Errorf("GET /reports/backlog = %s, want at %v, 4 hours at risk, one group, total %s", jsonOf(b), now, jsonOf(total))
	}
	r.want(http.StatusOK, tok, "GET", "/reports/backlog?by=team&at_risk=1.5", nil, &b)
	if b.AtRiskWithin != 1.5 || b.Total.AtRisk != 0 || len(b.Groups) != 2 || b.Groups[0].Group != "network" || b.Groups[1].Group != "support" {
		t.Errorf("GET /reports/backlog?by=team&at_risk=1.5 = %s, want network and support, none at risk within 1.5h", jsonOf(b))
	}

	var a report.Agents
	r.want(http.StatusOK, tok, "GET", "/reports/agents?from=2026-01-05&to=2026-01-11", nil, &a)
	wantAgents := report.Agents{From: "2026-01-05", To: "2026-01-11", Agents: []report.Agent{
		{Agent: "ada@desk.example", Replies: 1, Resolved: 1, FirstContact: 1, FirstContactResolution: f(100), ReopenRate: f(0)},
		{Agent: "cy@desk.example", Replies: 1},
	}}
	if !reflect.DeepEqual(a, wantAgents) {
		t.Errorf("GET /reports/agents = %s, want %s", jsonOf(a), jsonOf(wantAgents))
	}

	for _, path := range []string{"/reports/sla", "/reports/volume", "/reports/backlog", "/reports/agents"} {
		r.wantProblem(http.StatusUnauthorized, api.ProblemUnauthorized, "", "GET", path, nil)
	}
}

// TestReportMistakes: a query a report cannot answer is a 422 naming the
// parameter, as every parameter the API refuses is.
func TestReportMistakes(t *testing.T) {
	t.Parallel()
	r, _ := reportRig(t)
	tok := r.token("bo@desk.example", api.ScopeRead, 0)
	for path, field := range map[string]string{
		"/reports/sla?from=2026-13-01&to=2026-01-11":     "from",
		"/reports/sla?to=friday":                         "to",
		"/reports/volume?from=2026-01-11&to=2026-01-05":  "to",
		"/reports/agents?from=2000-01-01&to=2026-01-05":  "from",
		"/reports/sla?by=colour":                         "by",
		"/reports/backlog?by=colour":                     "by",
		"/reports/backlog?at_risk=0":                     "at_risk",
		"/reports/backlog?at_risk=-2":                    "at_risk",
		"/reports/backlog?at_risk=NaN":                   "at_risk",
		"/reports/backlog?at_risk=soon":                  "at_risk",
		"/reports/volume?from=2026-01-05&to=2026-01-05x": "to",
	} {
		p := r.wantProblem(http.StatusUnprocessableEntity, api.ProblemInvalid, tok, "GET", path, nil)
		if len(p.Errors) != 1 || p.Errors[0].Field != field || p.Detail == "" {
			t.Errorf("GET %s = %+v, want one error naming %s", path, p, field)
		}
	}
}

// jsonOf is v's JSON, for failure messages.
func jsonOf(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}
