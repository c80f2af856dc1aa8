package ticketing_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/deskgate/deskgate/internal/dbtest"
	"github.com/deskgate/deskgate/templates"
	"github.com/deskgate/deskgate/ticketing"
)

// TestAgentsMailRenderedForEach: a new ticket's mail to each agent of its
// team, rendered once when its templates cannot read the recipient, is
// the same for both and greets each agent by name when an override's
// template does.
func TestAgentsMailRenderedForEach(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	if err := os.Mkdir(filepath.Join(dir, "en"), 0o755); err != nil {
		t.Fatal(err)
	}
	greeting := `{{define "subject"}}{{.Ticket.Tag}} New ticket{{end}}Hi {{.Recipient.Name}}, {{.Ticket.Tag}} is new.` + "\n"
	if err := os.WriteFile(filepath.Join(dir, "en", templates.NewTicket+".txt"), []byte(greeting), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		dir  string
		want func(r outboxRow) string // what the mail's text holds
	}{
		{"", func(outboxRow) string { return "wrote:" }},
		{dir, func(r outboxRow) string {
			return map[string]string{"ada@desk.example": "Hi Ada,", "bo@desk.example": "Hi Bo,"}[r.Recipient]
		}},
	} {
		pool := dbtest.Pool(t)
		desk, _ := notifyingDeskWith(t, func(nc *ticketing.NotifyConfig) {
			set, err := templates.Load(c.dir)
			if err != nil {
				t.Fatal(err)
			}
			nc.Templates = set
		})
		receiveWith(t, pool, desk, human(capture(t, pool, "support", 1), "first@example.se", "Printer"))
		// rendered as a sender renders what it claimed, with this desk's templates
		ns, err := ticketing.ClaimNotifications(context.Background(), pool, "test", time.Minute, 50, true)
		if err == nil {
			_, err = desk.RenderClaimed(context.Background(), pool, "test", ns)
		}
		if err != nil {
			t.Fatal(err)
		}
		var agents []outboxRow
		for _, r := range outbox(t, pool) {
			if r.Event == templates.NewTicket {
				agents = append(agents, r)
			}
		}
		if len(agents) != 2 {
			t.Fatalf("templates %q: %d new-ticket mails, want one to each of two agents", c.dir, len(agents))
		}
		for _, r := range agents {
			if !strings.Contains(r.Text, c.want(r)) {
				t.Errorf("templates %q: new-ticket mail to %s reads %q, want %q in it", c.dir, r.Recipient, r.Text, c.want(r))
			}
		}
		if c.dir == "" && agents[0].Text != agents[1].Text {
			t.Errorf("new-ticket mails to two agents differ: %q and %q", agents[0].Text, agents[1].Text)
		}
	}
}

