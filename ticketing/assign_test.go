package ticketing_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/deskgate/deskgate/internal/dbtest"
	"github.com/deskgate/deskgate/templates"
	"github.com/deskgate/deskgate/ticketing"
	"github.com/deskgate/deskgate/ticketing/rules"
	"github.com/deskgate/deskgate/ticketing/sla"
)

// assignedTo returns the assigned mails queued to addr.
func assignedTo(c *agentCase, addr string) []outboxRow {
	var out []outboxRow
	for _, r := range c.mails(templates.Assigned) {
		if r.Recipient == addr {
			out = append(out, r)
		}
	}
	return out
}

// TestAssignedMailByEmail: #assign mails the new assignee, saying which
// agent assigned it, with a token that lets them command; "#assign
// team:" mails the team's other members; "#assign me" mails nobody.
func TestAssignedMailByEmail(t *testing.T) {
	t.Parallel()
	c := newAgentCase(t, ticketing.VerifyConfig{})
	msgID, replyTo := c.sentTo("ada@desk.example")
	c.reply("ada@desk.example", replyTo, msgID, "#assign bo@desk.example")
	bo := assignedTo(c, "bo@desk.example")
	if len(bo) != 1 || !strings.Contains(bo[0].Text, "assigned to you by Ada") || bo[0].Status != ticketing.OutboxQueued {
		t.Fatalf("assigned mails to Bo after Ada's #assign: %+v; want one, queued, saying Ada assigned it", bo)
	}
	// Bo answers the assignment mail: his token commands.
	c.reply("bo@desk.example", bo[0].ReplyTo, bo[0].MessageID, "#assign team:support")
	ada := assignedTo(c, "ada@desk.example")
	if len(ada) != 1 || !strings.Contains(ada[0].Text, "assigned to the team support by Bo") || len(assignedTo(c, "bo@desk.example")) != 1 {
		t.Fatalf("after Bo's #assign team:support: to Ada %+v, to Bo %d; want one to Ada naming Bo and the team, none more to Bo",
			ada, len(assignedTo(c, "bo@desk.example")))
	}
	c.reply("ada@desk.example", replyTo, msgID, "#assign me")
	var assignee string
	if err := c.pool.QueryRow(context.Background(), `SELECT assignee FROM tickets WHERE id = $1`, c.ticket).Scan(&assignee); err != nil || assignee != "ada@desk.example" {
		t.Fatalf("assignee after #assign me = %q (%v), want ada@desk.example", assignee, err)
	}
	if n := len(c.mails(templates.Assigned)); n != 2 {
		t.Errorf("assigned mails after Ada's #assign me: %d, want still 2: nobody is told of their own assignment", n)
	}
}

