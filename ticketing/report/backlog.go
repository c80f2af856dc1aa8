package report

import (
	"context"
	"fmt"
	"time"

	"github.com/deskgate/deskgate/ticketing/sla"
)

// Backlog is the backlog report: the tickets open at one instant, by
// status and age.
type Backlog struct {
	At              time.Time      `json:"at"`
	By              string         `json:"by"`
	AtRiskWithin    float64        `json:"at_risk_within_business_hours"`
	BusinessBuckets []string       `json:"business_age_buckets"`
	WallBuckets     []string       `json:"wall_age_buckets"`
	Groups          []BacklogGroup `json:"groups"`
	Total           BacklogGroup   `json:"total"`
}

// BacklogGroup is one group's backlog.
type BacklogGroup struct {
	Group    string              `json:"group"`
	Open     int                 `json:"open"`
	ByStatus map[string]AgeCount `json:"by_status"`
	Oldest   *Oldest             `json:"oldest"`
	AtRisk   int                 `json:"at_risk"`
	Breached int                 `json:"breached"`
}

// AgeCount counts one status's tickets per age bucket, in the order of
// Backlog's BusinessBuckets and WallBuckets.
type AgeCount struct {
	Tickets  int   `json:"tickets"`
	Business []int `json:"business"`
	Wall     []int `json:"wall"`
}

// Oldest is a group's oldest open ticket.
type Oldest struct {
	Ticket        int64   `json:"ticket"`
	Status        string  `json:"status"`
	BusinessHours float64 `json:"business_hours"`
	WallHours     float64 `json:"wall_hours"`
}

// An age bucket holds ages from its bound up to the next one's.
type bucket struct {
	label string
	from  time.Duration
}

var (
	businessBuckets = []bucket{{"0-4h", 0}, {"4-8h", 4 * time.Hour}, {"8-24h", 8 * time.Hour},
		{"24-40h", 24 * time.Hour}, {"40h+", 40 * time.Hour}}
	wallBuckets = []bucket{{"0-1d", 0}, {"1-3d", 24 * time.Hour}, {"3-7d", 72 * time.Hour},
		{"7-30d", 7 * 24 * time.Hour}, {"30d+", 30 * 24 * time.Hour}}
)

func labels(bs []bucket) []string {
	out := make([]string, len(bs))
	for i, b := range bs {
		out[i] = b.label
	}
	return out
}

func bucketOf(bs []bucket, age time.Duration) int {
	i := 0
	for j, b := range bs {
		if age >= b.from {
			i = j
		}
	}
	return i
}

// OpenStatuses are the statuses the backlog counts.
var OpenStatuses = []string{"new", "open", "pending"}

// backlogSQL reads the open tickets (merged ones are closed) with the
// earliest deadline of their running clocks.
const backlogSQL = `
SELECT t.id, %s, t.status, t.created_at,
    (SELECT min(c.deadline) FROM sla_clocks c WHERE c.ticket_id = t.id AND c.running AND c.deadline IS NOT NULL)
FROM tickets t
WHERE t.status IN ('new', 'open', 'pending') AND t.created_at <= $1
ORDER BY t.created_at, t.id`

// BacklogReport returns the backlog at q.Now (now when zero). q.From and
// q.To do not apply: the backlog is what is open at one instant.
func BacklogReport(ctx context.Context, db DB, d Desk, q Query) (*Backlog, error) {
	col, err := group(q.By)
	if err != nil {
		return nil, err
	}
	now := q.Now
	if now.IsZero() {
		now = time.Now()
	}
	risk := q.AtRisk
	if risk <= 0 {
		risk = DefaultAtRisk
	}
	cal := d.calendar()
	out := &Backlog{At: now.In(cal.Location()), By: q.By, AtRiskWithin: hours(risk.Seconds()),
		BusinessBuckets: labels(businessBuckets), WallBuckets: labels(wallBuckets), Groups: []BacklogGroup{}}
	out.Total = newBacklogGroup("")
	rows, err := db.Query(ctx, fmt.Sprintf(backlogSQL, col), now)
	if err != nil {
		return nil, fmt.Errorf("report: backlog: %w", err)
	}
	defer rows.Close()
	index := map[string]int{}
	ages := newAger(cal, now)
	for rows.Next() {
		var id int64
		var grp, status string
		var created time.Time
		var due *time.Time
		if err := rows.Scan(&id, &grp, &status, &created, &due); err != nil {
			return nil, fmt.Errorf("report: backlog: %w", err)
		}
		i, ok := index[grp]
		if !ok {
			i = len(out.Groups)
			index[grp] = i
			out.Groups = append(out.Groups, newBacklogGroup(grp))
		}
		business, wall := ages.since(created), max(0, now.Sub(created))
		var atRisk, breached bool
		if due != nil {
			breached = !due.After(now)
			atRisk = !breached && cal.Between(now, *due) <= risk
		}
		for _, g := range []*BacklogGroup{&out.Groups[i], &out.Total} {
			g.add(id, status, business, wall, atRisk, breached)
		}
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("report: backlog: %w", err)
	}
	sortGroups(out.Groups, func(g BacklogGroup) string { return g.Group })
	return out, nil
}

func newBacklogGroup(name string) BacklogGroup {
	g := BacklogGroup{Group: name, ByStatus: map[string]AgeCount{}}
	for _, s := range OpenStatuses {
		g.ByStatus[s] = AgeCount{Business: make([]int, len(businessBuckets)), Wall: make([]int, len(wallBuckets))}
	}
	return g
}

// add counts one open ticket; tickets come oldest first.
func (g *BacklogGroup) add(id int64, status string, business, wall time.Duration, atRisk, breached bool) {
	g.Open++
	a := g.ByStatus[status]
	a.Tickets++
	a.Business[bucketOf(businessBuckets, business)]++
	a.Wall[bucketOf(wallBuckets, wall)]++
	g.ByStatus[status] = a
	if g.Oldest == nil {
		g.Oldest = &Oldest{Ticket: id, Status: status, BusinessHours: hours(business.Seconds()), WallHours: hours(wall.Seconds())}
	}
	if atRisk {
		g.AtRisk++
	}
	if breached {
		g.Breached++
	}
}

// ager measures business ages at one instant. A ticket's age is the
// business time left in the day it was created plus the business time from
// the next day's start until now, which is the same for every ticket of
// that day and is counted once per day.
type ager struct {
	cal  *sla.Calendar
	now  time.Time
	days map[time.Time]time.Duration // a local day's next midnight → business time from it to now
}

func newAger(cal *sla.Calendar, now time.Time) *ager {
	return &ager{cal: cal, now: now, days: map[time.Time]time.Duration{}}
}

func (a *ager) since(t time.Time) time.Duration {
	l := t.In(a.cal.Location())
	next := time.Date(l.Year(), l.Month(), l.Day()+1, 0, 0, 0, 0, l.Location())
	if !next.Before(a.now) {
		return a.cal.Between(t, a.now)
	}
	rest, ok := a.days[next]
	if !ok {
		rest = a.cal.Between(next, a.now)
		a.days[next] = rest
	}
	return a.cal.Between(t, next) + rest
}
