package report_test

import (
	"context"
	"reflect"
	"testing"
	"time"

	"github.com/deskgate/deskgate/ticketing/report"
)

// TestBacklogAtBounds puts open tickets on either side of each age
// bucket's bound and running clocks on either side of the at-risk window's
// end, a microsecond apart (the database's precision), with now between two
// microseconds and on one: the backlog counts them in their buckets as the
// calendar measures each one (an age equal to a bound is in the bound's
// bucket, a deadline at now is breached, one at the window's end at risk).
func TestBacklogAtBounds(t *testing.T) {
	t.Parallel()
	s := newSeeder(t)
	us := time.Microsecond
	open := func(id int64, created time.Time) {
		s.exec(`INSERT INTO tickets (id, subject, requester_addr, status, queue, received_at, created_at)
			VALUES ($1, 'ticket', 'someone@example.com', 'open', 'support', $2, $2)`, id, created)
	}
	due := func(id int64, kind string, deadline time.Time) {
		s.exec(`INSERT INTO sla_clocks (ticket_id, kind, calendar, target, started, running, deadline)
			VALUES ($1, $2, 'office', 3600, $3, true, $4)`, id, kind, deadline.Add(-time.Hour), deadline)
	}
	// Business ages, back from Friday 15:00: Friday 09:00-15:00 is 6h, so 4h
	// is Friday 11:00 and 8h Thursday 15:00; Thursday and Wednesday make 22h,
	// Tuesday 6 January is a holiday, so 24h is Monday 15:00; Monday 09:00
	// makes 30h, Friday 2 January 38h, 1 January and 31 December are closed,
	// so 40h is Tuesday 30 December 15:00.
	open(1, s.at("2026-01-09 11:00").Add(us)) // 4h less 1 or 0.5µs: 0-4h, 0-1d
	open(2, s.at("2026-01-09 11:00"))         // 4h: 4-8h, 0-1d
	open(3, s.at("2026-01-08 20:00"))         // closed hours, 6h: 4-8h, 0-1d
	open(4, s.at("2026-01-08 15:00").Add(us)) // 8h and 24h wall less 1 or 0.5µs: 4-8h, 0-1d
	open(5, s.at("2026-01-08 15:00"))         // 8h and 24h wall: 8-24h, 1-3d
	open(6, s.at("2026-01-06 12:00"))         // a holiday, 22h: 8-24h, 3-7d
	open(7, s.at("2026-01-05 15:00"))         // 24h: 24-40h, 3-7d
	open(8, s.at("2025-12-31 12:00"))         // closed, 38h: 24-40h, 7-30d
	open(9, s.at("2025-12-30 15:00"))         // 40h: 40h+, 7-30d
	// Four business hours after Friday 15:00 end on Monday 12 January 11:00.
	for id, deadline := range map[int64]time.Time{
		10: s.at("2026-01-12 11:00"),         // at risk
		11: s.at("2026-01-12 11:00").Add(us), // not
		12: s.at("2026-01-10 12:00"),         // Saturday, 2h away: at risk
		13: s.at("2026-01-09 15:00"),         // now or 0.5µs ago: breached
		14: s.at("2026-01-09 15:00").Add(us), // at risk
		15: s.at("2026-01-12 12:00"),         // not, but its resolution clock is
	} {
		open(id, s.at("2026-01-09 14:00")) // 0-4h, 0-1d
		due(id, "response", deadline)
	}
	due(15, "resolution", s.at("2026-01-09 16:00"))

	for _, now := range []time.Time{s.at("2026-01-09 15:00"), s.at("2026-01-09 15:00").Add(500 * time.Nanosecond)} {
		got, err := report.BacklogReport(context.Background(), s.pool, report.Desk{Calendar: s.cal},
			report.Query{Now: now, AtRisk: 4 * time.Hour})
		if err != nil {
			t.Fatal(err)
		}
		zero := report.AgeCount{Business: []int{0, 0, 0, 0, 0}, Wall: []int{0, 0, 0, 0, 0}}
		total := report.BacklogGroup{Open: 15, AtRisk: 4, Breached: 1,
			ByStatus: map[string]report.AgeCount{"new": zero, "pending": zero,
				"open": {Tickets: 15, Business: []int{7, 3, 2, 2, 1}, Wall: []int{10, 1, 2, 2, 0}}},
			Oldest: &report.Oldest{Ticket: 9, Status: "open", BusinessHours: 40, WallHours: 240}}
		want := &report.Backlog{At: now, AtRiskWithin: 4,
			BusinessBuckets: []string{"0-4h", "4-8h", "8-24h", "24-40h", "40h+"},
			WallBuckets:     []string{"0-1d", "1-3d", "3-7d", "7-30d", "30d+"},
			Groups:          []report.BacklogGroup{total}, Total: total}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("BacklogReport(at %v) = %s\nwant %s", now, jsonOf(got), jsonOf(want))
		}
	}
}
