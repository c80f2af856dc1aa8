package report_test

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/deskgate/deskgate/internal/dbtest"
	"github.com/deskgate/deskgate/ticketing/sla"
)

// The seeded desk works Monday to Friday, 09:00-17:00 in Stockholm
// (UTC+1 in winter), with Sweden's holidays: 24-26 and 31 December,
// 1 and 6 January are closed.
func stockholm(t testing.TB) *sla.Calendar {
	t.Helper()
	span, err := sla.ParseSpan("09:00-17:00")
	if err != nil {
		t.Fatal(err)
	}
	hours := map[time.Weekday][]sla.Span{}
	for wd := time.Monday; wd <= time.Friday; wd++ {
		hours[wd] = []sla.Span{span}
	}
	cal, err := sla.New(sla.Spec{Name: "office", TimeZone: "Europe/Stockholm", Hours: hours, Holidays: []string{"se"}})
	if err != nil {
		t.Fatal(err)
	}
	return cal
}

// seeder writes a desk's history straight into the domain tables, as
// ticketing would have left it.
type seeder struct {
	t    *testing.T
	pool *pgxpool.Pool
	cal  *sla.Calendar
}

func newSeeder(t *testing.T) *seeder {
	pool := dbtest.Pool(t)
	s := &seeder{t: t, pool: pool, cal: stockholm(t)}
	s.exec(`INSERT INTO mailboxes (name) VALUES ('support')`)
	return s
}

func (s *seeder) exec(sql string, args ...any) {
	s.t.Helper()
	if _, err := s.pool.Exec(context.Background(), sql, args...); err != nil {
		s.t.Fatalf("seed %s: %v", sql, err)
	}
}

// at is a local time in Stockholm, "2026-01-02 15:00".
func (s *seeder) at(local string) time.Time {
	s.t.Helper()
	t, err := time.ParseInLocation("2006-01-02 15:04", local, s.cal.Location())
	if err != nil {
		s.t.Fatal(err)
	}
	return t
}

// ticket inserts ticket id, created at the local time created.
func (s *seeder) ticket(id int64, created, team, priority, status string) {
	s.t.Helper()
	s.exec(`INSERT INTO tickets (id, subject, requester_addr, status, queue, received_at, created_at, team, priority, assignee)
		VALUES ($1, 'ticket', 'someone@example.com', $2, 'support', $3, $3, $4, $5, '')`,
		id, status, s.at(created), team, priority)
	s.mail(id, created, "human", "ticketed")
	s.exec(`INSERT INTO outbox (ticket_id, event, automatic, recipient, status, message_id, from_name, from_addr,
		subject, text_body, created_at, sent_at) VALUES ($1, 'ticket.created', true, 'someone@example.com', 'sent',
		'<ack' || $1::bigint || '>', 'Desk', 'desk@example.com', 'ack', 'ack', $2, $2)`, id, s.at(created))
}

// mail records a captured message of class.
func (s *seeder) mail(ticket int64, at, class, status string) {
	s.t.Helper()
	var tid any
	if ticket != 0 {
		tid = ticket
	}
	s.exec(`INSERT INTO inbound (mailbox, uidvalidity, uid, size, raw, sha256, captured_at, status, class, ticket_id)
		VALUES ('support', 1, (SELECT count(*) + 1 FROM inbound), 10, 'raw', sha256('raw'), $1, $2, $3, $4)`, s.at(at), status, class, tid)
}

// reply records an agent's message on ticket.
func (s *seeder) reply(ticket int64, at, agent, visibility string) {
	s.t.Helper()
	s.exec(`INSERT INTO messages (ticket_id, direction, from_addr, created_at, agent, visibility, search)
		VALUES ($1, 'in', $2, $3, $2, $4, '')`, ticket, agent, s.at(at), visibility)
	s.mail(ticket, at, "human", "attached")
}

// status records a status change of ticket by actor.
func (s *seeder) status(ticket int64, at, from, to, actor string) {
	s.t.Helper()
	s.exec(`INSERT INTO events (ticket_id, at, actor, kind, detail) VALUES ($1, $2, $3, 'status.changed',
		jsonb_build_object('from', $4::text, 'to', $5::text))`, ticket, s.at(at), actor, from, to)
}

// clock stores k as ticket's clock of kind, as ticketing stores it.
func (s *seeder) clock(ticket int64, kind string, k sla.Clock) {
	s.t.Helper()
	var deadline, breached any
	if dl := k.Deadline(s.cal); !dl.IsZero() {
		deadline = dl
	}
	if k.Breached {
		breached = k.Started // when does not matter to the reports
	}
	null := func(t time.Time) any {
		if t.IsZero() {
			return nil
		}
		return t
	}
	s.exec(`INSERT INTO sla_clocks (ticket_id, kind, calendar, target, started, elapsed, running, running_since,
		paused, paused_business, paused_since, stopped, reopens, carried, deadline, breached_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16)`,
		ticket, kind, s.cal.Name(), int64(k.Target/time.Second), k.Started, int64(k.Elapsed/time.Second), k.Running,
		null(k.RunningSince), int64(k.Paused/time.Second), int64(k.PausedBusiness/time.Second), null(k.PausedSince),
		null(k.Stopped), k.Reopens, int64(k.Carried/time.Second), deadline, breached)
}

// jsonOf is v's JSON, for failure messages.
func jsonOf(v any) string {
	b, _ := json.MarshalIndent(v, "", "  ")
	return string(b)
}