// TestBodiesRenderedWhenFirstClaimed: Receive queues a notification with
// its subject and the data of its bodies; the sender's first claim renders
// the bodies and fixes them, so that a retry sends the same bytes, even
// after the templates changed (a reload). A claim lost meanwhile fixes
// nothing, and a template that fails by then fails that one email.
func TestBodiesRenderedWhenFirstClaimed(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	pool := dbtest.Pool(t)
	desk, _ := notifyingDesk(t)
	in := human(capture(t, pool, "support", 1), "m1@example.se", "Printer")
	in.Text, in.NewText = "The printer on floor 3 jams.", "The printer on floor 3 jams."
	receiveWith(t, pool, desk, in)
	var queued, unrendered int
	if err := pool.QueryRow(ctx, `SELECT count(*), count(*) FILTER (WHERE text_body = '' AND html_body = '' AND render_data IS NOT NULL)
		FROM outbox WHERE status = 'queued'`).Scan(&queued, &unrendered); err != nil {
		t.Fatal(err)
	}
	if queued != 3 || unrendered != 3 {
		t.Fatalf("after Receive: %d queued, %d without bodies; want the acknowledgement and two agents' mail, none rendered yet", queued, unrendered)
	}

	// A claim lost before its bodies are fixed (its lease ran out and
	// another sender holds it) fixes nothing.
	lost, err := ticketing.ClaimNotifications(ctx, pool, "a", time.Minute, 1, true)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := pool.Exec(ctx, `UPDATE outbox SET lease_owner = 'b' WHERE id = $1`, lost[0].ID); err != nil {
		t.Fatal(err)
	}
	if got, err := desk.RenderClaimed(ctx, pool, "a", lost); err != nil || len(got) != 0 {
		t.Fatalf("RenderClaimed of a lost claim = %d notifications, %v; want none", len(got), err)
	}
	if _, err := pool.Exec(ctx, `UPDATE outbox SET lease_owner = NULL, lease_until = NULL`); err != nil {
		t.Fatal(err)
	}

	ns, err := ticketing.ClaimNotifications(ctx, pool, "a", time.Minute, 10, true)
	if err == nil {
		ns, err = desk.RenderClaimed(ctx, pool, "a", ns)
	}
	if err != nil || len(ns) != 3 {
		t.Fatalf("claimed and rendered %d, %v; want 3", len(ns), err)
	}
	first := map[int64]string{}
	var results []ticketing.SendResult
	for _, n := range ns {
		if n.Unrendered() || !strings.Contains(n.Text, "floor 3") && n.Event != templates.TicketReceived || n.HTML == "" {
			t.Errorf("%s to %s after RenderClaimed: unrendered %v, text %q", n.Event, n.Recipient, n.Unrendered(), n.Text)
		}
		var stored string
		if err := pool.QueryRow(ctx, `SELECT text_body FROM outbox WHERE id = $1 AND render_data IS NULL`, n.ID).Scan(&stored); err != nil || stored != n.Text {
			t.Errorf("%s to %s: stored text %q, %v; want the text rendered", n.Event, n.Recipient, stored, err)
		}
		first[n.ID] = n.Text + n.HTML
		results = append(results, ticketing.SendResult{ID: n.ID, Attempt: n.Attempts, Result: ticketing.ResultRetry, Reply: "451 try later", Retry: time.Now()})
	}
	if err := ticketing.RecordResults(ctx, pool, "a", results, 0); err != nil {
		t.Fatal(err)
	}

	// The templates change before the retry: the bytes do not.
	dir := t.TempDir()
	if err := os.MkdirAll(filepath.Join(dir, "en"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "en", "new-ticket.txt"), []byte(`{{define "subject"}}New{{end}}Changed. {{.Nope}}`), 0o644); err != nil {
		t.Fatal(err)
	}
	reloaded, _ := notifyingDeskWith(t, func(nc *ticketing.NotifyConfig) {
		set, err := templates.Load(dir)
		if err != nil {
			t.Fatal(err)
		}
		nc.Templates = set
	})
	again, err := ticketing.ClaimNotifications(ctx, pool, "b", time.Minute, 10, true)
	if err == nil {
		again, err = reloaded.RenderClaimed(ctx, pool, "b", again)
	}
	if err != nil || len(again) != 3 {
		t.Fatalf("claimed again %d, %v; want 3", len(again), err)
	}
	for _, n := range again {
		if n.Text+n.HTML != first[n.ID] {
			t.Errorf("%s to %s: the retry's bodies differ from the first attempt's", n.Event, n.Recipient)
		}
	}

	// New mail rendered with the changed, broken template fails, alone.
	receiveWith(t, pool, desk, human(capture(t, pool, "support", 2), "m2@example.se", "Scanner"))
	fresh, err := ticketing.ClaimNotifications(ctx, pool, "c", time.Minute, 10, true)
	if err == nil {
		fresh, err = reloaded.RenderClaimed(ctx, pool, "c", fresh)
	}
	if err != nil || len(fresh) != 1 || fresh[0].Event != templates.TicketReceived {
		t.Fatalf("rendered with a broken new-ticket template: %d, %v; want only the acknowledgement", len(fresh), err)
	}
	var failed, events int
	if err := pool.QueryRow(ctx, `SELECT count(*) FROM outbox WHERE event = 'new-ticket' AND status = 'failed'
		AND reason LIKE 'could not render the template:%' AND lease_owner IS NULL AND attempts = 0`).Scan(&failed); err != nil || failed != 2 {
		t.Errorf("new-ticket mail failed for its template, no attempt counted: %d, %v; want 2", failed, err)
	}
	if err := pool.QueryRow(ctx, `SELECT count(*) FROM events WHERE kind = 'notification.failed'
		AND detail->>'reply' LIKE 'could not render the template:%'`).Scan(&events); err != nil || events != 2 {
		t.Errorf("notification.failed events for the template: %d, %v; want 2, as for a failed send", events, err)
	}
}

