package ticketing_test

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/deskgate/deskgate/internal/dbtest"
	"github.com/deskgate/deskgate/templates"
	"github.com/deskgate/deskgate/ticketing"
	"github.com/deskgate/deskgate/ticketing/rules"
	"github.com/deskgate/deskgate/ticketing/sla"
	"github.com/deskgate/deskgate/ticketing/token"
)

// agentDesk is a desk whose team "support" has the agents Ada and Bo, with
// reply tokens, priorities and every notification on.
func agentDesk(t *testing.T, verify ticketing.VerifyConfig) *ticketing.Desk {
	t.Helper()
	return agentDeskWith(t, func(c *ticketing.Config) { c.Verify = verify })
}

// agentDeskWith is agentDesk with the configuration changed by change.
func agentDeskWith(t *testing.T, change func(*ticketing.Config)) *ticketing.Desk {
	t.Helper()
	tpl, err := templates.Load("")
	if err != nil {
		t.Fatal(err)
	}
	keys, err := token.NewKeys(1, map[byte][]byte{1: []byte("a secret of the agent tests, 32 bytes+")})
	if err != nil {
		t.Fatal(err)
	}
	targets := map[string]ticketing.Targets{}
	for p, tg := range rules.DefaultTargets() {
		targets[p] = ticketing.Targets{Response: tg.Response, Resolution: tg.Resolution}
	}
	ev := func(to ...string) ticketing.EventRule { return ticketing.EventRule{Enabled: true, To: to} }
	cfg := ticketing.Config{
		DeskAddresses: []string{"help@desk.example"}, Domain: "desk.example", Tokens: keys,
		Notify: ticketing.NotifyConfig{Templates: tpl, DeskName: "Desk", Language: "en",
			Events: map[string]ticketing.EventRule{templates.TicketReceived: ev("requester"), templates.NewTicket: ev("team"),
				templates.AgentReply: ev("requester", "cc"), templates.StatusPending: ev("requester"),
				templates.StatusResolved: ev("requester"), templates.RequesterReplied: ev("assignee"),
				templates.SenderHeld: ev("assignee")},
			Agents: []ticketing.Agent{
				{Name: "Ada", Addresses: []string{"ada@desk.example"}, Teams: []string{"support"}, Role: "lead"}, // may #assign others (Permit)
				{Name: "Bo", Addresses: []string{"bo@desk.example"}, Teams: []string{"support"}}},
			Teams: []ticketing.Team{{Name: "support"}}},
		Policy: ticketing.PolicyConfig{Matrix: rules.DefaultMatrix(), DefaultImpact: "Low", DefaultUrgency: "Normal",
			Policies:      map[string]ticketing.SLAPolicy{"standard": {Name: "standard", Calendar: sla.Always(), Targets: targets}},
			DefaultPolicy: "standard"},
	}
	change(&cfg)
	return ticketing.NewDesk(quiet, cfg)
}

// agentCase is one ticket opened by a requester, with what its agents were
// sent.
type agentCase struct {
	t      *testing.T
	pool   *pgxpool.Pool
	desk   *ticketing.Desk
	ticket int64
	uid    int
}

func newAgentCase(t *testing.T, verify ticketing.VerifyConfig) *agentCase {
	t.Helper()
	c := &agentCase{t: t, pool: dbtest.Pool(t), desk: agentDesk(t, verify)}
	in := human(capture(t, c.pool, "support", 1), "req-1@example.se", "VPN down")
	c.uid = 1
	c.ticket = receiveWith(t, c.pool, c.desk, in)[0].TicketID
	return c
}

// sentTo returns the new-ticket mail to agent: its Message-ID and Reply-To.
func (c *agentCase) sentTo(agent string) (msgID, replyTo string) {
	c.t.Helper()
	for _, r := range outbox(c.t, c.pool) {
		if r.Event == templates.NewTicket && r.Recipient == agent {
			return r.MessageID, r.ReplyTo
		}
	}
	c.t.Fatalf("no new-ticket mail to %s", agent)
	return "", ""
}

