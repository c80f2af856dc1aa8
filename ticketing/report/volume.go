package report

import (
	"context"
	"fmt"
	"time"
)

// Volume is the volume report: what came and went each day of the period.
type Volume struct {
	From string `json:"from"`
	To   string `json:"to"`
	Days []Day  `json:"days"`
}

// Day is one local day of the volume report.
type Day struct {
	Date         string         `json:"date"`
	Opened       int            `json:"tickets_opened"`
	Mail         map[string]int `json:"mail_by_class"`
	AgentReplies int            `json:"agent_replies"`
	Sent         int            `json:"notifications_sent"`
	Suppressed   map[string]int `json:"notifications_suppressed"`
	Quarantined  int            `json:"quarantined"`
}

// Classes are the classes of received mail the volume report counts,
// each present on every day.
var Classes = []string{"human", "auto_reply", "bounce", "list", "loop"}

// volumeSQL counts, per local day ($3 is the time zone) of [$1, $2), what
// each figure counts, as rows of (figure, key, day, count).
const volumeSQL = `
SELECT 'opened', '', (created_at AT TIME ZONE $3)::date, count(*)::int FROM tickets
    WHERE created_at >= $1 AND created_at < $2 AND merged_into IS NULL GROUP BY 3
UNION ALL
SELECT 'mail', class, (captured_at AT TIME ZONE $3)::date, count(*)::int FROM inbound
    WHERE captured_at >= $1 AND captured_at < $2 AND class <> '' GROUP BY 2, 3
UNION ALL
SELECT 'quarantined', '', (captured_at AT TIME ZONE $3)::date, count(*)::int FROM inbound
    WHERE captured_at >= $1 AND captured_at < $2 AND status = 'quarantined' GROUP BY 3
UNION ALL
SELECT 'agent_replies', '', (created_at AT TIME ZONE $3)::date, count(*)::int FROM messages
    WHERE created_at >= $1 AND created_at < $2 AND agent <> '' AND visibility = 'public' GROUP BY 3
UNION ALL
SELECT 'sent', '', (sent_at AT TIME ZONE $3)::date, count(*)::int FROM outbox
    WHERE sent_at >= $1 AND sent_at < $2 AND status = 'sent' GROUP BY 3
UNION ALL
SELECT 'suppressed', btrim(split_part(split_part(reason, ':', 1), ' (', 1)), (created_at AT TIME ZONE $3)::date, count(*)::int
    FROM outbox WHERE created_at >= $1 AND created_at < $2 AND status = 'suppressed' GROUP BY 2, 3`

// VolumeReport returns the volume report of q, one Day for every day of
// the period, in order. It has no groups: q.By must be "".
func VolumeReport(ctx context.Context, db DB, d Desk, q Query) (*Volume, error) {
	p, err := d.period(q)
	if err != nil {
		return nil, err
	}
	if q.By != "" {
		return nil, queryError("by", "%s does not apply: the volume report is by day", q.By)
	}
	out := &Volume{From: p.from, To: p.to, Days: []Day{}}
	index := map[string]int{}
	for t := p.start; t.Before(p.end); t = t.AddDate(0, 0, 1) {
		day := Day{Date: t.Format(time.DateOnly), Mail: map[string]int{}, Suppressed: map[string]int{}}
		for _, c := range Classes {
			day.Mail[c] = 0
		}
		index[day.Date] = len(out.Days)
		out.Days = append(out.Days, day)
	}
	tx, err := begin(ctx, db)
	if err != nil {
		return nil, err
	}
	defer tx.Rollback(ctx)
	rows, err := tx.Query(ctx, volumeSQL, p.start, p.end, p.zone)
	if err != nil {
		return nil, fmt.Errorf("report: volume: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var figure, key string
		var date time.Time
		var n int
		if err := rows.Scan(&figure, &key, &date, &n); err != nil {
			return nil, fmt.Errorf("report: volume: %w", err)
		}
		i, ok := index[date.Format(time.DateOnly)]
		if !ok {
			continue
		}
		day := &out.Days[i]
		switch figure {
		case "opened":
			day.Opened = n
		case "mail":
			day.Mail[key] += n
		case "quarantined":
			day.Quarantined = n
		case "agent_replies":
			day.AgentReplies = n
		case "sent":
			day.Sent = n
		case "suppressed":
			day.Suppressed[key] += n
		}
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("report: volume: %w", err)
	}
	return out, nil
}
