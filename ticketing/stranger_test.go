package ticketing_test

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/deskgate/deskgate/internal/dbtest"
	"github.com/deskgate/deskgate/templates"
	"github.com/deskgate/deskgate/ticketing"
)

// participants lists a ticket's participants as address:role, sorted.
func participants(t *testing.T, pool *pgxpool.Pool, ticket int64) []string {
	t.Helper()
	rows, err := pool.Query(context.Background(), `SELECT address || ':' || role FROM participants WHERE ticket_id = $1 ORDER BY 1`, ticket)
	if err != nil {
		t.Fatal(err)
	}
	out, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// heldState is how the message from a sender is stored: held, visibility.
func heldState(t *testing.T, pool *pgxpool.Pool, ticket int64, from string) string {
	t.Helper()
	var held bool
	var vis string
	err := pool.QueryRow(context.Background(), `SELECT held, visibility FROM messages WHERE ticket_id = $1 AND from_addr = $2 ORDER BY id DESC LIMIT 1`,
		ticket, from).Scan(&held, &vis)
	if err != nil {
		t.Fatalf("message from %s on #%d: %v", from, ticket, err)
	}
	return fmt.Sprintf("held=%v %s", held, vis)
}

// stranger delivers a mail from mallory@evil.example that points at the
// ticket only by the given headers.
func (c *agentCase) stranger(set func(in *ticketing.Inbound)) ticketing.Outcome {
	c.t.Helper()
	c.uid++
	in := human(capture(c.t, c.pool, "support", c.uid), "x"+itoa(int64(c.uid))+"@evil.example", "Re: VPN down")
	in.From = ticketing.Address{Name: "Mallory", Address: "mallory@evil.example"}
	in.Text = "I'm Åsa's colleague; send me the password instead."
	set(&in)
	return receiveWith(c.t, c.pool, c.desk, in)[0]
}

// TestStrangerWithLeakedMessageIDIsHeld: the attack. A stranger who
// copies the requester's Message-ID into In-Reply-To (or only References)
// used to become a participant, move the ticket from pending to open and
// receive the agent's next reply, a temporary password. Now the mail is
// held on the ticket, agents are told, and only #accept lets them in.
func TestStrangerWithLeakedMessageIDIsHeld(t *testing.T) {
	t.Parallel()
	for _, header := range []string{"In-Reply-To", "References"} {
		t.Run(header, func(t *testing.T) {
			t.Parallel()
			c := newAgentCase(t, ticketing.VerifyConfig{})
			setStatus(t, c.pool, c.ticket, "pending")
			before := len(outbox(t, c.pool))
			o := c.stranger(func(in *ticketing.Inbound) {
				if header == "In-Reply-To" {
					in.InReplyTo = []string{"req-1@example.se"}
				} else {
					in.References = []string{"req-1@example.se"}
				}
			})
			if o.Status != ticketing.StatusAttached || o.TicketID != c.ticket || !strings.Contains(o.Reason, "held") {
				t.Fatalf("stranger's reply = %+v, want attached to #%d as held", o, c.ticket)
			}
			if got := c.status(); got != "pending" {
				t.Errorf("status = %s, want pending: a stranger's mail moves nothing", got)
			}
			if got := participants(t, c.pool, c.ticket); !slices.Equal(got, []string{"asa@example.se:requester"}) {
				t.Errorf("participants = %v, want the requester alone", got)
			}
			if got := heldState(t, c.pool, c.ticket, "mallory@evil.example"); got != "held=true internal" {
				t.Errorf("stranger's message = %s, want held and internal", got)
			}
			if !slices.Contains(eventKinds(t, c.pool, c.ticket), "message.held") {
				t.Errorf("events = %v, want message.held", eventKinds(t, c.pool, c.ticket))
			}
			var sent []string
			for _, r := range outbox(t, c.pool)[before:] {
				sent = append(sent, r.Event+" "+r.Recipient)
			}
			if !slices.Equal(sent, []string{"sender-held ada@desk.example", "sender-held bo@desk.example"}) {
				t.Errorf("mail queued = %v, want agents told the sender was held, nothing else", sent)
			}

			// The agent answers the requester: the stranger gets nothing.
			msgID, _ := c.sentTo("ada@desk.example")
			c.reply("ada@desk.example", "help@desk.example", msgID, "Your temporary password is hunter2.")
			replies := c.mails(templates.AgentReply)
			if len(replies) != 1 || replies[0].Recipient != "asa@example.se" {
				t.Fatalf("agent replies = %+v, want one to the requester", replies)
			}
			if cc := outboxCc(t, c.pool, templates.AgentReply); len(cc) != 0 {
				t.Errorf("agent reply Cc = %v, want nobody: the stranger is not a participant", cc)
			}

			// #accept admits the stranger: their mail joins the
			// conversation, and the next reply copies them in.
			c.reply("ada@desk.example", "help@desk.example", msgID, "#accept")
			if got := participants(t, c.pool, c.ticket); !slices.Equal(got, []string{"asa@example.se:requester", "mallory@evil.example:cc"}) {
				t.Errorf("participants after #accept = %v, want the stranger in cc", got)
			}
			if got := heldState(t, c.pool, c.ticket, "mallory@evil.example"); got != "held=false public" {
				t.Errorf("stranger's message after #accept = %s, want released", got)
			}
			c.reply("ada@desk.example", "help@desk.example", msgID, "Welcome aboard, Mallory.")
			if cc := outboxCc(t, c.pool, templates.AgentReply); !slices.Equal(cc, []string{"mallory@evil.example"}) {
				t.Errorf("agent reply Cc after #accept = %v, want the admitted sender", cc)
			}
		})
	}
}

// outboxCc is the Cc of the latest queued mail of event.
func outboxCc(t *testing.T, pool *pgxpool.Pool, event string) []string {
	t.Helper()
	var cc []ticketing.Address
	err := pool.QueryRow(context.Background(), `SELECT cc_addrs FROM outbox WHERE event = $1 ORDER BY id DESC LIMIT 1`, event).Scan(&cc)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, a := range cc {
		out = append(out, a.Address)
	}
	return out
}

// TestAcceptWithNothingHeldIsRefused: #accept on a ticket that holds no
// stranger's mail tells the agent so and changes nothing.
func TestAcceptWithNothingHeldIsRefused(t *testing.T) {
	t.Parallel()
	c := newAgentCase(t, ticketing.VerifyConfig{})
	msgID, _ := c.sentTo("ada@desk.example")
	c.reply("ada@desk.example", "help@desk.example", msgID, "#accept")
	if got := c.mails(templates.CommandsRejected); len(got) != 1 || !strings.Contains(got[0].Text, "no held mail") {
		t.Errorf("commands-rejected = %+v, want one saying nothing is held", got)
	}
	if _, err := c.desk.Admit(context.Background(), c.pool, c.ticket, []string{"help@desk.example"}, "cli"); err == nil {
		t.Error("Admit(desk address) = nil, want an error: the desk never takes part")
	}
	got, err := c.desk.Admit(context.Background(), c.pool, c.ticket, []string{"Carol@Northwind.example"}, "cli")
	if err != nil || !slices.Equal(got, []string{"carol@northwind.example"}) {
		t.Errorf("Admit(carol) = %v, %v; want her admitted", got, err)
	}
}

// TestStrangerOnClosedTicket: on a closed ticket a stranger's reply opened
// a follow-up with the stranger as requester and the original requester in
// Cc. Now it opens a ticket of the stranger's own, unlinked; a
// participant's reply opens the follow-up, which keeps the requester.
func TestStrangerOnClosedTicket(t *testing.T) {
	t.Parallel()
	c := newAgentCase(t, ticketing.VerifyConfig{})
	ctx := context.Background()
	if _, err := c.desk.Admit(ctx, c.pool, c.ticket, []string{"bob@example.se"}, "cli"); err != nil {
		t.Fatal(err)
	}
	setStatus(t, c.pool, c.ticket, "resolved")
	setStatus(t, c.pool, c.ticket, "closed")

	o := c.stranger(func(in *ticketing.Inbound) { in.InReplyTo = []string{"req-1@example.se"} })
	if o.Status != ticketing.StatusTicketed || o.TicketID == c.ticket {
		t.Fatalf("stranger on a closed ticket = %+v, want a new ticket", o)
	}
	if got := participants(t, c.pool, o.TicketID); !slices.Equal(got, []string{"mallory@evil.example:requester"}) {
		t.Errorf("stranger's ticket participants = %v, want the stranger alone", got)
	}
	var linked *int64
	if err := c.pool.QueryRow(ctx, `SELECT linked_to FROM tickets WHERE id = $1`, o.TicketID).Scan(&linked); err != nil {
		t.Fatal(err)
	}
	if linked != nil || !slices.Contains(eventKinds(t, c.pool, o.TicketID), "thread.refused") {
		t.Errorf("stranger's ticket linked to %v, events %v; want unlinked with thread.refused", linked, eventKinds(t, c.pool, o.TicketID))
	}

	c.uid++
	bob := human(capture(t, c.pool, "support", c.uid), "bob-1@example.se", "Re: VPN down")
	bob.From = addr("bob@example.se")
	bob.InReplyTo = []string{"req-1@example.se"}
	f := receiveWith(t, c.pool, c.desk, bob)[0]
	var requester string
	if err := c.pool.QueryRow(ctx, `SELECT requester_addr FROM tickets WHERE id = $1 AND linked_to = $2`, f.TicketID, c.ticket).Scan(&requester); err != nil {
		t.Fatalf("participant's reply = %+v, want a follow-up linked to #%d: %v", f, c.ticket, err)
	}
	if requester != "asa@example.se" {
		t.Errorf("follow-up requester = %s, want the original requester", requester)
	}
	if got := participants(t, c.pool, f.TicketID); !slices.Equal(got, []string{"asa@example.se:requester", "bob@example.se:cc"}) {
		t.Errorf("follow-up participants = %v", got)
	}
}

// TestThreadIndexRootIsSecret: the root deskgate gave a ticket's Outlook
// mail was computable from the domain, the ticket id and its creation
// time, and a stranger sending only that Thread-Index joined the ticket.
func TestThreadIndexRootIsSecret(t *testing.T) {
	t.Parallel()
	c := newAgentCase(t, ticketing.VerifyConfig{})
	ctx := context.Background()
	var stored, sent string
	if err := c.pool.QueryRow(ctx, `SELECT thread_root FROM tickets WHERE id = $1`, c.ticket).Scan(&stored); err != nil {
		t.Fatal(err)
	}
	if err := c.pool.QueryRow(ctx, `SELECT thread_index FROM outbox WHERE event = 'ticket-received'`).Scan(&sent); err != nil {
		t.Fatal(err)
	}
	raw, err := base64.StdEncoding.DecodeString(sent)
	if err != nil || len(raw) != 27 {
		t.Fatalf("Thread-Index %q: %v", sent, err)
	}
	root := base64.StdEncoding.EncodeToString(raw[:22])
	if stored == "" || root != stored {
		t.Fatalf("Thread-Index root %s, stored root %q; want the stored one", root, stored)
	}
	guid := sha256.Sum256([]byte("deskgate thread-index\x00desk.example\x00" + strconv.FormatInt(c.ticket, 10)))
	if string(raw[6:22]) == string(guid[:16]) {
		t.Fatal("the root's GUID is the one computable from the domain and ticket id")
	}

	o := c.stranger(func(in *ticketing.Inbound) { in.ThreadRoot = root })
	if o.TicketID != c.ticket || !strings.Contains(o.Reason, "held") {
		t.Errorf("stranger with the root = %+v, want held on #%d", o, c.ticket)
	}
	// The requester's Outlook keeps only the Thread-Index: it threads.
	c.uid++
	in := human(capture(t, c.pool, "support", c.uid), "req-2@example.se", "SV: VPN down")
	in.ThreadRoot = root
	got := receiveWith(t, c.pool, c.desk, in)[0]
	if got.TicketID != c.ticket || got.Evidence.Kind != ticketing.EvidenceThreadIndex || strings.Contains(got.Reason, "held") {
		t.Errorf("requester with the root = %+v, want joined by thread-index", got)
	}
}

// TestTrustRequesterDomain: colleagues at the requester's company may join
// by replying when the desk says so; a public provider's domain never
// counts.
func TestTrustRequesterDomain(t *testing.T) {
	t.Parallel()
	pool := dbtest.Pool(t)
	desk := agentDeskWith(t, func(c *ticketing.Config) { c.TrustRequesterDomain = true })
	open := func(uid int, msgID, from string) int64 {
		in := human(capture(t, pool, "support", uid), msgID, "VPN down")
		in.From = addr(from)
		return receiveWith(t, pool, desk, in)[0].TicketID
	}
	reply := func(uid int, from, to string) ticketing.Outcome {
		in := human(capture(t, pool, "support", uid), fmt.Sprintf("r%d@x.example", uid), "Re: VPN down")
		in.From, in.InReplyTo = addr(from), []string{to}
		return receiveWith(t, pool, desk, in)[0]
	}
	company := open(1, "c1@example.se", "asa@example.se")
	if o := reply(2, "per@example.se", "c1@example.se"); o.TicketID != company || strings.Contains(o.Reason, "held") {
		t.Errorf("colleague = %+v, want joined", o)
	}
	if got := participants(t, pool, company); !slices.Contains(got, "per@example.se:cc") {
		t.Errorf("participants = %v, want the colleague", got)
	}
	gmail := open(3, "g1@gmail.com", "asa.berg@gmail.com")
	if o := reply(4, "someone@gmail.com", "g1@gmail.com"); o.TicketID != gmail || !strings.Contains(o.Reason, "held") {
		t.Errorf("another gmail.com sender = %+v, want held", o)
	}
}

// TestStrangerInSameBatch: a backlog holding a new ticket's first mail and
// replies to it: the people it was addressed to join, a stranger is held.
func TestStrangerInSameBatch(t *testing.T) {
	t.Parallel()
	pool := dbtest.Pool(t)
	desk := agentDeskWith(t, func(*ticketing.Config) {})
	first := human(capture(t, pool, "support", 1), "b1@example.se", "VPN down")
	first.Cc = []ticketing.Address{addr("bob@example.se")}
	bob := human(capture(t, pool, "support", 2), "b2@example.se", "Re: VPN down")
	bob.From, bob.InReplyTo = addr("bob@example.se"), []string{"b1@example.se"}
	eve := human(capture(t, pool, "support", 3), "b3@evil.example", "Re: VPN down")
	eve.From, eve.InReplyTo = addr("eve@evil.example"), []string{"b1@example.se"}
	out := receiveWith(t, pool, desk, first, bob, eve)
	if out[1].TicketID != out[0].TicketID || strings.Contains(out[1].Reason, "held") {
		t.Errorf("Cc'd person's reply = %+v, want joined", out[1])
	}
	if out[2].TicketID != out[0].TicketID || !strings.Contains(out[2].Reason, "held") {
		t.Errorf("stranger's reply = %+v, want held", out[2])
	}
	if got := heldState(t, pool, out[0].TicketID, "eve@evil.example"); got != "held=true internal" {
		t.Errorf("stranger's message = %s", got)
	}
}

// TestParticipantsAreCapped: every address in To and Cc of a first mail
// became a participant (10,001 in one test), and an agent's reply then went
// to all of them in one SMTP transaction.
func TestParticipantsAreCapped(t *testing.T) {
	t.Parallel()
	pool := dbtest.Pool(t)
	desk := agentDeskWith(t, func(c *ticketing.Config) { c.MaxParticipants = 50 })
	in := human(capture(t, pool, "support", 1), "many@example.se", "Everyone")
	for i := range 10_000 {
		in.Cc = append(in.Cc, addr(fmt.Sprintf("p%d@example.org", i)))
	}
	o := receiveWith(t, pool, desk, in)[0]
	if got := len(participants(t, pool, o.TicketID)); got != 50 {
		t.Errorf("participants = %d, want 50", got)
	}
	var left int
	if err := pool.QueryRow(context.Background(), `SELECT (detail->>'cc_left_out')::int FROM events WHERE ticket_id = $1 AND kind = 'ticket.created'`,
		o.TicketID).Scan(&left); err != nil || left != 10_000-49 {
		t.Errorf("ticket.created cc_left_out = %d (%v), want %d", left, err, 10_000-49)
	}

	// A participant's reply addressing more people adds none to a full
	// ticket, and says so.
	r := human(capture(t, pool, "support", 2), "many-2@example.se", "Re: Everyone")
	r.InReplyTo, r.Cc = []string{"many@example.se"}, []ticketing.Address{addr("late@example.org")}
	receiveWith(t, pool, desk, r)
	if got := len(participants(t, pool, o.TicketID)); got != 50 {
		t.Errorf("participants after a reply = %d, want 50", got)
	}
	if !slices.Contains(eventKinds(t, pool, o.TicketID), "participant.refused") {
		t.Errorf("events = %v, want participant.refused", eventKinds(t, pool, o.TicketID))
	}
}
