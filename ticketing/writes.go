package ticketing

import (
	"context"

	"github.com/jackc/pgx/v5"
)

// writes is one round trip of statements about tickets in which the
// events go in one statement for the whole batch, not one per event, and
// so do its SLA clocks (a statement per row cost PostgreSQL more than the
// rows themselves in BenchmarkIngest). A ticket's rows are written in the order they were
// queued: its events and clocks join the batch-wide statements, which run
// first, only until a statement of its own (next) is queued for the
// ticket; later ones follow that statement, in a statement of their own.
type writes struct {
	batch   pgx.Batch         // the statements after the batch-wide ones
	own     []bool            // by statement of batch: queued by writes, not scanned by the caller
	events  eventRows         // the batch-wide events
	clocks  clockRows         // the batch-wide clocks
	clocked map[clockKey]bool // the clocks in clocks
	late    map[int64]bool    // tickets with a statement in batch
}

type clockKey struct {
	ticket int64
	kind   string
}

// next returns the batch to queue one statement about tickets on, which
// run's scan is given.
func (w *writes) next(tickets ...int64) *pgx.Batch {
	if w.late == nil {
		w.late = map[int64]bool{}
	}
	for _, t := range tickets {
		w.late[t] = true
	}
	w.own = append(w.own, false)
	return &w.batch
}

// event queues an event on ticket by actor.
func (w *writes) event(ticket, captureID int64, actor, kind string, detail map[string]any) {
	if !w.late[ticket] {
		w.events.add(ticket, captureID, actor, kind, detail)
		return
	}
	var r eventRows
	r.add(ticket, captureID, actor, kind, detail)
	r.queue(&w.batch)
	w.own = append(w.own, true)
}

// clock queues the upsert of c for ticket, warning at share warnAt of its
// target.
func (w *writes) clock(ticket int64, c clockRow, warnAt float64) {
	key := clockKey{ticket, c.kind}
	if !w.late[ticket] && !w.clocked[key] {
		if w.clocked == nil {
			w.clocked = map[clockKey]bool{}
		}
		w.clocked[key] = true
		w.clocks.add(ticket, c, warnAt)
		return
	}
	var r clockRows
	r.add(ticket, c, warnAt)
	r.queue(&w.batch)
	w.own = append(w.own, true)
}

// run sends the statements in one round trip; scan reads the result of
// each statement queued through next, k counting them from 0.
func (w *writes) run(ctx context.Context, tx pgx.Tx, scan func(k int, row pgx.Row) error) error {
	var b pgx.Batch
	w.events.queue(&b)
	w.clocks.queue(&b)
	own := make([]bool, b.Len(), b.Len()+len(w.own))
	for i := range own {
		own[i] = true
	}
	own = append(own, w.own...)
	b.QueuedQueries = append(b.QueuedQueries, w.batch.QueuedQueries...)
	k := 0
	return runBatch(ctx, tx, &b, func(i int, row pgx.Row) error {
		if own[i] {
			if err := row.Scan(); err != pgx.ErrNoRows {
				return err
			}
			return nil
		}
		k++
		return scan(k-1, row)
	})
}

// insertEventsSQL inserts events, numbered in the order of its arrays.
const insertEventsSQL = `
INSERT INTO events (ticket_id, inbound_id, actor, kind, detail)
SELECT ticket_id, inbound_id, actor, kind, detail::jsonb
FROM unnest($1::bigint[], $2::bigint[], $3::text[], $4::text[], $5::text[]) WITH ORDINALITY
    AS u (ticket_id, inbound_id, actor, kind, detail, n)
ORDER BY n`

// eventRows are insertEventsSQL's arguments.
type eventRows struct {
	ticket              []int64
	inbound             []*int64
	actor, kind, detail []string
}

func (r *eventRows) add(ticket, captureID int64, actor, kind string, detail map[string]any) {
	r.ticket, r.inbound, r.actor = append(r.ticket, ticket), append(r.inbound, idOrNil(captureID)), append(r.actor, actor)
	r.kind, r.detail = append(r.kind, kind), append(r.detail, string(jsonOf(detail)))
}

// queue queues the insert of the rows on b, if there are any.
func (r *eventRows) queue(b *pgx.Batch) {
	if len(r.ticket) > 0 {
		b.Queue(insertEventsSQL, r.ticket, r.inbound, r.actor, r.kind, r.detail)
	}
}
