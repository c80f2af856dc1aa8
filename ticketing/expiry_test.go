package ticketing_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/deskgate/deskgate/internal/dbtest"
	"github.com/deskgate/deskgate/templates"
	"github.com/deskgate/deskgate/ticketing"
	"github.com/deskgate/deskgate/ticketing/token"
)

// TestExpiredTokenThreadsButDoesNotCommand: a reply token older than the
// command lifetime still threads the agent's reply onto its ticket, but
// its commands are not applied; the agent is told once, in their
// language, how to get a fresh one. A token from before issue times were
// carried counts from the mail that carried it.
func TestExpiredTokenThreadsButDoesNotCommand(t *testing.T) {
	t.Parallel()
	pool := dbtest.Pool(t)
	ctx := context.Background()
	keys := permitKeys(t)
	desk := permitDesk(t, keys, func(c *ticketing.Config) {
		c.Verify.CommandsExpireAfter = 30 * 24 * time.Hour
		c.Notify.Agents[0].Language = "sv"
	})
	id := heldTicket(t, pool, "support", "")
	var contact int64
	if err := pool.QueryRow(ctx, `INSERT INTO contacts (address) VALUES ('ada@desk.example') RETURNING id`).Scan(&contact); err != nil {
		t.Fatal(err)
	}
	uid := 0
	send := func(c token.Claims, text string) ticketing.Outcome {
		t.Helper()
		uid++
		in := human(capture(t, pool, "support", uid), "exp-"+itoa(int64(uid))+"@desk.example", "Re: Printer")
		in.From = ticketing.Address{Name: "Ada", Address: "ada@desk.example"}
		in.To = []ticketing.Address{{Address: keys.ReplyTo(c, "help@desk.example")}}
		in.Text, in.NewText = text, text
		return receiveWith(t, pool, desk, in)[0]
	}
	old := token.Claims{Ticket: uint64(id), Recipient: uint64(contact), Nonce: 1, Issued: token.Hours(time.Now().Add(-31 * 24 * time.Hour))}
	for range 2 {
		if o := send(old, "#status pending\n\nSkickar en ny drivrutin."); o.TicketID != id || o.Evidence.Kind != ticketing.EvidenceToken {
			t.Fatalf("reply with an expired token = ticket %d by %s, want ticket %d by its token", o.TicketID, o.Evidence.Kind, id)
		}
	}
	if st := fields(t, pool, id).Status; st != ticketing.StatusNew {
		t.Errorf("status after #status pending with an expired token = %s, want new", st)
	}
	var reason string
	if err := pool.QueryRow(ctx, `SELECT detail->>'reason' FROM events WHERE ticket_id = $1 AND kind = 'agent.unverified' ORDER BY id LIMIT 1`, id).Scan(&reason); err != nil || reason != templates.ReasonExpiredToken {
		t.Errorf("agent.unverified reason = %q, %v; want %s", reason, err, templates.ReasonExpiredToken)
	}
	var told []string
	for _, r := range outbox(t, pool) {
		if r.Event == templates.ReplyUnverified {
			told = append(told, r.Status+" "+r.Language)
			if r.Status == ticketing.OutboxQueued && !containsAll(r.Text, "svara på ett nyare meddelande", "sammanfattning") {
				t.Errorf("reply-unverified text = %q, want how to get a fresh token, in Swedish", r.Text)
			}
		}
	}
	if len(told) != 2 || told[0] != "queued sv" || told[1] != "suppressed sv" {
		t.Errorf("reply-unverified mails = %q, want one queued in Swedish and the second suppressed (told once)", told)
	}
	relayed := 0
	for _, r := range outbox(t, pool) {
		if r.Event == templates.AgentReply {
			relayed++
		}
	}
	if relayed != 0 {
		t.Errorf("relayed replies with an expired token = %d, want 0", relayed)
	}

	// A fresh token commands.
	fresh := old
	fresh.Issued = token.Hours(time.Now())
	send(fresh, "#status pending")
	if st := fields(t, pool, id).Status; st != ticketing.StatusPending {
		t.Errorf("status after #status pending with a fresh token = %s, want pending", st)
	}
	// A version-1 token counts from the outbox row its nonce names.
	var row int64
	if err := pool.QueryRow(ctx, `SELECT id FROM outbox WHERE ticket_id = $1 ORDER BY id LIMIT 1`, id).Scan(&row); err != nil {
		t.Fatal(err)
	}
	v1 := token.Claims{Ticket: uint64(id), Recipient: uint64(contact), Nonce: uint64(row)}
	send(v1, "#status open")
	if st := fields(t, pool, id).Status; st != ticketing.StatusOpen {
		t.Errorf("status after #status open with a recent version-1 token = %s, want open", st)
	}
	if _, err := pool.Exec(ctx, `UPDATE outbox SET created_at = now() - interval '40 days' WHERE id = $1`, row); err != nil {
		t.Fatal(err)
	}
	send(v1, "#status pending")
	if st := fields(t, pool, id).Status; st != ticketing.StatusOpen {
		t.Errorf("status after #status pending with an old version-1 token = %s, want open", st)
	}
}

func containsAll(s string, subs ...string) bool {
	for _, x := range subs {
		if !strings.Contains(s, x) {
			return false
		}
	}
	return true
}
