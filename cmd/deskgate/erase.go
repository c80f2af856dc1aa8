package main

import (
	"context"
	"fmt"
	"io"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/deskgate/deskgate/ticketing"
)

// eraseContact runs deskgate contact erase ADDRESS: a data-protection
// request's erasure of one person's data.
func eraseContact(ctx context.Context, address string, stdout io.Writer) error {
	return withDB(ctx, func(pool *pgxpool.Pool) error {
		e, err := ticketing.EraseContact(ctx, pool, address, "cli")
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "%s erased: %d ticket(s) they took part in keep a contact.erased event; the text of %d of their messages "+
			"and the raw bytes of %d captured messages removed; their address and names replaced in %d rows by %s and %q\n",
			address, e.Tickets, e.Messages, e.Raw, e.Rows, e.Pseudonym, "[erased]")
		return nil
	})
}
