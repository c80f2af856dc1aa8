package report

import (
	"context"
	"fmt"
)

// SLA is the SLA report: per group, how the tickets opened in the period
// fared against their clocks.
type SLA struct {
	From   string     `json:"from"`
	To     string     `json:"to"`
	By     string     `json:"by"`
	Groups []SLAGroup `json:"groups"`
	Total  SLAGroup   `json:"total"`
}

// SLAGroup is one group's line of the SLA report. Hours are business
// hours; nil means no ticket had the figure.
type SLAGroup struct {
	Group                 string   `json:"group"`
	Tickets               int      `json:"tickets"`
	FirstResponseMedian   *float64 `json:"first_response_median_hours"`
	FirstResponseP90      *float64 `json:"first_response_p90_hours"`
	RespondedWithinTarget *float64 `json:"responded_within_target_pct"`
	ResolvedWithinTarget  *float64 `json:"resolved_within_target_pct"`
	Breaches              Breaches `json:"breaches"`
	PausedHours           float64  `json:"paused_hours"`
}

// Breaches counts clocks that ran past their deadline, by clock.
type Breaches struct {
	Response     int `json:"response"`
	Resolution   int `json:"resolution"`
	NextResponse int `json:"next_response"`
}

// slaSQL sums the clocks of the tickets opened in [$1, $2), merged ones
// left out (their work goes on under the ticket they were merged into),
// per group (%s) and in total. Each kind of clock is read from the range of
// ticket numbers the period's tickets span (b), which holds them: tickets
// are numbered as they are created, so the range holds little else, and
// the clocks are read from it instead of from the whole table.
const slaSQL = `
WITH t AS MATERIALIZED (
    SELECT t.id, %s AS grp FROM tickets t
    WHERE t.created_at >= $1 AND t.created_at < $2 AND t.merged_into IS NULL
),
b AS (SELECT min(id) AS lo, max(id) AS hi FROM t)
SELECT GROUPING(t.grp) = 1, coalesce(t.grp, ''), count(*)::int,
    percentile_cont(0.5) WITHIN GROUP (ORDER BY r.elapsed) FILTER (WHERE r.stopped IS NOT NULL),
    percentile_cont(0.9) WITHIN GROUP (ORDER BY r.elapsed) FILTER (WHERE r.stopped IS NOT NULL),
    count(*) FILTER (WHERE r.stopped IS NOT NULL AND r.breached_at IS NULL)::int,
    count(*) FILTER (WHERE r.stopped IS NOT NULL OR r.breached_at IS NOT NULL)::int,
    count(*) FILTER (WHERE s.stopped IS NOT NULL AND s.breached_at IS NULL)::int,
    count(*) FILTER (WHERE s.stopped IS NOT NULL OR s.breached_at IS NOT NULL)::int,
    count(r.breached_at)::int, count(s.breached_at)::int, count(n.breached_at)::int,
    coalesce(sum(s.paused_business), 0)::float8
FROM t
LEFT JOIN sla_clocks r ON r.ticket_id = t.id AND r.kind = 'response'
    AND r.ticket_id BETWEEN (SELECT lo FROM b) AND (SELECT hi FROM b)
LEFT JOIN sla_clocks s ON s.ticket_id = t.id AND s.kind = 'resolution'
    AND s.ticket_id BETWEEN (SELECT lo FROM b) AND (SELECT hi FROM b)
LEFT JOIN sla_clocks n ON n.ticket_id = t.id AND n.kind = 'next_response'
    AND n.ticket_id BETWEEN (SELECT lo FROM b) AND (SELECT hi FROM b)
GROUP BY GROUPING SETS ((t.grp), ())
ORDER BY 1, 2`

// SLAReport returns the SLA report of q.
func SLAReport(ctx context.Context, db DB, d Desk, q Query) (*SLA, error) {
	p, err := d.period(q)
	if err != nil {
		return nil, err
	}
	col, err := group(q.By)
	if err != nil {
		return nil, err
	}
	tx, err := begin(ctx, db)
	if err != nil {
		return nil, err
	}
	defer tx.Rollback(ctx)
	rows, err := tx.Query(ctx, fmt.Sprintf(slaSQL, col), p.start, p.end)
	if err != nil {
		return nil, fmt.Errorf("report: sla: %w", err)
	}
	out := &SLA{From: p.from, To: p.to, By: q.By, Groups: []SLAGroup{}}
	defer rows.Close()
	for rows.Next() {
		var g SLAGroup
		var total bool
		var median, p90 *float64
		var respIn, respAll, resIn, resAll int
		var paused float64
		if err := rows.Scan(&total, &g.Group, &g.Tickets, &median, &p90, &respIn, &respAll, &resIn, &resAll,
			&g.Breaches.Response, &g.Breaches.Resolution, &g.Breaches.NextResponse, &paused); err != nil {
			return nil, fmt.Errorf("report: sla: %w", err)
		}
		if median != nil {
			m, n := hours(*median), hours(*p90)
			g.FirstResponseMedian, g.FirstResponseP90 = &m, &n
		}
		g.RespondedWithinTarget, g.ResolvedWithinTarget = pct(respIn, respAll), pct(resIn, resAll)
		g.PausedHours = hours(paused)
		if total {
			g.Group = ""
			out.Total = g
		} else {
			out.Groups = append(out.Groups, g)
		}
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("report: sla: %w", err)
	}
	return out, nil
}
