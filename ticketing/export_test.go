package ticketing

import (
	"context"
	"log/slog"

	"github.com/jackc/pgx/v5"

	"github.com/deskgate/deskgate/templates"
)

// RenderQueued renders with the embedded templates, and stores, the bodies
// of the queued notifications not rendered yet, as a sender's claim does
// (RenderClaimed), for tests that read the outbox right after mail is
// queued. Every test desk but render_test's uses the embedded templates.
func RenderQueued(ctx context.Context, db DB) error {
	set, err := templates.Load("")
	if err != nil {
		return err
	}
	d := &Desk{log: slog.New(slog.DiscardHandler), notes: &notifier{set: set}}
	rows, err := db.Query(ctx, `SELECT id, coalesce(ticket_id, 0), render_data FROM outbox
		WHERE render_data IS NOT NULL AND status = 'queued' ORDER BY id`)
	if err != nil {
		return err
	}
	ns, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (Notification, error) {
		var n Notification
		return n, row.Scan(&n.ID, &n.TicketID, &n.renderData)
	})
	if err != nil {
		return err
	}
	rs := renders{}
	for i := range ns {
		if err := d.renderBodies(&ns[i], rs); err != nil {
			return err
		}
		if _, err := db.Exec(ctx, `UPDATE outbox SET text_body = $2, html_body = $3, render_data = NULL WHERE id = $1`,
			ns[i].ID, ns[i].Text, ns[i].HTML); err != nil {
			return err
		}
	}
	return nil
}
