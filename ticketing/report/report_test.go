package report_test

import (
	"context"
	"errors"
	"reflect"
	"testing"
	"time"

	"github.com/deskgate/deskgate/ticketing/report"
)

func f(v float64) *float64 { return &v }

var period = report.Query{From: "2026-01-02", To: "2026-01-09"}

func TestSLAReport(t *testing.T) {
	t.Parallel()
	s := newSeeder(t)
	seedHistory(s)
	q := period
	q.By = "team"
	got, err := report.SLAReport(context.Background(), s.pool, report.Desk{Calendar: s.cal}, q)
	if err != nil {
		t.Fatal(err)
	}
	want := &report.SLA{From: "2026-01-02", To: "2026-01-09", By: "team", Groups: []report.SLAGroup{
		{
			// #4 only: #5 was merged into it.
			Group: "sales", Tickets: 1, FirstResponseMedian: f(1.5), FirstResponseP90: f(1.5),
			RespondedWithinTarget: f(100), ResolvedWithinTarget: nil,
		},
		{
			// #1, #2, #3 and #7 (no clocks); #6 was opened before the period.
			// First responses 3.5h, 3h and 2h: median 3h, p90 3 + 0.8 × 0.5 = 3.4h.
			// Responded within target #1 and #2 of three; resolved within target #2 of
			// #1 (breached), #2 and #3 (reopened, breached). Paused: #2's 6h.
			Group: "support", Tickets: 4, FirstResponseMedian: f(3), FirstResponseP90: f(3.4),
			RespondedWithinTarget: f(66.7), ResolvedWithinTarget: f(33.3),
			Breaches:    report.Breaches{Response: 1, Resolution: 2, NextResponse: 1},
			PausedHours: 6,
		},
	}, Total: report.SLAGroup{
		// First responses 1.5h, 2h, 3h, 3.5h: median 2.5h, p90 3 + 0.7 × 0.5 = 3.35h.
		Tickets: 5, FirstResponseMedian: f(2.5), FirstResponseP90: f(3.35),
		RespondedWithinTarget: f(75), ResolvedWithinTarget: f(33.3),
		Breaches:    report.Breaches{Response: 1, Resolution: 2, NextResponse: 1},
		PausedHours: 6,
	}}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("SLAReport(by team) = %s\nwant %s", jsonOf(got), jsonOf(want))
	}
}

func TestVolumeReport(t *testing.T) {
	t.Parallel()
	s := newSeeder(t)
	seedHistory(s)
	got, err := report.VolumeReport(context.Background(), s.pool, report.Desk{Calendar: s.cal}, period)
	if err != nil {
		t.Fatal(err)
	}
	mail := func(human, auto, bounce, list, loop int) map[string]int {
		return map[string]int{"human": human, "auto_reply": auto, "bounce": bounce, "list": list, "loop": loop}
	}
	none := map[string]int{}
	want := &report.Volume{From: "2026-01-02", To: "2026-01-09", Days: []report.Day{
		{Date: "2026-01-02", Opened: 1, Mail: mail(1, 0, 0, 0, 0), Sent: 1, Suppressed: none},
		{Date: "2026-01-03", Mail: mail(0, 0, 0, 0, 0), Suppressed: none},
		{Date: "2026-01-04", Mail: mail(0, 0, 0, 0, 0), Suppressed: none},
		// #2 opened; a@'s reply on #1 and b@'s on #2; the auto-reply, not acknowledged.
		{Date: "2026-01-05", Opened: 1, Mail: mail(3, 1, 0, 0, 0), AgentReplies: 2, Sent: 1,
			Suppressed: map[string]int{"the message that caused it is auto_reply": 1}},
		{Date: "2026-01-06", Mail: mail(0, 0, 0, 0, 0), Suppressed: none, Quarantined: 1},
		// #3 opened; b@'s second reply on #2 and a@'s on #3.
		{Date: "2026-01-07", Opened: 1, Mail: mail(3, 0, 1, 1, 0), AgentReplies: 2, Sent: 1, Suppressed: none},
		// #4 opened; the requester's reply that reopened #3.
		{Date: "2026-01-08", Opened: 1, Mail: mail(2, 0, 0, 0, 1), Sent: 1, Suppressed: none},
		// #7 at 00:30 local (#5 was merged); #5 and #7 and c@'s reply and a@'s note
		// came by mail, and the note is no reply; #5's and #7's acknowledgements.
		{Date: "2026-01-09", Opened: 1, Mail: mail(4, 0, 0, 0, 0), AgentReplies: 1, Sent: 2, Suppressed: none},
	}}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("VolumeReport() = %s\nwant %s", jsonOf(got), jsonOf(want))
	}
}

