package ticketing

import (
	"context"
	"errors"
	"fmt"
	"slices"

	"github.com/jackc/pgx/v5"
)

// ErrNothingHeld means #accept named nobody and the ticket holds no mail
// from people outside it.
var ErrNothingHeld = errors.New("no held mail from people outside the ticket")

// Admit lets people take part in ticket number, as an agent's #accept
// does: the senders whose mail the ticket holds (see Receive), all of them
// when addrs is empty, else those named (a named address that wrote
// nothing is added all the same, as #cc does). Their held messages join
// the conversation; nothing is sent because of them. It returns the
// addresses admitted.
func (d *Desk) Admit(ctx context.Context, db Beginner, number int64, addrs []string, actor string) ([]string, error) {
	var admitted []string
	err := pgx.BeginFunc(ctx, db, func(tx pgx.Tx) error {
		var err error
		admitted, err = d.admit(ctx, tx, number, 0, addrs, actor)
		return err
	})
	return admitted, err
}

const heldSendersSQL = `
SELECT DISTINCT ON (lower(from_addr)) from_name, lower(from_addr) FROM messages WHERE ticket_id = $1 AND held ORDER BY lower(from_addr), id`

const releaseHeldSQL = `
WITH m AS (
    UPDATE messages SET held = false, visibility = 'public'
    WHERE ticket_id = $1 AND held AND lower(from_addr) = ANY($2) RETURNING id
)
INSERT INTO events (ticket_id, inbound_id, actor, kind, detail)
VALUES ($1, $3, $4, 'participant.admitted', jsonb_build_object('addresses', $2::text[],
    'messages', (SELECT count(*) FROM m), 'why', 'admitted by an agent: their held mail joins the conversation'))
RETURNING id`

// admit is Admit inside tx, for the mail captureID (0 for none).
func (d *Desk) admit(ctx context.Context, tx pgx.Tx, number, captureID int64, addrs []string, actor string) ([]string, error) {
	var id int64
	err := tx.QueryRow(ctx, `SELECT id FROM tickets WHERE id = $1 FOR NO KEY UPDATE`, number).Scan(&id)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, fmt.Errorf("ticket #%d: %w", number, ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("ticketing: reading ticket %d: %w", number, err)
	}
	rows, err := tx.Query(ctx, heldSendersSQL, id)
	if err != nil {
		return nil, fmt.Errorf("ticketing: reading held mail: %w", err)
	}
	held, err := pgx.CollectRows(rows, pgx.RowToStructByPos[Address])
	if err != nil {
		return nil, fmt.Errorf("ticketing: reading held mail: %w", err)
	}
	var who []Address
	if len(addrs) == 0 {
		if len(held) == 0 {
			return nil, fmt.Errorf("ticket #%d: %w", number, ErrNothingHeld)
		}
		who = held
	}
	for _, a := range addrs {
		a = lower(a)
		if i := slices.IndexFunc(held, func(h Address) bool { return h.Address == a }); i >= 0 {
			who = append(who, held[i])
		} else {
			who = append(who, Address{Address: a})
		}
	}
	b := &pgx.Batch{}
	var admitted []string
	for _, a := range who {
		if d.isDesk(a.Address) || d.isAgent(a.Address) {
			return nil, fmt.Errorf("ticket #%d: %s is the desk's or an agent's address, which never takes part as a participant", number, a.Address)
		}
		queueAddParticipant(b, id, captureID, a, "cc", "admitted by "+actor, 0)
		admitted = append(admitted, a.Address)
	}
	b.Queue(releaseHeldSQL, id, admitted, nullID(captureID), actor)
	err = runBatch(ctx, tx, b, func(k int, row pgx.Row) error {
		if err := row.Scan(new(int64)); err != nil && !errors.Is(err, pgx.ErrNoRows) {
			return err // ErrNoRows: a participant already
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("ticketing: admitting to ticket %d: %w", number, err)
	}
	return admitted, nil
}
