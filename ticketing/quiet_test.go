package ticketing_test

import (
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/deskgate/deskgate/internal/dbtest"
	"github.com/deskgate/deskgate/templates"
	"github.com/deskgate/deskgate/ticketing"
)

const quietWhy = "in the mailbox before deskgate was connected to it (existing_mail: quiet)"

// quietDesk is agentDesk whose policy also has a next-response target.
func quietDesk(t *testing.T) *ticketing.Desk {
	t.Helper()
	return agentDeskWith(t, func(c *ticketing.Config) {
		p := c.Policy.Policies["standard"]
		for k, tg := range p.Targets {
			tg.NextResponse = tg.Response
			p.Targets[k] = tg
		}
	})
}

// TestQuietMailSendsNothingAndStartsNoClock: quiet mail opens its ticket
// with a priority but without acknowledgement, team mail or SLA clocks; a
// quiet reply updates the ticket without mail or a next-response clock;
// normal mail afterwards is handled as usual.
func TestQuietMailSendsNothingAndStartsNoClock(t *testing.T) {
	t.Parallel()
	pool := dbtest.Pool(t)
	desk := quietDesk(t)
	in := human(capture(t, pool, "support", 1), "q1@example.se", "Printer broken")
	in.Quiet = quietWhy
	o := receiveWith(t, pool, desk, in)[0]
	if o.Status != ticketing.StatusTicketed {
		t.Fatalf("quiet new mail: %+v, want ticketed", o)
	}
	if got := summary(outbox(t, pool)); len(got) != 0 {
		t.Errorf("outbox after quiet new mail = %q, want nothing", got)
	}
	if got := clocks(t, pool, o.TicketID); len(got) != 0 {
		t.Errorf("clocks after quiet new mail = %+v, want none", got)
	}
	if f := fields(t, pool, o.TicketID); f.Priority == "" {
		t.Errorf("quiet ticket fields = %+v, want a priority", f)
	}
	var why string
	if err := pool.QueryRow(context.Background(), `SELECT detail->>'why' FROM events WHERE ticket_id = $1 AND kind = 'mail.quiet'`,
		o.TicketID).Scan(&why); err != nil || why != quietWhy {
		t.Errorf("mail.quiet event why = %q (%v), want %q", why, err, quietWhy)
	}

	reply := human(capture(t, pool, "support", 2), "q2@example.se", "Re: Printer broken")
	reply.InReplyTo, reply.Quiet = []string{"q1@example.se"}, quietWhy
	if o2 := receiveWith(t, pool, desk, reply)[0]; o2.Status != ticketing.StatusAttached || o2.TicketID != o.TicketID {
		t.Fatalf("quiet reply: %+v, want attached to #%d", o2, o.TicketID)
	}
	if got := summary(outbox(t, pool)); len(got) != 0 {
		t.Errorf("outbox after a quiet reply = %q, want nothing", got)
	}
	if got := clocks(t, pool, o.TicketID); len(got) != 0 {
		t.Errorf("clocks after a quiet reply = %+v, want none", got)
	}
	if n := strings.Count(strings.Join(eventKinds(t, pool, o.TicketID), " "), "mail.quiet"); n != 2 {
		t.Errorf("mail.quiet events = %d, want 2", n)
	}

	// Mail that is not quiet is handled as always.
	next := human(capture(t, pool, "support", 3), "q3@example.se", "Re: Printer broken")
	next.InReplyTo = []string{"q2@example.se"}
	receiveWith(t, pool, desk, next)
	want := []string{"requester-replied ada@desk.example queued", "requester-replied bo@desk.example queued"}
	if got := summary(outbox(t, pool)); !slices.Equal(got, want) {
		t.Errorf("outbox after a normal reply = %q, want %q", got, want)
	}
	if _, ok := clocks(t, pool, o.TicketID)["next_response"]; !ok {
		t.Errorf("clocks after a normal reply = %+v, want a next-response clock", clocks(t, pool, o.TicketID))
	}
}