// reply delivers a reply from "from" to the given address, threaded to
// inReplyTo, with text, and returns its outcome.
func (c *agentCase) reply(from, to, inReplyTo, text string, auth ...ticketing.AuthResult) ticketing.Outcome {
	c.t.Helper()
	c.uid++
	in := human(capture(c.t, c.pool, "support", c.uid), "r"+itoa(int64(c.uid))+"@mail.example", "Re: VPN down")
	in.From = ticketing.Address{Name: strings.Split(from, "@")[0], Address: from}
	in.To = []ticketing.Address{{Address: to}}
	if inReplyTo != "" {
		in.InReplyTo = []string{inReplyTo}
	}
	in.Text, in.NewText, in.AuthResults = text, text, auth
	return receiveWith(c.t, c.pool, c.desk, in)[0]
}

func (c *agentCase) mails(event string) []outboxRow {
	var out []outboxRow
	for _, r := range outbox(c.t, c.pool) {
		if r.Event == event {
			out = append(out, r)
		}
	}
	return out
}

func (c *agentCase) status() string { return fields(c.t, c.pool, c.ticket).Status }

func TestAgentReplyWithCommandsAndText(t *testing.T) {
	t.Parallel()
	c := newAgentCase(t, ticketing.VerifyConfig{})
	msgID, replyTo := c.sentTo("ada@desk.example")
	o := c.reply("ada@desk.example", replyTo, msgID, "#status pending\n#priority High\n\nCould you send a screenshot of the error?")
	if o.TicketID != c.ticket {
		t.Fatalf("Ada's reply joined ticket %d, want %d", o.TicketID, c.ticket)
	}
	if got := c.status(); got != ticketing.StatusPending {
		t.Errorf("status after #status pending = %q, want pending", got)
	}
	if f := fields(t, c.pool, c.ticket); f.Priority != "High" {
		t.Errorf("priority after #priority High = %q", f.Priority)
	}
	relayed := c.mails(templates.AgentReply)
	if len(relayed) != 1 {
		t.Fatalf("relayed replies = %d, want 1", len(relayed))
	}
	r := relayed[0]
	if r.Recipient != "asa@example.se" || !strings.Contains(r.Text, "screenshot") || strings.Contains(r.Text, "#status") ||
		strings.Contains(r.Text, "ada@desk.example") || r.AutoSubmitted != "" || r.InReplyTo != "req-1@example.se" {
		t.Errorf("relayed reply = %+v, want to the requester, the text without commands or Ada's address, threaded to her message", r)
	}
	var fromName string
	if err := c.pool.QueryRow(context.Background(), `SELECT from_name FROM outbox WHERE event = 'agent-reply'`).Scan(&fromName); err != nil || fromName != "Ada via Desk" {
		t.Errorf("relayed From name = %q, %v; want \"Ada via Desk\"", fromName, err)
	}
	kinds := strings.Join(eventKinds(t, c.pool, c.ticket), " ")
	if !strings.Contains(kinds, "agent.reply") || !strings.Contains(kinds, "priority.changed") {
		t.Errorf("events = %q, want agent.reply and priority.changed", kinds)
	}
	var actor string
	if err := c.pool.QueryRow(context.Background(), `SELECT actor FROM events WHERE ticket_id = $1 AND kind = 'status.changed'`, c.ticket).Scan(&actor); err != nil || actor != "ada@desk.example" {
		t.Errorf("status.changed actor = %q, %v; want ada@desk.example", actor, err)
	}
	if cl := clocks(t, c.pool, c.ticket)["response"]; cl.Stopped == nil {
		t.Errorf("response clock after Ada's public reply = %+v, want stopped", cl)
	}
}