// TestClaimsLockedInIDOrder: renewing a sender's claims and storing the
// bodies of a claim lock the rows in the order of their ids, whatever the
// order they were claimed in, so that the two never wait for each other in
// a cycle (they deadlocked once a BenchmarkIngest run). While either waits
// for the lowest row, it holds none of the others. Renewing does not pass
// over a locked row either: a claim it skipped could run out while its
// sender believed it renewed.
func TestClaimsLockedInIDOrder(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	pool := dbtest.Pool(t)
	desk, _ := notifyingDesk(t)
	receiveWith(t, pool, desk, human(capture(t, pool, "support", 1), "m1@example.se", "Printer"))
	// due in the reverse order of their ids, so that claims take the highest first
	if _, err := pool.Exec(ctx, `UPDATE outbox SET next_attempt_at = now() - id * interval '1 minute'`); err != nil {
		t.Fatal(err)
	}
	ns, err := ticketing.ClaimNotifications(ctx, pool, "a", time.Minute, 10, true)
	if err != nil || len(ns) != 3 || ns[0].ID < ns[2].ID {
		t.Fatalf("claimed %d, %v; want 3, highest id first", len(ns), err)
	}
	lowest, highest := ns[2].ID, ns[0].ID
	for _, c := range []struct {
		name string
		run  func(context.Context) error
	}{
		{"renewing", func(ctx context.Context) error {
			n, err := ticketing.RenewClaims(ctx, pool, "a", time.Minute)
			if err == nil && n != 3 {
				err = fmt.Errorf("renewed %d claims, want all 3", n)
			}
			return err
		}},
		{"storing bodies", func(ctx context.Context) error {
			got, err := desk.RenderClaimed(ctx, pool, "a", ns)
			if err == nil && len(got) != 3 {
				err = fmt.Errorf("stored the bodies of %d, want 3", len(got))
			}
			return err
		}},
	} {
		tx, err := pool.Begin(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := tx.Exec(ctx, `SELECT 1 FROM outbox WHERE id = $1 FOR NO KEY UPDATE`, lowest); err != nil {
			t.Fatal(err)
		}
		done := make(chan error, 1)
		go func() { done <- c.run(ctx) }()
		time.Sleep(300 * time.Millisecond) // it waits for the lowest row now
		probe, err := pool.Begin(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := probe.Exec(ctx, `SELECT 1 FROM outbox WHERE id = $1 FOR NO KEY UPDATE NOWAIT`, highest); err != nil {
			t.Errorf("%s, waiting for the lowest claim, holds the highest: %v", c.name, err)
		}
		probe.Rollback(ctx)
		tx.Rollback(ctx)
		if err := <-done; err != nil {
			t.Errorf("%s: %v", c.name, err)
		}
	}
}

// TestOffsetOfADayStillNotifies: a Date header with an offset RFC 3339
// cannot write (+2400, which mail parsing accepts) still lets the mail
// about it be queued and rendered; before, every such notification failed
// when its data was stored.
func TestOffsetOfADayStillNotifies(t *testing.T) {
	t.Parallel()
	pool := dbtest.Pool(t)
	desk, _ := notifyingDesk(t)
	in := human(capture(t, pool, "support", 1), "m1@example.se", "Printer")
	in.Date = time.Date(2026, 11, 20, 9, 30, 0, 0, time.FixedZone("", 24*3600))
	receiveWith(t, pool, desk, in)
	rs := outbox(t, pool)
	if len(rs) != 3 {
		t.Fatalf("outbox = %v, want the acknowledgement and two agents' mail", summary(rs))
	}
	for _, r := range rs {
		if r.Status != ticketing.OutboxQueued || r.Text == "" {
			t.Errorf("%s to %s: %s %q, text %q; want queued and rendered", r.Event, r.Recipient, r.Status, r.Reason, r.Text)
		}
	}
}
