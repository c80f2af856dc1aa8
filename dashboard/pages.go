package dashboard

import (
	"encoding/hex"
	"encoding/json"
	"errors"
	"mime"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/microcosm-cc/bluemonday"
	"golang.org/x/sync/errgroup"

	"github.com/deskgate/deskgate/ticketing"
	"github.com/deskgate/deskgate/ticketing/report"
)

// Overview is the overview page's data.
type Overview struct {
	Queues     []string
	Priorities []string
	Open       map[string]map[string]int // queue → priority → open tickets
	Soon       []Due                     // due within four business hours
	Breached   []Due
	Today      report.Day
}

// Due is a running clock's deadline.
type Due struct {
	Ticket  int64
	Subject string
	Clock   string
	Due     time.Time
	Left    string // business time left, or how long ago it was due
}

const openByQueueSQL = `
SELECT queue, priority, count(*)::int FROM tickets
WHERE status IN ('new', 'open', 'pending') GROUP BY 1, 2 ORDER BY 1, 2`

// duesSQL reads running clocks due by $1 (breached) or soonest after it.
const duesSQL = `
(SELECT t.id, t.subject, c.kind, c.deadline FROM sla_clocks c JOIN tickets t ON t.id = c.ticket_id
 WHERE c.running AND c.deadline <= $1 AND t.status IN ('new', 'open', 'pending') ORDER BY c.deadline LIMIT 50)
UNION ALL
(SELECT t.id, t.subject, c.kind, c.deadline FROM sla_clocks c JOIN tickets t ON t.id = c.ticket_id
 WHERE c.running AND c.deadline > $1 AND t.status IN ('new', 'open', 'pending') ORDER BY c.deadline LIMIT 50)`

func (d *Dashboard) overview(w http.ResponseWriter, r *http.Request, agent string) {
	ctx := r.Context()
	now := d.o.Now()
	o := Overview{Open: map[string]map[string]int{}}
	rows, err := d.o.DB.Query(ctx, openByQueueSQL)
	if err != nil {
		d.failErr(w, r, err)
		return
	}
	seen := map[string]bool{}
	var queue, priority string
	var n int
	_, err = pgx.ForEachRow(rows, []any{&queue, &priority, &n}, func() error {
		priority = orDash(priority)
		if o.Open[queue] == nil {
			o.Open[queue] = map[string]int{}
			o.Queues = append(o.Queues, queue)
		}
		o.Open[queue][priority] = n
		if !seen[priority] {
			seen[priority] = true
			o.Priorities = append(o.Priorities, priority)
		}
		return nil
	})
	if err != nil {
		d.failErr(w, r, err)
		return
	}
	cal := d.o.Report.Calendar
	rows, err = d.o.DB.Query(ctx, duesSQL, now)
	if err != nil {
		d.failErr(w, r, err)
		return
	}
	var due Due
	_, err = pgx.ForEachRow(rows, []any{&due.Ticket, &due.Subject, &due.Clock, &due.Due}, func() error {
		if !due.Due.After(now) {
			due.Left = "due " + now.Sub(due.Due).Round(time.Minute).String() + " ago"
			o.Breached = append(o.Breached, due)
		} else if left := cal.Between(now, due.Due); left <= 4*time.Hour {
			due.Left = left.Round(time.Minute).String() + " of business time left"
			o.Soon = append(o.Soon, due)
		}
		return nil
	})
	if err != nil {
		d.failErr(w, r, err)
		return
	}
	today := now.In(cal.Location()).Format(time.DateOnly)
	v, err := report.VolumeReport(ctx, d.o.DB, d.o.Report, report.Query{From: today, To: today})
	if err != nil {
		d.failErr(w, r, err)
		return
	}
	o.Today = v.Days[0]
	d.render(w, r, http.StatusOK, "overview", page{Title: "Overview", Agent: agent, Nav: "overview", Data: o})
}

// TicketFilter is the ticket list's filters, from the query string.
type TicketFilter struct {
	Status, Queue, Priority, Team, Assignee, Q string
}

// TicketList is the ticket list page's data.
type TicketList struct {
	Filter   TicketFilter
	Statuses []string
	Tickets  []ListedTicket
}

// ListedTicket is one line of the ticket list.
type ListedTicket struct {
	Number                                 int64
	Subject, Status, Priority, Queue, Team string
	Assignee, Requester                    string
	Updated                                time.Time
}