func TestBacklogReport(t *testing.T) {
	t.Parallel()
	s := newSeeder(t)
	seedHistory(s)
	now := s.at("2026-01-09 15:00")
	got, err := report.BacklogReport(context.Background(), s.pool, report.Desk{Calendar: s.cal},
		report.Query{By: "team", Now: now, AtRisk: 4 * time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	ages := func(n int, business, wall []int) report.AgeCount {
		return report.AgeCount{Tickets: n, Business: business, Wall: wall}
	}
	zero := ages(0, []int{0, 0, 0, 0, 0}, []int{0, 0, 0, 0, 0})
	// #4: 1h Thu + 6h Fri = 7h, 23h wall; due at 16:00, one business hour away.
	sales := report.BacklogGroup{Group: "sales", Open: 1, AtRisk: 1,
		ByStatus: map[string]report.AgeCount{"new": zero, "pending": zero,
			"open": ages(1, []int{0, 1, 0, 0, 0}, []int{1, 0, 0, 0, 0})},
		Oldest: &report.Oldest{Ticket: 4, Status: "open", BusinessHours: 7, WallHours: 23}}
	// #3: 8h Wed + 8h Thu + 6h Fri = 22h, 54h wall, breached; #6: eight working days
	// (22, 23, 29, 30 Dec, 2, 5, 7, 8 Jan) and 6h = 70h, 18 days 6h = 438h wall.
	support := report.BacklogGroup{Group: "support", Open: 2, Breached: 1,
		ByStatus: map[string]report.AgeCount{"new": zero,
			"open":    ages(1, []int{0, 0, 1, 0, 0}, []int{0, 1, 0, 0, 0}),
			"pending": ages(1, []int{0, 0, 0, 0, 1}, []int{0, 0, 0, 1, 0})},
		Oldest: &report.Oldest{Ticket: 6, Status: "pending", BusinessHours: 70, WallHours: 438}}
	total := report.BacklogGroup{Open: 3, AtRisk: 1, Breached: 1,
		ByStatus: map[string]report.AgeCount{"new": zero,
			"open":    ages(2, []int{0, 1, 1, 0, 0}, []int{1, 1, 0, 0, 0}),
			"pending": ages(1, []int{0, 0, 0, 0, 1}, []int{0, 0, 0, 1, 0})},
		Oldest: &report.Oldest{Ticket: 6, Status: "pending", BusinessHours: 70, WallHours: 438}}
	want := &report.Backlog{At: now, By: "team", AtRiskWithin: 4,
		BusinessBuckets: []string{"0-4h", "4-8h", "8-24h", "24-40h", "40h+"},
		WallBuckets:     []string{"0-1d", "1-3d", "3-7d", "7-30d", "30d+"},
		Groups:          []report.BacklogGroup{sales, support}, Total: total}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("BacklogReport(at %v) = %s\nwant %s", now, jsonOf(got), jsonOf(want))
	}
}

func TestAgentsReport(t *testing.T) {
	t.Parallel()
	s := newSeeder(t)
	seedHistory(s)
	got, err := report.AgentsReport(context.Background(), s.pool, report.Desk{Calendar: s.cal}, period)
	if err != nil {
		t.Fatal(err)
	}
	want := &report.Agents{From: "2026-01-02", To: "2026-01-09", Agents: []report.Agent{
		// #1 resolved after one reply and left so; #3 after one reply, but reopened.
		// The note on #4 is no reply.
		{Agent: "a@desk.example", Replies: 2, Resolved: 2, FirstContact: 1, FirstContactResolution: f(50),
			Reopened: 1, ReopenRate: f(50)},
		// #2 took two replies.
		{Agent: "b@desk.example", Replies: 2, Resolved: 1, FirstContact: 0, FirstContactResolution: f(0),
			Reopened: 0, ReopenRate: f(0)},
		{Agent: "c@desk.example", Replies: 1},
	}}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("AgentsReport() = %s\nwant %s", jsonOf(got), jsonOf(want))
	}
}

func TestQueryMistakes(t *testing.T) {
	t.Parallel()
	pool := newSeeder(t).pool
	d := report.Desk{Calendar: stockholm(t)}
	ctx := context.Background()
	for _, c := range []struct {
		name, field string
		run         func() error
	}{
		{"from not a date", "from", func() error {
			_, err := report.SLAReport(ctx, pool, d, report.Query{From: "2026-13-01", To: "2026-01-09"})
			return err
		}},
		{"to not a date", "to", func() error {
			_, err := report.SLAReport(ctx, pool, d, report.Query{From: "", To: "friday"})
			return err
		}},
		{"ten years", "from", func() error {
			_, err := report.SLAReport(ctx, pool, d, report.Query{From: "2000-01-01", To: "2026-01-09"})
			return err
		}},
		{"to before from", "to", func() error {
			_, err := report.VolumeReport(ctx, pool, d, report.Query{From: "2026-01-09", To: "2026-01-02"})
			return err
		}},
		{"unknown grouping", "by", func() error {
			_, err := report.SLAReport(ctx, pool, d, report.Query{From: "2026-01-02", To: "2026-01-09", By: "colour"})
			return err
		}},
		{"volume by team", "by", func() error {
			_, err := report.VolumeReport(ctx, pool, d, report.Query{From: "2026-01-02", To: "2026-01-09", By: "team"})
			return err
		}},
		{"agents by queue", "by", func() error {
			_, err := report.AgentsReport(ctx, pool, d, report.Query{From: "2026-01-02", To: "2026-01-09", By: "queue"})
			return err
		}},
		{"backlog by colour", "by", func() error {
			_, err := report.BacklogReport(ctx, pool, d, report.Query{By: "colour"})
			return err
		}},
	} {
		err := c.run()
		var qe *report.QueryError
		if !errors.Is(err, report.ErrQuery) || !errors.As(err, &qe) || qe.Field != c.field {
			t.Errorf("%s: error = %v, want ErrQuery, a QueryError naming %s", c.name, err, c.field)
		}
	}
}