// TestAssignedMailByRuleAndEscalation: a message.received rule that
// assigns the ticket mails the assignee, naming the rule; a breach whose
// level reassigns moves the ticket to that team without a person and
// mails the team's address.
func TestAssignedMailByRuleAndEscalation(t *testing.T) {
	t.Parallel()
	pool := dbtest.Pool(t)
	ctx := context.Background()
	set, err := rules.Compile([]rules.Rule{{Name: "urgent to Ada", On: rules.OnMessage, When: `text contains "urgent"`,
		Then: rules.Then{Assignee: "ada@desk.example"}}}, rules.Options{})
	if err != nil {
		t.Fatal(err)
	}
	tpl, err := templates.Load("")
	if err != nil {
		t.Fatal(err)
	}
	targets := map[string]ticketing.Targets{}
	for p, tg := range rules.DefaultTargets() {
		targets[p] = ticketing.Targets{Response: tg.Response, Resolution: tg.Resolution}
	}
	desk := ticketing.NewDesk(quiet, ticketing.Config{
		DeskAddresses: []string{"help@desk.example"}, Domain: "desk.example",
		Notify: ticketing.NotifyConfig{Templates: tpl, DeskName: "Desk", Language: "en",
			Agents: []ticketing.Agent{{Name: "Ada", Addresses: []string{"ada@desk.example"}, Teams: []string{"support"}}},
			Teams:  []ticketing.Team{{Name: "support"}, {Name: "l2", Address: "l2@desk.example"}}},
		Policy: ticketing.PolicyConfig{Rules: set, Matrix: rules.DefaultMatrix(), DefaultImpact: "Low", DefaultUrgency: "Normal",
			Policies:      map[string]ticketing.SLAPolicy{"standard": {Name: "standard", Calendar: sla.Always(), Targets: targets}},
			DefaultPolicy: "standard", Escalation: ticketing.Escalation{Breach: ticketing.EscalationLevel{Reassign: "l2"}}},
	})
	first := human(capture(t, pool, "support", 1), "q@example.se", "VPN down")
	o := receiveWith(t, pool, desk, first)[0]
	reply := human(capture(t, pool, "support", 2), "q2@example.se", "Re: VPN down")
	reply.InReplyTo, reply.Text, reply.NewText = []string{"q@example.se"}, "This is urgent now.", "This is urgent now."
	receiveWith(t, pool, desk, reply)
	byRule := 0
	for _, r := range outbox(t, pool) {
		if r.Event == templates.Assigned && r.Recipient == "ada@desk.example" && strings.Contains(r.Text, `by the rule "urgent to Ada"`) {
			byRule++
		}
	}
	if byRule != 1 {
		t.Fatalf("assigned mails to Ada naming the rule after the urgent reply: %d, want 1", byRule)
	}
	if n, err := desk.Escalate(ctx, pool, time.Now().Add(5*time.Hour)); err != nil || n == 0 {
		t.Fatalf("Escalate after the response deadline = %d, %v; want a breach", n, err)
	}
	var team, assignee string
	if err := pool.QueryRow(ctx, `SELECT team, assignee FROM tickets WHERE id = $1`, o.TicketID).Scan(&team, &assignee); err != nil {
		t.Fatal(err)
	}
	if team != "l2" || assignee != "" {
		t.Errorf("after the breach: team %q, assignee %q; want l2 without a person", team, assignee)
	}
	var toL2 []outboxRow
	for _, r := range outbox(t, pool) {
		if r.Event == templates.Assigned && r.Recipient == "l2@desk.example" {
			toL2 = append(toL2, r)
		}
	}
	if len(toL2) != 1 || !strings.Contains(toL2[0].Subject, "Assigned to l2") || !strings.Contains(toL2[0].Text, "SLA escalation: a target was missed") {
		t.Errorf("assigned mails to l2@desk.example after the breach: %+v; want one saying the escalation assigned it", toL2)
	}
}

// TestRelayLeavesOutRequestersOwnFiles: agents' mail now carries the
// requester's screenshot inline, and mail clients put inline images of the
// mail they answer into the reply; the relayed reply does not send the
// requester their own file back, only the agent's new one.
func TestRelayLeavesOutRequestersOwnFiles(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	pool := dbtest.Pool(t)
	desk := agentDesk(t, ticketing.VerifyConfig{})
	shot := ticketing.Attachment{Filename: "image001.png", ContentType: "image/png", ContentID: "image001.png@01DA", Inline: true, Data: []byte("\x89PNG screenshot")}
	first := human(capture(t, pool, "support", 1), "req-1@example.se", "VPN down")
	first.Attachments = []ticketing.Attachment{shot}
	ticket := receiveWith(t, pool, desk, first)[0].TicketID
	var msgID, replyTo string
	if err := pool.QueryRow(ctx, `SELECT message_id, reply_to FROM outbox WHERE event = 'new-ticket' AND recipient = 'ada@desk.example'`).Scan(&msgID, &replyTo); err != nil {
		t.Fatal(err)
	}
	in := human(capture(t, pool, "support", 2), "ada-1@desk.example", "Re: VPN down")
	in.From, in.To, in.InReplyTo = ticketing.Address{Name: "Ada", Address: "ada@desk.example"}, []ticketing.Address{{Address: replyTo}}, []string{msgID}
	in.Text, in.NewText = "Here is the new VPN profile.", "Here is the new VPN profile."
	echo := shot
	echo.ContentID = "image001.png@01DB" // the same bytes, as Outlook quotes them
	in.Attachments = []ticketing.Attachment{echo, {Filename: "vpn.ovpn", ContentType: "application/x-openvpn-profile", Data: []byte("client\n")}}
	if o := receiveWith(t, pool, desk, in)[0]; o.TicketID != ticket {
		t.Fatalf("Ada's reply joined ticket %d, want %d", o.TicketID, ticket)
	}
	ns, err := ticketing.ClaimNotifications(ctx, pool, "test", time.Minute, 50, true)
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range ns {
		if n.Event != templates.AgentReply {
			continue
		}
		if err := n.LoadAttachments(ctx, pool); err != nil {
			t.Fatal(err)
		}
		var names []string
		for _, a := range n.Attachments {
			names = append(names, a.Filename)
		}
		if len(names) != 1 || names[0] != "vpn.ovpn" {
			t.Errorf("relayed reply carries %q, want only vpn.ovpn: the screenshot is the requester's own", names)
		}
		return
	}
	t.Errorf("no relayed reply among %d claimed notifications", len(ns))
}
