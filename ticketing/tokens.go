package ticketing

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/deskgate/deskgate/ticketing/token"
)

// EvidenceToken is the strongest evidence: a valid signed token of ours in
// a plus-address the reply was sent to, or in a Message-ID it refers to.
const EvidenceToken = "token"

// carried is what tokens one message carries.
type carried struct {
	valid   []token.Claims // strongest first
	invalid []string       // forged, tampered or signed with a retired key
}

// readTokens extracts and verifies the tokens of every message: plus
// addresses (To, Cc, Delivered-To, X-Original-To) first, then Message-IDs in
// In-Reply-To and References, newest first.
func (d *Desk) readTokens(ins []Inbound) []carried {
	out := make([]carried, len(ins))
	if d.tokens == nil {
		return out
	}
	for i := range ins {
		in := &ins[i]
		addrs := append([]string{}, in.EnvelopeTo...)
		for _, a := range append(append([]Address{}, in.To...), in.Cc...) {
			addrs = append(addrs, a.Address)
		}
		var ids []string
		for _, r := range references(in) {
			ids = append(ids, r.Value)
		}
		v1, bad1 := d.tokens.FromAddresses(addrs, d.address)
		v2, bad2 := d.tokens.FromMessageIDs(ids, d.domain)
		out[i] = carried{valid: append(v1, v2...), invalid: append(bad1, bad2...)}
	}
	return out
}

const existingTicketsSQL = `SELECT id FROM tickets WHERE id = ANY($1)`

// existingTickets returns which of the tickets the batch's tokens name exist.
func existingTickets(ctx context.Context, tx pgx.Tx, toks []carried) (map[int64]bool, error) {
	var ids []int64
	for _, c := range toks {
		for _, cl := range c.valid {
			ids = append(ids, int64(cl.Ticket))
		}
	}
	exist := map[int64]bool{}
	if len(ids) == 0 {
		return exist, nil
	}
	rows, err := tx.Query(ctx, existingTicketsSQL, ids)
	if err != nil {
		return nil, fmt.Errorf("ticketing: checking token tickets: %w", err)
	}
	var id int64
	_, err = pgx.ForEachRow(rows, []any{&id}, func() error { exist[id] = true; return nil })
	if err != nil {
		return nil, fmt.Errorf("ticketing: checking token tickets: %w", err)
	}
	return exist, nil
}

// tokenEvidence is the first valid token naming an existing ticket.
func tokenEvidence(c carried, exist map[int64]bool) (int64, Evidence, bool) {
	for _, cl := range c.valid {
		if t := int64(cl.Ticket); exist[t] {
			return t, Evidence{Kind: EvidenceToken, Value: fmt.Sprintf("ticket #%d, issued to recipient %d", t, cl.Recipient)}, true
		}
	}
	return 0, Evidence{}, false
}