func TestAgentCommandOnlyAndNote(t *testing.T) {
	t.Parallel()
	c := newAgentCase(t, ticketing.VerifyConfig{})
	msgID, replyTo := c.sentTo("ada@desk.example")
	c.reply("ada@desk.example", replyTo, msgID, "#take\n#tag +vpn")
	c.reply("ada@desk.example", replyTo, msgID, "#note\nThe VPN concentrator logs show expired certificates.")
	if n := len(c.mails(templates.AgentReply)); n != 0 {
		t.Errorf("relayed replies after a command-only mail and a note = %d, want 0", n)
	}
	var assignee string
	var tags []string
	if err := c.pool.QueryRow(context.Background(), `SELECT assignee, tags FROM tickets WHERE id = $1`, c.ticket).Scan(&assignee, &tags); err != nil {
		t.Fatal(err)
	}
	if assignee != "ada@desk.example" || !slices.Equal(tags, []string{"vpn"}) {
		t.Errorf("after #take and #tag +vpn: assignee %q, tags %v", assignee, tags)
	}
	var actor string
	if err := c.pool.QueryRow(context.Background(), `SELECT actor FROM events WHERE ticket_id = $1 AND kind = 'fields.changed'`, c.ticket).Scan(&actor); err != nil || actor != "ada@desk.example" {
		t.Errorf("fields.changed event by %q, %v; want one by ada@desk.example", actor, err)
	}
	var internal int
	if err := c.pool.QueryRow(context.Background(), `SELECT count(*) FROM messages WHERE ticket_id = $1 AND visibility = 'internal' AND agent = 'ada@desk.example'`, c.ticket).Scan(&internal); err != nil || internal != 2 {
		t.Errorf("internal messages by Ada = %d, %v; want 2", internal, err)
	}
	tk, err := ticketing.GetTicket(context.Background(), c.pool, c.ticket)
	if err != nil {
		t.Fatal(err)
	}
	if last := tk.Thread[len(tk.Thread)-1]; last.Visibility != "internal" || last.Agent != "ada@desk.example" {
		t.Errorf("GetTicket's last message: visibility %q, agent %q; want internal, ada@desk.example", last.Visibility, last.Agent)
	}
}

func TestInvalidCommandsApplyNothing(t *testing.T) {
	t.Parallel()
	c := newAgentCase(t, ticketing.VerifyConfig{})
	msgID, replyTo := c.sentTo("ada@desk.example")
	c.reply("ada@desk.example", replyTo, msgID, "#status resolved\n#priority Hgh\n\nFixed, I think.")
	if got := c.status(); got != ticketing.StatusNew {
		t.Errorf("status after a reply with an invalid command = %q, want new (nothing applied)", got)
	}
	if n := len(c.mails(templates.AgentReply)); n != 0 {
		t.Errorf("relayed replies = %d, want 0", n)
	}
	rej := c.mails(templates.CommandsRejected)
	if len(rej) != 1 || rej[0].Recipient != "ada@desk.example" || !strings.Contains(rej[0].Text, "Hgh") {
		t.Errorf("commands-rejected mail = %+v, want one to Ada naming Hgh", rej)
	}
}

