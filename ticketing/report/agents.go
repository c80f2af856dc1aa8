package report

import (
	"context"
	"fmt"
)

// Agents is the agents report: each agent's work in the period.
type Agents struct {
	From   string  `json:"from"`
	To     string  `json:"to"`
	Agents []Agent `json:"agents"`
}

// Agent is one agent's line of the agents report.
type Agent struct {
	Agent                  string   `json:"agent"`
	Replies                int      `json:"replies"`
	Resolved               int      `json:"tickets_resolved"`
	FirstContact           int      `json:"first_contact_resolutions"`
	FirstContactResolution *float64 `json:"first_contact_resolution_pct"`
	Reopened               int      `json:"reopened"`
	ReopenRate             *float64 `json:"reopen_rate_pct"`
}

// agentsSQL counts, per agent, public replies in [$1, $2) and the tickets
// the agent resolved in it (an agent's first resolution of each ticket
// there), with how many public agent replies each had by then and whether
// it was reopened afterwards (its last reopening, which can only be after
// $1, is later).
const agentsSQL = `
WITH res AS (
    SELECT DISTINCT ON (e.ticket_id, e.actor) e.ticket_id, e.actor AS agent, e.at
    FROM events e
    WHERE e.kind = 'status.changed' AND e.detail->>'to' = 'resolved' AND e.actor LIKE '%@%'
        AND e.at >= $1 AND e.at < $2
    ORDER BY e.ticket_id, e.actor, e.at
),
reopened AS (
    SELECT o.ticket_id, max(o.at) AS last FROM events o
    WHERE o.kind = 'status.changed' AND o.detail->>'from' = 'resolved' AND o.detail->>'to' = 'open' AND o.at > $1
    GROUP BY o.ticket_id
),
r AS (
    SELECT res.agent,
        (SELECT count(*) FROM messages m WHERE m.ticket_id = res.ticket_id AND m.agent <> ''
            AND m.visibility = 'public' AND m.created_at <= res.at) AS replies,
        coalesce(o.last > res.at, false) AS reopened
    FROM res LEFT JOIN reopened o ON o.ticket_id = res.ticket_id
),
x AS (
    SELECT agent, count(*)::int AS resolved,
        count(*) FILTER (WHERE replies = 1 AND NOT reopened)::int AS fcr,
        count(*) FILTER (WHERE reopened)::int AS reopened
    FROM r GROUP BY agent
),
rep AS (
    SELECT agent, count(*)::int AS n FROM messages
    WHERE agent <> '' AND visibility = 'public' AND created_at >= $1 AND created_at < $2
    GROUP BY agent
)
SELECT coalesce(rep.agent, x.agent), coalesce(rep.n, 0), coalesce(x.resolved, 0), coalesce(x.fcr, 0),
    coalesce(x.reopened, 0)
FROM rep FULL JOIN x ON x.agent = rep.agent
ORDER BY 1`

// AgentsReport returns the agents report of q, one line per agent who
// replied or resolved a ticket in the period, by address. q.By must be ""
// or "agent".
func AgentsReport(ctx context.Context, db DB, d Desk, q Query) (*Agents, error) {
	p, err := d.period(q)
	if err != nil {
		return nil, err
	}
	if q.By != "" && q.By != "agent" {
		return nil, queryError("by", "%s does not apply: the agents report is by agent", q.By)
	}
	tx, err := begin(ctx, db)
	if err != nil {
		return nil, err
	}
	defer tx.Rollback(ctx)
	rows, err := tx.Query(ctx, agentsSQL, p.start, p.end)
	if err != nil {
		return nil, fmt.Errorf("report: agents: %w", err)
	}
	defer rows.Close()
	out := &Agents{From: p.from, To: p.to, Agents: []Agent{}}
	for rows.Next() {
		var a Agent
		if err := rows.Scan(&a.Agent, &a.Replies, &a.Resolved, &a.FirstContact, &a.Reopened); err != nil {
			return nil, fmt.Errorf("report: agents: %w", err)
		}
		a.FirstContactResolution, a.ReopenRate = pct(a.FirstContact, a.Resolved), pct(a.Reopened, a.Resolved)
		out.Agents = append(out.Agents, a)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("report: agents: %w", err)
	}
	return out, nil
}
