package report

import (
	"math"
	"time"
)

// DefaultAtRisk is the backlog's at-risk window when a query gives none.
const DefaultAtRisk = 4 * time.Hour

// Defaults fills in what a person may leave out of q, the one place the
// CLI, the API and the dashboard take their defaults from: Now is now, To is Now's day in
// the desk's time zone, From six days before To (a week, both ends
// included), AtRisk DefaultAtRisk. What q gives is kept as it is, for the
// report to refuse if it is a mistake.
func (d Desk) Defaults(q Query) Query {
	if q.Now.IsZero() {
		q.Now = time.Now()
	}
	if q.To == "" {
		q.To = q.Now.In(d.calendar().Location()).Format(time.DateOnly)
	}
	if q.From == "" {
		if to, err := time.Parse(time.DateOnly, q.To); err == nil {
			q.From = to.AddDate(0, 0, -6).Format(time.DateOnly)
		}
	}
	if q.AtRisk == 0 {
		q.AtRisk = DefaultAtRisk
	}
	return q
}

// maxAtRisk bounds AtRiskHours: about ten years of office hours.
const maxAtRisk = 100_000 * time.Hour

// AtRiskHours reads a backlog's at-risk window given in business hours
// (the CLI's -at-risk, the API's at_risk): more than 0 and at most
// 100,000.
func AtRiskHours(h float64) (time.Duration, error) {
	if math.IsNaN(h) || h <= 0 || h > maxAtRisk.Hours() {
		return 0, queryError("at_risk", "%v business hours: want more than 0 and at most %v", h, maxAtRisk.Hours())
	}
	return time.Duration(h * float64(time.Hour)), nil
}