func TestUnverifiedAgentReplies(t *testing.T) {
	t.Parallel()
	c := newAgentCase(t, ticketing.VerifyConfig{})
	adaID, adaReplyTo := c.sentTo("ada@desk.example")
	_, boReplyTo := c.sentTo("bo@desk.example")
	tampered := []byte(adaReplyTo)
	i := strings.IndexByte(adaReplyTo, '+') + 3
	tampered[i] = map[bool]byte{true: 'b', false: 'a'}[tampered[i] == 'a']
	for _, tc := range []struct{ name, from, to, reason string }{
		{"forged From without a token", "ada@desk.example", "help@desk.example", templates.ReasonNoToken},
		{"Bo's token from Ada's address", "ada@desk.example", boReplyTo, templates.ReasonOtherAgent},
		{"a tampered token", "bo@desk.example", string(tampered), templates.ReasonInvalidToken},
	} {
		o := c.reply(tc.from, tc.to, "req-1@example.se", "#status closed\n\nclosing this")
		if o.TicketID != c.ticket {
			t.Errorf("%s: joined %d, want %d (as ordinary correspondence)", tc.name, o.TicketID, c.ticket)
		}
		if got := c.status(); got != ticketing.StatusNew {
			t.Errorf("%s: status = %q, want new (no command applied)", tc.name, got)
		}
		var reason string
		err := c.pool.QueryRow(context.Background(), `SELECT detail->>'reason' FROM events WHERE ticket_id = $1 AND kind = 'agent.unverified' ORDER BY id DESC LIMIT 1`, c.ticket).Scan(&reason)
		if err != nil || reason != tc.reason {
			t.Errorf("%s: agent.unverified reason = %q, %v; want %s", tc.name, reason, err, tc.reason)
		}
	}
	if n := len(c.mails(templates.AgentReply)); n != 0 {
		t.Errorf("relayed replies = %d, want 0", n)
	}
	// One explanation per address per hour: Ada got one (the second was
	// suppressed), Bo one.
	var got []string
	for _, r := range c.mails(templates.ReplyUnverified) {
		got = append(got, r.Recipient+" "+r.Status)
	}
	want := []string{"ada@desk.example queued", "ada@desk.example suppressed", "bo@desk.example queued"}
	if !slices.Equal(got, want) {
		t.Errorf("reply-unverified mails = %q, want %q", got, want)
	}
	_ = adaID
}

func TestDMARCRequired(t *testing.T) {
	t.Parallel()
	c := newAgentCase(t, ticketing.VerifyConfig{RequireDMARC: true, Trusted: []string{"mx.desk.example"}})
	msgID, replyTo := c.sentTo("ada@desk.example")
	fail := ticketing.AuthResult{ServID: "mx.desk.example", DMARC: "fail", DMARCFrom: "desk.example"}
	forged := ticketing.AuthResult{ServID: "mx.desk.example", DMARC: "pass", DMARCFrom: "desk.example"}
	// The trusted server's own field is on top; a forged pass below it
	// changes nothing.
	c.reply("ada@desk.example", replyTo, msgID, "#status pending\n\nScreenshot please.", fail, forged)
	if got := c.status(); got != ticketing.StatusNew {
		t.Errorf("status after a reply failing DMARC = %q, want new", got)
	}
	untrusted := ticketing.AuthResult{ServID: "evil.example", DMARC: "pass", DMARCFrom: "desk.example"}
	c.reply("ada@desk.example", replyTo, msgID, "#status pending\n\nScreenshot please.", untrusted)
	if got := c.status(); got != ticketing.StatusNew {
		t.Errorf("status after a pass from an untrusted server = %q, want new", got)
	}
	pass := ticketing.AuthResult{ServID: "mx.desk.example", DMARC: "pass", DMARCFrom: "desk.example"}
	c.reply("ada@desk.example", replyTo, msgID, "#status pending\n\nScreenshot please.", pass)
	if got := c.status(); got != ticketing.StatusPending {
		t.Errorf("status after a DMARC pass = %q, want pending", got)
	}
}

func TestRequesterCommandsArePlainText(t *testing.T) {
	t.Parallel()
	c := newAgentCase(t, ticketing.VerifyConfig{})
	c.reply("asa@example.se", "help@desk.example", "req-1@example.se", "#status closed\nPlease close it, it works now.")
	if got := c.status(); got != ticketing.StatusNew {
		t.Errorf("status after the requester typed #status closed = %q, want new", got)
	}
	replied := c.mails(templates.RequesterReplied)
	if len(replied) == 0 || !strings.Contains(replied[0].Text, "#status closed") {
		t.Errorf("requester-replied mails = %+v, want the team told, with the text as written", replied)
	}
	_ = time.Now
}

