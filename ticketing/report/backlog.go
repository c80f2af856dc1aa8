package report

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

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

// OpenStatuses are the statuses the backlog counts.
var OpenStatuses = []string{"new", "open", "pending"}

// backlogSQL counts the open tickets (merged ones are closed) created by
// $1, per group (%s), status and age bucket, and how many of them are
// breached (their earliest running clock due by $1) or at risk (due after
// $1, by $4, or ever when $4 is null). A ticket's age buckets are counted
// backwards: $2 and $3 hold, for each business and wall bucket but the
// first, from the oldest, the earliest creation instant whose age is below
// the bucket's bound, so width_bucket counts the bounds its age is below.
// The work grows with the open tickets, and the calendar is walked once
// per bound, not once per ticket.
const backlogSQL = `
SELECT %s, t.status, width_bucket(t.created_at, $2::timestamptz[]), width_bucket(t.created_at, $3::timestamptz[]),
    count(*)::int, count(*) FILTER (WHERE d.due <= $1)::int,
    count(*) FILTER (WHERE d.due > $1 AND (d.due <= $4 OR $4 IS NULL))::int
FROM tickets t
LEFT JOIN (SELECT ticket_id, min(deadline) AS due FROM sla_clocks WHERE running AND deadline IS NOT NULL
           GROUP BY ticket_id) d ON d.ticket_id = t.id
WHERE t.status IN ('new', 'open', 'pending') AND t.created_at <= $1
GROUP BY 1, 2, 3, 4`

// oldestSQL reads each group's (%s) open ticket created first.
const oldestSQL = `
SELECT DISTINCT ON (1) %s, t.id, t.status, t.created_at FROM tickets t
WHERE t.status IN ('new', 'open', 'pending') AND t.created_at <= $1
ORDER BY 1, t.created_at, t.id`

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
	b := bounds{cal: cal, now: now}
	tx, err := begin(ctx, db)
	if err != nil {
		return nil, err
	}
	defer tx.Rollback(ctx)
	rows, err := tx.Query(ctx, fmt.Sprintf(backlogSQL, col), now, b.business(businessBuckets), b.wall(wallBuckets),
		b.atRisk(risk))
	if err != nil {
		return nil, fmt.Errorf("report: backlog: %w", err)
	}
	defer rows.Close()
	index := map[string]int{}
	groupOf := func(name string) *BacklogGroup {
		i, ok := index[name]
		if !ok {
			i = len(out.Groups)
			index[name] = i
			out.Groups = append(out.Groups, newBacklogGroup(name))
		}
		return &out.Groups[i]
	}
	for rows.Next() {
		var grp, status string
		var below, wallBelow, n, breached, atRisk int
		if err := rows.Scan(&grp, &status, &below, &wallBelow, &n, &breached, &atRisk); err != nil {
			return nil, fmt.Errorf("report: backlog: %w", err)
		}
		business, wall := len(businessBuckets)-1-below, len(wallBuckets)-1-wallBelow
		for _, g := range []*BacklogGroup{groupOf(grp), &out.Total} {
			g.add(status, business, wall, n, atRisk, breached)
		}
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("report: backlog: %w", err)
	}
	if err := oldest(ctx, tx, col, now, cal, groupOf, &out.Total); err != nil {
		return nil, err
	}
	sortGroups(out.Groups, func(g BacklogGroup) string { return g.Group })
	return out, nil
}

// oldest sets each group's Oldest, and the total's.
func oldest(ctx context.Context, tx pgx.Tx, col string, now time.Time, cal *sla.Calendar,
	groupOf func(string) *BacklogGroup, total *BacklogGroup) error {
	rows, err := tx.Query(ctx, fmt.Sprintf(oldestSQL, col), now)
	if err != nil {
		return fmt.Errorf("report: backlog: %w", err)
	}
	var first time.Time
	var grp, status string
	var id int64
	var created time.Time
	_, err = pgx.ForEachRow(rows, []any{&grp, &id, &status, &created}, func() error {
		o := &Oldest{Ticket: id, Status: status, BusinessHours: hours(cal.Between(created, now).Seconds()),
			WallHours: hours(max(0, now.Sub(created)).Seconds())}
		groupOf(grp).Oldest = o
		if total.Oldest == nil || created.Before(first) || created.Equal(first) && id < total.Oldest.Ticket {
			total.Oldest, first = o, created
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("report: backlog: %w", err)
	}
	return nil
}

func newBacklogGroup(name string) BacklogGroup {
	g := BacklogGroup{Group: name, ByStatus: map[string]AgeCount{}}
	for _, s := range OpenStatuses {
		g.ByStatus[s] = AgeCount{Business: make([]int, len(businessBuckets)), Wall: make([]int, len(wallBuckets))}
	}
	return g
}

// add counts n open tickets of one status and age buckets, of which atRisk
// are at risk and breached breached.
func (g *BacklogGroup) add(status string, business, wall, n, atRisk, breached int) {
	g.Open += n
	a := g.ByStatus[status]
	a.Tickets += n
	a.Business[business] += n
	a.Wall[wall] += n
	g.ByStatus[status] = a
	g.AtRisk += atRisk
	g.Breached += breached
}
