package ticketing_test

import (
	"context"
	"crypto/sha256"
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