// TestQuietAgentReplyIsNotApplied: an agent's reply that reaches the desk
// late is kept on the ticket as internal; its commands are not applied, its
// text is not relayed, and nobody is mailed.
func TestQuietAgentReplyIsNotApplied(t *testing.T) {
	t.Parallel()
	c := newAgentCase(t, ticketing.VerifyConfig{})
	msgID, replyTo := c.sentTo("ada@desk.example")
	before := len(outbox(t, c.pool))
	in := human(capture(t, c.pool, "support", 2), "late@mail.example", "Re: VPN down")
	in.From = ticketing.Address{Name: "Ada", Address: "ada@desk.example"}
	in.To = []ticketing.Address{{Address: replyTo}}
	in.InReplyTo = []string{msgID}
	in.Text = "#status pending\n\nCould you send a screenshot?"
	in.NewText, in.Quiet = in.Text, "received a week ago: older than max_age_to_answer (24h)"
	o := receiveWith(t, c.pool, c.desk, in)[0]
	if o.Status != ticketing.StatusAttached || o.TicketID != c.ticket {
		t.Fatalf("late agent reply: %+v, want attached to #%d", o, c.ticket)
	}
	if got := c.status(); got == ticketing.StatusPending {
		t.Errorf("status after a late #status pending = %q, want unchanged", got)
	}
	if got := summary(outbox(t, c.pool)[before:]); len(got) != 0 {
		t.Errorf("outbox after a late agent reply = %q, want nothing (no relay, no answer to the agent)", got)
	}
	if got := c.mails(templates.AgentReply); len(got) != 0 {
		t.Errorf("relayed replies = %d, want 0", len(got))
	}
	var visibility string
	if err := c.pool.QueryRow(context.Background(), `SELECT visibility FROM messages WHERE message_id = 'late@mail.example'`).
		Scan(&visibility); err != nil || visibility != "internal" {
		t.Errorf("late agent reply visibility = %q (%v), want internal", visibility, err)
	}
	if kinds := strings.Join(eventKinds(t, c.pool, c.ticket), " "); !strings.Contains(kinds, "agent.reply.stale") {
		t.Errorf("events = %q, want agent.reply.stale", kinds)
	}
}

// TestQuietTicketResolvedSendsNothing: going-live.md tells the desk to
// resolve quiet tickets of old mail that needs nothing more with `ticket
// status N resolved`; the requester, never told of the ticket, is not
// mailed its status either (with 10,000 old messages that was 10,000
// status-resolved mails). A ticket opened normally still gets its mail.
func TestQuietTicketResolvedSendsNothing(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	pool := dbtest.Pool(t)
	desk := quietDesk(t)
	in := human(capture(t, pool, "support", 1), "old1@example.se", "Printer broken")
	in.Quiet = quietWhy
	quiet := receiveWith(t, pool, desk, in)[0]
	if err := desk.SetStatus(ctx, pool, quiet.TicketID, ticketing.StatusResolved, "admin", "old mail"); err != nil {
		t.Fatal(err)
	}
	if got := summary(outbox(t, pool)); len(got) != 0 {
		t.Errorf("outbox after resolving a quiet ticket = %q, want nothing", got)
	}
	normal := receiveWith(t, pool, desk, human(capture(t, pool, "support", 2), "new1@example.se", "Scanner broken"))[0]
	before := len(outbox(t, pool))
	if err := desk.SetStatus(ctx, pool, normal.TicketID, ticketing.StatusResolved, "admin", "done"); err != nil {
		t.Fatal(err)
	}
	if got := summary(outbox(t, pool)[before:]); len(got) != 1 || !strings.HasPrefix(got[0], templates.StatusResolved+" ") {
		t.Errorf("outbox after resolving a normal ticket = %q, want its status-resolved mail", got)
	}
}

// TestQuietTicketAgentResolvesWithAnswer: once the requester of a quiet
// ticket wrote again, an agent answering with #status resolved gets both
// the answer and its status mail to the requester, who now hears of the
// ticket.
func TestQuietTicketAgentResolvesWithAnswer(t *testing.T) {
	t.Parallel()
	c := &agentCase{t: t, pool: dbtest.Pool(t), desk: agentDesk(t, ticketing.VerifyConfig{})}
	in := human(capture(t, c.pool, "support", 1), "req-1@example.se", "VPN down")
	in.Quiet = quietWhy
	c.uid, c.ticket = 2, receiveWith(t, c.pool, c.desk, in)[0].TicketID
	again := human(capture(t, c.pool, "support", 2), "req-2@example.se", "Re: VPN down")
	again.InReplyTo = []string{"req-1@example.se"}
	receiveWith(t, c.pool, c.desk, again)
	var msgID, replyTo string
	for _, r := range outbox(t, c.pool) {
		if r.Event == templates.RequesterReplied && r.Recipient == "ada@desk.example" {
			msgID, replyTo = r.MessageID, r.ReplyTo
		}
	}
	if msgID == "" {
		t.Fatalf("no requester-replied mail to ada: %q", summary(outbox(t, c.pool)))
	}
	o := c.reply("ada@desk.example", replyTo, msgID, "#status resolved\n\nReconnect once more; it is fixed.")
	if o.TicketID != c.ticket {
		t.Fatalf("agent reply: %+v, want attached to #%d", o, c.ticket)
	}
	if n := len(c.mails(templates.AgentReply)); n != 1 {
		t.Errorf("relayed replies = %d, want 1", n)
	}
	if n := len(c.mails(templates.StatusResolved)); n != 1 {
		t.Errorf("status-resolved mails = %d, want 1 (the requester hears of the ticket with the answer)", n)
	}
}