// listSQL lists the newest 200 tickets matching the filters; $6 searches
// the subject and the requester's address.
const listSQL = `
SELECT id, subject, status, priority, queue, team, assignee, requester_addr, updated_at FROM tickets
WHERE ($1 = '' OR status = $1) AND ($2 = '' OR queue = $2) AND ($3 = '' OR priority = $3)
  AND ($4 = '' OR team = $4) AND ($5 = '' OR assignee = $5)
  AND ($6 = '' OR subject ILIKE '%' || $6 || '%' OR requester_addr ILIKE '%' || $6 || '%')
ORDER BY id DESC LIMIT 200`

func (d *Dashboard) tickets(w http.ResponseWriter, r *http.Request, agent string) {
	q := r.URL.Query()
	f := TicketFilter{Status: q.Get("status"), Queue: q.Get("queue"), Priority: q.Get("priority"),
		Team: q.Get("team"), Assignee: q.Get("assignee"), Q: strings.TrimSpace(q.Get("q"))}
	like := strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(f.Q)
	rows, err := d.o.DB.Query(r.Context(), listSQL, f.Status, f.Queue, f.Priority, f.Team, f.Assignee, like)
	if err != nil {
		d.failErr(w, r, err)
		return
	}
	list := TicketList{Filter: f, Statuses: ticketing.TicketStatuses(), Tickets: []ListedTicket{}}
	var t ListedTicket
	_, err = pgx.ForEachRow(rows, []any{&t.Number, &t.Subject, &t.Status, &t.Priority, &t.Queue, &t.Team, &t.Assignee,
		&t.Requester, &t.Updated}, func() error {
		list.Tickets = append(list.Tickets, t)
		return nil
	})
	if err != nil {
		d.failErr(w, r, err)
		return
	}
	d.render(w, r, http.StatusOK, "tickets", page{Title: "Tickets", Agent: agent, Nav: "tickets", Data: list})
}

// TicketPage is a ticket's page's data.
type TicketPage struct {
	*ticketing.Ticket
	Messages []ShownMessage
	Explain  map[string]string // clock kind → the last explanation logged
	Timeline []Entry
}

// ShownMessage is a message with its HTML made safe to show.
type ShownMessage struct {
	ticketing.Message
	SafeHTML string // bluemonday's UGC policy, for a sandboxed frame's srcdoc
}

// Entry is one event of the timeline.
type Entry struct {
	ticketing.Event
	Detail string
}

// sanitizer is bluemonday's policy for user-generated content: no script,
// no event handler, no javascript: URL, no style; images keep only
// data: URLs, so nothing remote loads.
func sanitizer() *bluemonday.Policy {
	p := bluemonday.UGCPolicy()
	p.AllowURLSchemes("mailto", "http", "https")
	p.RequireNoReferrerOnLinks(true)
	p.AddTargetBlankToFullyQualifiedLinks(true)
	p.AllowURLSchemeWithCustomPolicy("data", func(u *url.URL) bool { return strings.HasPrefix(u.Opaque, "image/") })
	p.RewriteSrc(func(u *url.URL) {
		if u.Scheme != "data" {
			*u = url.URL{}
		}
	})
	return p
}

var policy = sanitizer()

func (d *Dashboard) ticket(w http.ResponseWriter, r *http.Request, agent string) {
	n, err := strconv.ParseInt(r.PathValue("n"), 10, 64)
	if err != nil || n <= 0 {
		d.fail(w, r, http.StatusNotFound, "no such ticket")
		return
	}
	t, err := ticketing.GetTicket(r.Context(), d.o.DB, n)
	if errors.Is(err, ticketing.ErrNotFound) {
		d.fail(w, r, http.StatusNotFound, "no such ticket")
		return
	}
	if err != nil {
		d.failErr(w, r, err)
		return
	}
	p := TicketPage{Ticket: t, Explain: map[string]string{}}
	for _, m := range t.Thread {
		sm := ShownMessage{Message: m}
		if m.HTML != "" {
			sm.SafeHTML = policy.Sanitize(m.HTML)
		}
		p.Messages = append(p.Messages, sm)
	}
	for _, e := range t.Events {
		var detail map[string]any
		_ = json.Unmarshal(e.Detail, &detail)
		clocks, _ := detail["clocks"].([]any) // priority.set: the clocks it started
		if e.Kind == "sla.clock" {
			clocks = []any{detail}
		}
		for _, c := range clocks {
			c, _ := c.(map[string]any)
			clock, _ := c["clock"].(string)
			if ex, _ := c["explain"].(string); clock != "" && ex != "" {
				p.Explain[clock] = ex
			}
		}
		p.Timeline = append(p.Timeline, Entry{Event: e, Detail: describe(detail)})
	}
	d.render(w, r, http.StatusOK, "ticket", page{Title: "#" + strconv.FormatInt(n, 10) + " " + t.Subject, Agent: agent,
		Nav: "tickets", Data: p})
}