func TestForwardOpensTicketForTheOriginalSender(t *testing.T) {
	t.Parallel()
	pool := dbtest.Pool(t)
	desk := agentDesk(t, ticketing.VerifyConfig{Trusted: []string{"mx.desk.example"}})
	forward := func(uid int, auth ...ticketing.AuthResult) int64 {
		in := human(capture(t, pool, "support", uid), "fwd-"+itoa(int64(uid))+"@desk.example", "Fwd: Printer on fire")
		in.From = ticketing.Address{Name: "Ada", Address: "ada@desk.example"}
		in.Text = "#fwd\n\n---------- Forwarded message ---------\nFrom: Karl Ek <karl@customer.example>\n" +
			"Date: Mon, 23 Nov 2026 at 09:00\nSubject: Printer on fire\nTo: Ada <ada@desk.example>, Bo <bo@desk.example>\n\n" +
			"The printer on floor 2 is smoking.\n"
		in.NewText = "#fwd" // quote stripping cuts the forwarded block
		in.AuthResults = auth
		in.Derive() // as mailin does: the forward replaces what was derived
		return receiveWith(t, pool, desk, in)[0].TicketID
	}
	acks := func(id int64) int {
		n := 0
		for _, r := range outbox(t, pool) {
			if r.Event == templates.TicketReceived && r.TicketID == id && r.Recipient == "karl@customer.example" {
				n++
			}
		}
		return n
	}
	// Authenticated by the desk's own MX: the ticket is Karl's, and he is told.
	id := forward(1, ticketing.AuthResult{ServID: "mx.desk.example", DMARC: "pass", DMARCFrom: "desk.example"})
	tk, err := ticketing.GetTicket(context.Background(), pool, id)
	if err != nil {
		t.Fatal(err)
	}
	if tk.Requester.Address != "karl@customer.example" || tk.Subject != "Printer on fire" {
		t.Errorf("forwarded ticket: requester %q, subject %q; want karl@customer.example, Printer on fire", tk.Requester.Address, tk.Subject)
	}
	if n := acks(id); n != 1 || !strings.Contains(strings.Join(eventKinds(t, pool, id), " "), "ticket.forwarded") {
		t.Errorf("acknowledgements %d and events %v; want one, and ticket.forwarded", n, eventKinds(t, pool, id))
	}
	// Found by the forwarded text, not by the "#fwd" derived before.
	if ts, _, err := ticketing.FindTickets(context.Background(), pool, ticketing.Filter{Query: "smoking", Limit: 10}); err != nil || len(ts) != 1 || ts[0].Number != id {
		t.Errorf("search for the forwarded text = %+v, %v; want ticket %d", ts, err, id)
	}
	var cc int
	if err := pool.QueryRow(context.Background(), `SELECT count(*) FROM participants WHERE ticket_id = $1 AND address LIKE '%@desk.example'`, id).Scan(&cc); err != nil || cc != 0 {
		t.Errorf("agents among the forwarded ticket's participants = %d, %v; want 0", cc, err)
	}
	// Unauthenticated (anyone can write Ada's From): the ticket opens, but
	// Karl is not mailed.
	if id := forward(2); acks(id) != 0 {
		t.Errorf("an unauthenticated #fwd mailed the forwarded sender")
	}
}

func TestRelayedReplyKeepsAttachments(t *testing.T) {
	t.Parallel()
	c := newAgentCase(t, ticketing.VerifyConfig{})
	msgID, replyTo := c.sentTo("ada@desk.example")
	c.uid++
	in := human(capture(t, c.pool, "support", c.uid), "att@desk.example", "Re: VPN down")
	in.From = ticketing.Address{Name: "Ada", Address: "ada@desk.example"}
	in.To = []ticketing.Address{{Address: replyTo}}
	in.InReplyTo = []string{msgID}
	in.Text, in.NewText = "Here is the new VPN profile.", "Here is the new VPN profile."
	in.Attachments = []ticketing.Attachment{{Filename: "vpn.ovpn", ContentType: "application/x-openvpn-profile", Data: []byte("client\nremote vpn.example 1194\n")}}
	receiveWith(t, c.pool, c.desk, in)
	ns, err := ticketing.ClaimNotifications(context.Background(), c.pool, "test", time.Minute, 50, true)
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range ns {
		if n.Event != templates.AgentReply {
			continue
		}
		if n.Attachments != nil {
			t.Errorf("claimed relayed reply holds %d files; want none until LoadAttachments, so that a claimed batch holds one email's files at a time", len(n.Attachments))
		}
		if err := n.LoadAttachments(context.Background(), c.pool); err != nil {
			t.Fatal(err)
		}
		if len(n.Attachments) != 1 || n.Attachments[0].Filename != "vpn.ovpn" || !strings.Contains(string(n.Attachments[0].Data), "remote vpn.example") {
			t.Errorf("relayed reply attachments = %+v, want vpn.ovpn with its content", n.Attachments)
		}
		return
	}
	t.Errorf("no relayed reply among %d claimed notifications", len(ns))
}

