package report_test

import (
	"errors"
	"math"
	"testing"
	"time"

	"github.com/deskgate/deskgate/ticketing/report"
)

// TestDefaults: what a query leaves out is filled in as the CLI and the
// API document it: the week ending today in the desk's time zone (00:30
// in Stockholm is still the previous day in UTC), 4 business hours at
// risk; what it gives is kept, mistakes included, for the report to
// refuse.
func TestDefaults(t *testing.T) {
	t.Parallel()
	d := report.Desk{Calendar: stockholm(t)}
	now := time.Date(2026, 1, 8, 23, 30, 0, 0, time.UTC) // 2026-01-09 00:30 in Stockholm
	for _, c := range []struct {
		name string
		desk report.Desk
		in   report.Query
		want report.Query
	}{
		{name: "nothing given", desk: d, in: report.Query{Now: now},
			want: report.Query{From: "2026-01-03", To: "2026-01-09", Now: now, AtRisk: 4 * time.Hour}},
		{name: "to given", desk: d, in: report.Query{To: "2026-02-01", Now: now},
			want: report.Query{From: "2026-01-26", To: "2026-02-01", Now: now, AtRisk: 4 * time.Hour}},
		{name: "all given", desk: d, in: report.Query{From: "2025-12-01", To: "2025-12-31", By: "team", Now: now, AtRisk: time.Hour},
			want: report.Query{From: "2025-12-01", To: "2025-12-31", By: "team", Now: now, AtRisk: time.Hour}},
		{name: "to not a date", desk: d, in: report.Query{To: "friday", Now: now},
			want: report.Query{To: "friday", Now: now, AtRisk: 4 * time.Hour}},
		{name: "no calendar counts in UTC", in: report.Query{Now: now},
			want: report.Query{From: "2026-01-02", To: "2026-01-08", Now: now, AtRisk: 4 * time.Hour}},
	} {
		if got := c.desk.Defaults(c.in); got != c.want {
			t.Errorf("%s: Defaults(%+v) = %+v, want %+v", c.name, c.in, got, c.want)
		}
	}
	before := time.Now()
	got := d.Defaults(report.Query{})
	if got.Now.Before(before) || got.Now.After(time.Now()) {
		t.Errorf("Defaults(Query{}).Now = %v, want now", got.Now)
	}
}

// TestAtRiskHours: a number of hours given by a person is more than 0 and
// a number.
func TestAtRiskHours(t *testing.T) {
	t.Parallel()
	for h, want := range map[float64]time.Duration{4: 4 * time.Hour, 0.5: 30 * time.Minute, 100: 100 * time.Hour} {
		if got, err := report.AtRiskHours(h); got != want || err != nil {
			t.Errorf("AtRiskHours(%v) = %v, %v, want %v", h, got, err, want)
		}
	}
	for _, h := range []float64{0, -1, math.NaN(), math.Inf(1), 1e9} {
		var qe *report.QueryError
		if got, err := report.AtRiskHours(h); !errors.Is(err, report.ErrQuery) || !errors.As(err, &qe) || qe.Field != "at_risk" {
			t.Errorf("AtRiskHours(%v) = %v, %v, want ErrQuery, a QueryError naming at_risk", h, got, err)
		}
	}
}