// describe is an event's detail as short text.
func describe(detail map[string]any) string {
	var parts []string
	for _, k := range []string{"from", "to", "why", "priority", "rule", "clock", "explain", "into", "relay", "errors"} {
		if v, ok := detail[k]; ok {
			b, _ := json.Marshal(v)
			s := strings.Trim(string(b), `"`)
			parts = append(parts, k+": "+s)
		}
	}
	return strings.Join(parts, "; ")
}

const attachmentSQL = `
SELECT a.filename, b.data FROM attachments a JOIN messages m ON m.id = a.message_id JOIN blobs b ON b.sha256 = a.sha256
WHERE m.ticket_id = $1 AND a.sha256 = $2 AND b.removed_at IS NULL LIMIT 1`

// attachment downloads one attachment of a ticket, never shown inline.
func (d *Dashboard) attachment(w http.ResponseWriter, r *http.Request, agent string) {
	n, err1 := strconv.ParseInt(r.PathValue("n"), 10, 64)
	sum, err2 := hex.DecodeString(r.PathValue("sha"))
	if err1 != nil || err2 != nil {
		d.fail(w, r, http.StatusNotFound, "no such attachment")
		return
	}
	var name string
	var data []byte
	err := d.o.DB.QueryRow(r.Context(), attachmentSQL, n, sum).Scan(&name, &data)
	if errors.Is(err, pgx.ErrNoRows) {
		d.fail(w, r, http.StatusNotFound, "no such attachment (or its content was removed by retention)")
		return
	}
	if err != nil {
		d.failErr(w, r, err)
		return
	}
	if name == "" {
		name = "attachment"
	}
	w.Header().Set("Content-Type", "application/octet-stream")
	w.Header().Set("Content-Disposition", mime.FormatMediaType("attachment", map[string]string{"filename": name}))
	_, _ = w.Write(data)
}

// Reports is the reports page's data.
type Reports struct {
	From, To string
	Volume   *report.Volume
	SLA      *report.SLA
	Backlog  *report.Backlog
	Agents   *report.Agents
	Charts   struct{ Volume, SLA, Backlog Chart }
}

func (d *Dashboard) reports(w http.ResponseWriter, r *http.Request, agent string) {
	ctx := r.Context()
	now := d.o.Now()
	// The period deskgate report and the API's reports default to.
	q := d.o.Report.Defaults(report.Query{To: r.URL.Query().Get("to"), From: r.URL.Query().Get("from"), Now: now})
	var p Reports
	p.From, p.To = q.From, q.To
	bq := q
	bq.By = "team"
	// The four reports run two at a time, each on a connection of its own:
	// about as fast as four on two cores, and the rest of serve's pool (four
	// connections there by default) stays free for mail.
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(2)
	// The longest first.
	g.Go(func() (err error) { p.SLA, err = report.SLAReport(gctx, d.o.DB, d.o.Report, bq); return err })
	g.Go(func() (err error) { p.Agents, err = report.AgentsReport(gctx, d.o.DB, d.o.Report, q); return err })
	g.Go(func() (err error) { p.Volume, err = report.VolumeReport(gctx, d.o.DB, d.o.Report, q); return err })
	g.Go(func() (err error) {
		p.Backlog, err = report.BacklogReport(gctx, d.o.DB, d.o.Report, report.Query{Now: now})
		return err
	})
	if err := g.Wait(); errors.Is(err, report.ErrQuery) {
		d.fail(w, r, http.StatusBadRequest, err.Error())
		return
	} else if err != nil {
		d.failErr(w, r, err)
		return
	}
	p.Charts.Volume = volumeChart(p.Volume)
	p.Charts.SLA = slaChart(p.SLA)
	p.Charts.Backlog = backlogChart(p.Backlog)
	d.render(w, r, http.StatusOK, "reports", page{Title: "Reports", Agent: agent, Nav: "reports", Data: p})
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