func TestAgentReplyReviewFixes(t *testing.T) {
	t.Parallel()
	c := newAgentCase(t, ticketing.VerifyConfig{})
	ctx := context.Background()
	msgID, replyTo := c.sentTo("ada@desk.example")
	// A ticket of no team of Ada's: #merge into it is refused.
	var foreign int64
	if err := c.pool.QueryRow(ctx, `INSERT INTO tickets (subject, requester_addr, received_at, team) VALUES ('HR', 'x@example.org', now(), 'hr') RETURNING id`).Scan(&foreign); err != nil {
		t.Fatal(err)
	}
	c.reply("ada@desk.example", replyTo, msgID, "#merge "+itoa(foreign))
	var merged *int64
	if err := c.pool.QueryRow(ctx, `SELECT merged_into FROM tickets WHERE id = $1`, c.ticket).Scan(&merged); err != nil || merged != nil {
		t.Errorf("#merge into another team's ticket merged into %v, %v; want refused", merged, err)
	}
	if n := len(c.mails(templates.CommandsRejected)); n != 1 {
		t.Errorf("commands-rejected mails after a foreign #merge = %d, want 1", n)
	}
	// A reply with nothing above the quoted notification relays nothing.
	c.reply("ada@desk.example", replyTo, msgID, "On Monday, Desk wrote:\n> ##- Please type your reply above this line -##\n> A new ticket has arrived.")
	if n := len(c.mails(templates.AgentReply)); n != 0 {
		t.Errorf("a reply with only the quoted notification relayed %d mails, want 0", n)
	}
	// The agent's configured name signs the relayed reply, not the mail
	// client's display name.
	c.uid++
	in := human(capture(t, c.pool, "support", c.uid), "sig@desk.example", "Re: VPN down")
	in.From = ticketing.Address{Name: "ada@desk.example", Address: "ada@desk.example"}
	in.To, in.InReplyTo = []ticketing.Address{{Address: replyTo}}, []string{msgID}
	in.Text, in.NewText = "Fixed.", "Fixed."
	receiveWith(t, c.pool, c.desk, in)
	relayed := c.mails(templates.AgentReply)
	if len(relayed) != 1 || strings.Contains(relayed[0].Text, "ada@desk.example") {
		t.Errorf("relayed reply = %+v, want one that does not show Ada's address", relayed)
	}
}

func TestExplanationOncePerBatch(t *testing.T) {
	t.Parallel()
	c := newAgentCase(t, ticketing.VerifyConfig{})
	var ins []ticketing.Inbound
	for k := range 3 {
		c.uid++
		in := human(capture(t, c.pool, "support", c.uid), "forged-"+itoa(int64(k))+"@evil.example", "Re: VPN down")
		in.From = ticketing.Address{Address: "ada@desk.example"}
		in.InReplyTo = []string{"req-1@example.se"}
		in.Text, in.NewText = "#close", "#close"
		ins = append(ins, in)
	}
	receiveWith(t, c.pool, c.desk, ins...)
	queued := 0
	for _, r := range c.mails(templates.ReplyUnverified) {
		if r.Status == ticketing.OutboxQueued {
			queued++
		}
	}
	if queued != 1 {
		t.Errorf("explanations queued for three forged replies in one batch = %d, want 1", queued)
	}
}
