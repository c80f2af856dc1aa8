// Package report sums up the desk for team leads: SLA compliance, volume,
// backlog and agents' work, read with SQL from the domain tables (tickets,
// sla_clocks, events, messages, outbox, inbound) and measured in business
// time. It keeps no data of its own. Each report is one function returning
// a value whose JSON is the body the API answers and `deskgate report
// -json` prints; docs/reports.md defines every figure.
package report

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/deskgate/deskgate/ticketing/sla"
)

// DB is where the reports read: a *pgxpool.Pool, a *pgx.Conn or a pgx.Tx.
type DB interface {
	Begin(ctx context.Context) (pgx.Tx, error)
}

// noJITSQL turns JIT compilation off for the rest of a report's
// transaction. A report over a long period costs the planner more than
// jit_above_cost, and compiling then took longer than it saved: the SLA
// report of 90 days on bigdesk's fixture took 0.94-1.36 s with JIT and
// 0.63-0.66 s without (TestReportsCompileNothing).
const noJITSQL = `SELECT set_config('jit', 'off', true)`

// begin opens the transaction a report reads in. Nothing is written, so
// the caller rolls it back when done.
func begin(ctx context.Context, db DB) (pgx.Tx, error) {
	tx, err := db.Begin(ctx)
	if err != nil {
		return nil, fmt.Errorf("report: %w", err)
	}
	if _, err := tx.Exec(ctx, noJITSQL); err != nil {
		tx.Rollback(ctx)
		return nil, fmt.Errorf("report: %w", err)
	}
	return tx, nil
}

// Desk is what the reports need of the desk's configuration.
type Desk struct {
	// Calendar is the default SLA policy's calendar: its time zone decides
	// where a day begins, and backlog ages count its business hours. Nil
	// counts around the clock in UTC.
	Calendar *sla.Calendar
}

func (d Desk) calendar() *sla.Calendar {
	if d.Calendar == nil {
		return sla.Always()
	}
	return d.Calendar
}

// Groupings are the values of Query.By, besides "" for one group.
var Groupings = []string{"team", "queue", "priority", "category", "agent"}

// groupColumn is the ticket column each grouping reads; "agent" is the
// ticket's assignee.
var groupColumn = map[string]string{
	"":         "''",
	"team":     "t.team",
	"queue":    "t.queue",
	"priority": "t.priority",
	"category": "t.category",
	"agent":    "t.assignee",
}

// Query selects what a report covers.
type Query struct {
	From, To string        // first and last day, YYYY-MM-DD, both included
	By       string        // one of Groupings, or "" for one group
	Now      time.Time     // backlog: the instant ages are measured at; zero means now
	AtRisk   time.Duration // backlog: business time within which a deadline is at risk; zero means DefaultAtRisk
}

// ErrQuery is wrapped by every error about a Query's values.
var ErrQuery = errors.New("report: bad query")

// QueryError is a mistake in one of a Query's values; it wraps ErrQuery.
type QueryError struct {
	Field   string // the value's name in the API: from, to, by or at_risk
	Message string // what is wrong with it, to follow its name
}

func (e *QueryError) Error() string { return ErrQuery.Error() + ": " + e.Field + " " + e.Message }

func (e *QueryError) Unwrap() error { return ErrQuery }

func queryError(field, format string, args ...any) error {
	return &QueryError{Field: field, Message: fmt.Sprintf(format, args...)}
}

// period is a Query's days as instants: [start, end).
type period struct {
	from, to   string
	start, end time.Time
	zone       string
}

// period reads q's days in the calendar's time zone.
func (d Desk) period(q Query) (period, error) {
	loc := d.calendar().Location()
	to, err := time.ParseInLocation(time.DateOnly, q.To, loc)
	if err != nil {
		return period{}, queryError("to", "%q is not a date YYYY-MM-DD", q.To)
	}
	from, err := time.ParseInLocation(time.DateOnly, q.From, loc)
	if err != nil {
		return period{}, queryError("from", "%q is not a date YYYY-MM-DD", q.From)
	}
	if to.Before(from) {
		return period{}, queryError("to", "%s is before from %s", q.To, q.From)
	}
	if to.Sub(from) > 3660*24*time.Hour {
		return period{}, queryError("from", "%s to %s is more than ten years", q.From, q.To)
	}
	return period{from: q.From, to: q.To, start: from, end: to.AddDate(0, 0, 1), zone: loc.String()}, nil
}

// group returns the SQL expression of q.By.
func group(by string) (string, error) {
	col, ok := groupColumn[by]
	if !ok {
		return "", queryError("by", "%q is not one of %s", by, strings.Join(Groupings, ", "))
	}
	return col, nil
}

// hours converts seconds to hours, rounded to two decimals.
func hours(seconds float64) float64 {
	return float64(int64(seconds/36+0.5)) / 100
}

// pct returns n of total as a percentage with one decimal, or nil when
// total is 0.
func pct(n, total int) *float64 {
	if total == 0 {
		return nil
	}
	p := float64(int64(float64(n)*1000/float64(total)+0.5)) / 10
	return &p
}

func sortGroups[G any](gs []G, name func(G) string) {
	slices.SortFunc(gs, func(a, b G) int { return strings.Compare(name(a), name(b)) })
}
