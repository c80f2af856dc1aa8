package ticketing_test

import (
	"context"
	"crypto/sha256"
	"fmt"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/deskgate/deskgate/internal/dbtest"
	"github.com/deskgate/deskgate/ticketing"
	"github.com/deskgate/deskgate/ticketing/rules"
)

// Content stored ahead of Receive (as mailin does) stays only where a
// stored message has it: erasure and retention find content only through
// attachments, so an ignored message's files must not linger.
func TestBlobsStoredAheadStayOnlyForStoredMail(t *testing.T) {
	t.Parallel()
	pool := dbtest.Pool(t)
	ctx := context.Background()
	desk := policyDesk(t,
		rules.Rule{Name: "newsletter", On: rules.OnCreated, When: `from.domain == "news.example"`, Then: rules.Then{Ignore: "newsletter"}})
	logo := []byte("the logo both mails carry")
	offer := []byte("a brochure only the newsletter carries")
	news := human(capture(t, pool, "support", 1), "n@news.example", "Our offers")
	news.From = ticketing.Address{Address: "info@news.example"}
	news.Attachments = []ticketing.Attachment{{Filename: "logo.png", ContentType: "image/png", Data: logo},
		{Filename: "offer.pdf", ContentType: "application/pdf", Data: offer}}
	asked := human(capture(t, pool, "support", 2), "q@customer.example", "Question")
	asked.Attachments = []ticketing.Attachment{{Filename: "logo.png", ContentType: "image/png", Data: logo}}
	news.Derive()

	var out []ticketing.Outcome
	err := pgx.BeginFunc(ctx, pool, func(tx pgx.Tx) error {
		ins := []ticketing.Inbound{news, asked}
		if err := ticketing.StoreBlobs(ctx, tx, []*ticketing.Inbound{&ins[0], &ins[1]}); err != nil {
			return err
		}
		var err error
		out, err = desk.Receive(ctx, tx, ins)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if out[0].Status != ticketing.StatusIgnored || out[1].Status != ticketing.StatusTicketed {
		t.Fatalf("outcomes = %+v, want the newsletter ignored and the question ticketed", out)
	}
	for _, c := range []struct {
		data []byte
		want bool
	}{{logo, true}, {offer, false}} {
		sum := sha256.Sum256(c.data)
		var stored bool
		if err := pool.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM blobs WHERE sha256 = $1 AND data = $2)`, sum[:], c.data).Scan(&stored); err != nil {
			t.Fatal(err)
		}
		if stored != c.want {
			t.Errorf("content %q stored = %v, want %v", c.data, stored, c.want)
		}
	}
}

// Content that retention (or erasure) removed comes back when a new mail
// carries the same file, whether mailin stored it ahead of Receive or
// Receive stored it: blobs are shared by SHA-256, and a new ticket's file
// read back empty before (a form or logo every customer sends).
func TestRemovedContentComesBackWithANewCopy(t *testing.T) {
	t.Parallel()
	pool := dbtest.Pool(t)
	ctx := context.Background()
	desk := policyDesk(t)
	form := []byte("the order form every customer sends")
	logo := []byte("the logo in every signature")
	withFiles := func(uid int, from, subject string) ticketing.Inbound {
		in := human(capture(t, pool, "support", uid), from, subject)
		in.Attachments = []ticketing.Attachment{{Filename: "form.pdf", ContentType: "application/pdf", Data: form},
			{Filename: "logo.png", ContentType: "image/png", Data: logo}}
		return in
	}
	apply := func(in ticketing.Inbound, ahead bool) int64 {
		t.Helper()
		var out []ticketing.Outcome
		err := pgx.BeginFunc(ctx, pool, func(tx pgx.Tx) error {
			ins := []ticketing.Inbound{in}
			if ahead {
				if err := ticketing.StoreBlobs(ctx, tx, []*ticketing.Inbound{&ins[0]}); err != nil {
					return err
				}
			}
			var err error
			out, err = desk.Receive(ctx, tx, ins)
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		return out[0].TicketID
	}
	stored := func(data []byte) string {
		t.Helper()
		sum := sha256.Sum256(data)
		var got []byte
		var removed bool
		if err := pool.QueryRow(ctx, `SELECT data, removed_at IS NOT NULL FROM blobs WHERE sha256 = $1`, sum[:]).Scan(&got, &removed); err != nil {
			t.Fatal(err)
		}
		return fmt.Sprintf("%q removed=%v", got, removed)
	}

	old := apply(withFiles(1, "a@customer.example", "Order"), true)
	closeLongAgo(t, pool, old)
	if _, err := ticketing.Retain(ctx, pool, retentionAfter); err != nil {
		t.Fatal(err)
	}
	if got, want := stored(form), `"" removed=true`; got != want {
		t.Fatalf("after retention the form is %s, want %s", got, want)
	}
	for i, ahead := range []bool{true, false} {
		apply(withFiles(2+i, fmt.Sprintf("b%d@customer.example", i), fmt.Sprintf("Another order %d", i)), ahead)
		for _, data := range [][]byte{form, logo} {
			if got, want := stored(data), fmt.Sprintf("%q removed=false", data); got != want {
				t.Errorf("stored ahead %v: a new mail's copy left the content %s, want %s", ahead, got, want)
			}
		}
		if _, err := pool.Exec(ctx, `UPDATE blobs SET data = '', removed_at = now()`); err != nil { // removed again, for the next way
			t.Fatal(err)
		}
	}
}
