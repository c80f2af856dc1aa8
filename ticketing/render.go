package ticketing

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"

	"github.com/jackc/pgx/v5"

	"github.com/deskgate/deskgate/templates"
)

// renders holds what the mail of one claim rendered to, so that mail whose
// templates cannot read the recipient, with otherwise equal data, is
// rendered once: a new ticket's mail to each agent of its team (a third
// of the templates run in BenchmarkIngest, and the larger ones), claimed
// together as it was queued together.
type renders map[renderKey][]rendered

type renderKey struct {
	event, lang string
	ticket      int64
}

// rendered is one render and its data, without the recipient.
type rendered struct {
	data templates.Data
	r    templates.Rendered
}

// render renders event in lang with data, or takes what an equal render
// in rs gave; rs nil renders.
func (d *Desk) render(rs renders, event, lang string, data templates.Data) (templates.Rendered, error) {
	set := d.notes.set
	if rs == nil || set.ReadsRecipient(event, lang) {
		return set.Render(event, lang, data)
	}
	k := renderKey{event: event, lang: lang, ticket: data.Ticket.Number}
	anyone := data
	anyone.Recipient = templates.Person{}
	for _, e := range rs[k] {
		if reflect.DeepEqual(e.data, anyone) {
			return e.r, nil
		}
	}
	r, err := set.Render(event, lang, data)
	if err == nil {
		rs[k] = append(rs[k], rendered{data: anyone, r: r})
	}
	return r, err
}

// renderData is what a notification's bodies are rendered from, stored
// with it as JSON (outbox.render_data) until it is first claimed.
type renderData struct {
	Event    string         `json:"event"`
	Language string         `json:"language"`
	Data     templates.Data `json:"data"`
}

// Unrendered reports whether n's bodies are still to be rendered: a sender
// passes the notifications it claimed to RenderClaimed before it sends any.
func (n *Notification) Unrendered() bool { return n.renderData != "" }

// renderBodies renders n's bodies from its render data, through rs (nil
// for none).
func (d *Desk) renderBodies(n *Notification, rs renders) error {
	if n.renderData == "" {
		return nil
	}
	if d.notes == nil {
		return errors.New("ticketing: no templates configured")
	}
	var rd renderData
	if err := json.Unmarshal([]byte(n.renderData), &rd); err != nil {
		return fmt.Errorf("ticketing: reading the data of notification %d: %w", n.ID, err)
	}
	r, err := d.render(rs, rd.Event, rd.Language, rd.Data)
	if err != nil {
		return fmt.Errorf("ticketing: rendering %s for ticket %d: %w", rd.Event, n.TicketID, err)
	}
	n.Text, n.HTML = r.Text, r.HTML
	return nil
}

// fixBodiesSQL stores the bodies rendered for claimed notifications, if
// owner $1 still holds each claim for its attempt and nothing fixed them
// before; one whose template failed is recorded failed instead, with the
// error and a notification.failed event on its ticket, as a send that
// fails for good is, its claim ended and its attempt taken back (none was
// made). It returns the rows it fixed. It locks the
// rows in the order of their ids first, as renewClaimsSQL does
// (TestClaimsLockedInIDOrder). It runs after KeyLookupsSQL, and the owner
// is compared through coalesce, so that the rows are found by id: with a
// plan made while the outbox was nearly empty, it read the whole outbox,
// and through outbox_leased, an entry for every email the owner settled
// since the last vacuum (TestFixingBodiesReadsOnlyTheirRows: 3,025 rows
// read for 20).
const fixBodiesSQL = `
WITH locked AS (
    SELECT id FROM outbox WHERE id = ANY($2) ORDER BY id FOR NO KEY UPDATE
), fixed AS (
    UPDATE outbox o SET text_body = u.text_body, html_body = u.html_body, render_data = NULL,
        status = CASE WHEN u.failure = '' THEN o.status ELSE 'failed' END,
        reason = CASE WHEN u.failure = '' THEN o.reason ELSE u.failure END,
        attempts = o.attempts - CASE WHEN u.failure = '' THEN 0 ELSE 1 END,
        lease_owner = CASE WHEN u.failure = '' THEN o.lease_owner END,
        lease_until = CASE WHEN u.failure = '' THEN o.lease_until END
    FROM unnest($2::bigint[], $3::int[], $4::text[], $5::text[], $6::text[]) AS u (id, attempt, text_body, html_body, failure)
    WHERE o.id = u.id AND o.id IN (SELECT id FROM locked) AND coalesce(o.lease_owner, '') = $1 AND o.attempts = u.attempt
        AND o.render_data IS NOT NULL
    RETURNING o.id, o.ticket_id, o.event, o.recipient, o.message_id, o.attempts, u.failure
), failed AS (
    INSERT INTO events (ticket_id, actor, kind, detail)
    SELECT ticket_id, 'deskgate', 'notification.failed', jsonb_build_object('outbox', id, 'event', event, 'to', recipient,
        'message_id', message_id, 'attempts', attempts, 'reply', failure)
    FROM fixed WHERE failure <> '' AND ticket_id IS NOT NULL
)
SELECT id FROM fixed`

// RenderClaimed renders the bodies of the notifications in ns that owner
// claimed unrendered (the mail Receive and the other changes queue), with
// the templates of d, and fixes them in the outbox before any is sent, so
// that every attempt sends the same bytes. It returns ns without those it
// could not fix: a claim lost meanwhile (another sender holds the row now),
// or a template that failed, which is recorded as the row's failure.
// Rendering here, not where the mail is queued, keeps it out of the
// transaction that applies a batch of incoming mail, which every message
// of a backlog waits behind, and leaves mail held back (by the circuit
// breaker, the rate limits, an SMTP outage) unrendered until it can go.
func (d *Desk) RenderClaimed(ctx context.Context, db Batcher, owner string, ns []Notification) ([]Notification, error) {
	var ids []int64
	var attempts []int32
	var texts, htmls, failures []string
	failed := map[int64]bool{}
	rs := renders{}
	for i := range ns {
		n := &ns[i]
		if n.renderData == "" {
			continue
		}
		failure := ""
		if err := d.renderBodies(n, rs); err != nil {
			d.log.Error("ticketing: a notification could not be rendered", "event", n.Event, "ticket", n.TicketID, "err", err)
			failure, n.Text, n.HTML = "could not render the template: "+err.Error(), "", ""
			failed[n.ID] = true
		}
		ids, attempts = append(ids, n.ID), append(attempts, int32(n.Attempts))
		texts, htmls, failures = append(texts, n.Text), append(htmls, n.HTML), append(failures, failure)
	}
	if len(ids) == 0 {
		return ns, nil
	}
	fixed := map[int64]bool{}
	b := plannedBatch(KeyLookupsSQL)
	b.Queue(fixBodiesSQL, owner, ids, attempts, texts, htmls, failures).Query(func(rows pgx.Rows) error {
		got, err := pgx.CollectRows(rows, pgx.RowTo[int64])
		for _, id := range got {
			fixed[id] = true
		}
		return err
	})
	if err := db.SendBatch(ctx, b).Close(); err != nil {
		return nil, fmt.Errorf("ticketing: storing the bodies of claimed notifications: %w", err)
	}
	out := make([]Notification, 0, len(ns))
	for _, n := range ns {
		if n.renderData != "" {
			if !fixed[n.ID] || failed[n.ID] {
				continue
			}
			n.renderData = ""
		}
		out = append(out, n)
	}
	return out, nil
}
