package ticketing_test

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/deskgate/deskgate/internal/dbtest"
	"github.com/deskgate/deskgate/templates"
	"github.com/deskgate/deskgate/ticketing"
)

// loopDesk relays agents' replies, tells the team of paused
// conversations, and has the default loop limits, then changes them with
// change, if not nil.
func loopDesk(t *testing.T, change func(*ticketing.NotifyConfig)) *ticketing.Desk {
	t.Helper()
	desk, _ := notifyingDeskWith(t, func(nc *ticketing.NotifyConfig) {
		nc.Events[templates.AgentReply] = ticketing.EventRule{Enabled: true, To: []string{"requester", "cc"}}
		nc.Events[templates.ConversationPaused] = ticketing.EventRule{Enabled: true, To: []string{"team"}}
		nc.TicketLimits = []ticketing.Limit{{Window: 10 * time.Minute, Max: 15}, {Window: 24 * time.Hour, Max: 60}}
		nc.RelayLimits = []ticketing.Limit{{Window: 10 * time.Minute, Max: 15}, {Window: 24 * time.Hour, Max: 100}}
		nc.Conversation = ticketing.Conversation{Window: 10 * time.Minute, Max: 20, Pause: time.Hour}
		if change != nil {
			change(nc)
		}
	})
	return desk
}

// runBots opens a ticket from asa@example.se and then plays her and Ada
// as out-of-office responders without automatic headers, each answering
// every mail the desk queues to them, until they get no more mail. It
// returns the ticket.
func runBots(t *testing.T, pool *pgxpool.Pool, desk *ticketing.Desk) int64 {
	t.Helper()
	bots := map[string]ticketing.Address{
		"asa@example.se":   {Name: "Åsa Berg", Address: "asa@example.se"},
		"ada@desk.example": {Name: "Ada", Address: "ada@desk.example"},
	}
	uid := 1
	ticket := receiveWith(t, pool, desk, human(capture(t, pool, "support", uid), "start@example.se", "VPN down"))[0].TicketID
	answered := map[string]bool{}
	rounds := 0
	for ; rounds < 60; rounds++ {
		var ins []ticketing.Inbound
		for _, r := range outbox(t, pool) {
			from, bot := bots[r.Recipient]
			if !bot || r.Status != ticketing.OutboxQueued || answered[r.MessageID] {
				continue
			}
			answered[r.MessageID] = true
			uid++
			in := human(capture(t, pool, "support", uid), fmt.Sprintf("ooo-%d@mail.example", uid), "Re: "+r.Subject)
			in.From, in.InReplyTo = from, []string{r.MessageID}
			in.Text = "I am out of the office until Monday and will read your mail when I am back."
			in.NewText = in.Text
			ins = append(ins, in)
		}
		if len(ins) == 0 {
			break
		}
		for _, in := range ins { // one at a time, as the mail arrives
			receiveWith(t, pool, desk, in)
		}
	}
	if rounds == 60 {
		t.Fatalf("the bots were still writing after %d rounds", rounds)
	}
	return ticket
}

// TestOutOfOfficeBotsArePaused runs the loop of the issue: the requester's
// and the agent's out-of-office replies, without automatic headers, each
// answering every mail the desk sends them.
func TestOutOfOfficeBotsArePaused(t *testing.T) {
	t.Parallel()
	pool := dbtest.Pool(t)
	ctx := context.Background()
	desk := loopDesk(t, nil)
	ticket := runBots(t, pool, desk)
	between, paused := 0, map[string]int{}
	for _, r := range outbox(t, pool) {
		switch {
		case r.Status == ticketing.OutboxSuppressed:
		case r.Event == templates.ConversationPaused:
			paused[r.Recipient]++
		case r.Event == templates.AgentReply && r.Recipient == "asa@example.se",
			r.Event == templates.RequesterReplied && r.Recipient == "ada@desk.example":
			between++
		}
	}
	if between > 20 {
		t.Errorf("mails between asa@example.se and ada@desk.example = %d, want at most 20 (the conversation limit)", between)
	}
	if want := map[string]int{"ada@desk.example": 1, "bo@desk.example": 1}; !maps.Equal(paused, want) {
		t.Errorf("conversation-paused mails = %v, want one to each of the team's members %v", paused, want)
	}
	var events int
	if err := pool.QueryRow(ctx, `SELECT count(*) FROM events WHERE ticket_id = $1 AND kind = 'conversation.paused'`, ticket).Scan(&events); err != nil || events != 1 {
		t.Errorf("conversation.paused events = %d, %v; want 1", events, err)
	}
	var reasons []string
	for _, r := range outbox(t, pool) {
		if r.Status == ticketing.OutboxSuppressed && !slices.Contains(reasons, r.Reason) {
			reasons = append(reasons, r.Reason)
		}
	}
	if !slices.ContainsFunc(reasons, func(s string) bool { return strings.HasPrefix(s, "conversation paused") }) {
		t.Errorf("suppression reasons = %q, want the pause among them", reasons)
	}
	// The pause ends by itself: an hour later mail flows again.
	if _, err := pool.Exec(ctx, `UPDATE conversation_pauses SET until = now() - interval '1 second';
		UPDATE outbox SET created_at = created_at - interval '61 minutes'`); err != nil {
		t.Fatal(err)
	}
	later := human(capture(t, pool, "support", 1000), "later@example.se", "Re: VPN down")
	later.InReplyTo = []string{"start@example.se"}
	receiveWith(t, pool, desk, later)
	rs := outbox(t, pool)
	// The reply goes to the team: Ada, then Bo.
	if last := rs[len(rs)-2]; last.Event != templates.RequesterReplied || last.Recipient != "ada@desk.example" || last.Status != ticketing.OutboxQueued {
		t.Errorf("after the pause: %s to %s %s (%s), want requester-replied queued to Ada", last.Event, last.Recipient, last.Status, last.Reason)
	}
}

// TestLoopLimitsWithoutPause runs the same bots with conversation pauses
// off: the per-ticket limit stops them, counting relayed replies and mail
// to agents.
func TestLoopLimitsWithoutPause(t *testing.T) {
	t.Parallel()
	pool := dbtest.Pool(t)
	desk := loopDesk(t, func(nc *ticketing.NotifyConfig) { nc.Conversation = ticketing.Conversation{} })
	runBots(t, pool, desk)
	got := map[string]int{}
	var reasons []string
	for _, r := range outbox(t, pool) {
		if r.Status != ticketing.OutboxSuppressed {
			got[r.Event+" "+r.Recipient]++
		} else if !slices.Contains(reasons, r.Reason) {
			reasons = append(reasons, r.Reason)
		}
	}
	for k, n := range got {
		if n > 15 {
			t.Errorf("%d mails %s about one ticket, want at most 15 (the per-ticket limit per 10m)", n, k)
		}
	}
	if !slices.Contains(reasons, "rate limit: 15 mails about this ticket to this address within 10m already") {
		t.Errorf("suppression reasons = %q, want the per-ticket limit", reasons)
	}
}

// TestPauseWithinOneBatch sends a conversation over its limit in one
// batch: the mail before the limit goes, the rest is suppressed, and each
// conversation is paused once.
func TestPauseWithinOneBatch(t *testing.T) {
	t.Parallel()
	pool := dbtest.Pool(t)
	ctx := context.Background()
	desk := loopDesk(t, func(nc *ticketing.NotifyConfig) { nc.Conversation.Max = 3 })
	o := receiveWith(t, pool, desk, human(capture(t, pool, "support", 1), "first@example.se", "Printer"))[0]
	var replies []ticketing.Inbound
	for i := range 4 {
		in := human(capture(t, pool, "support", 2+i), fmt.Sprintf("more-%d@example.se", i), "Re: Printer")
		in.InReplyTo = []string{"first@example.se"}
		replies = append(replies, in)
	}
	receiveWith(t, pool, desk, replies...)
	var got []string
	for _, r := range outbox(t, pool) {
		if r.Event == templates.RequesterReplied && r.Recipient == "ada@desk.example" {
			got = append(got, r.Status)
		}
	}
	// new-ticket counted one; two replies reach the limit of 3.
	if want := []string{"queued", "queued", "suppressed", "suppressed"}; !slices.Equal(got, want) {
		t.Errorf("requester-replied to Ada = %q, want %q", got, want)
	}
	var events int
	if err := pool.QueryRow(ctx, `SELECT count(*) FROM events WHERE ticket_id = $1 AND kind = 'conversation.paused'`, o.TicketID).Scan(&events); err != nil || events != 2 {
		t.Errorf("conversation.paused events = %d, %v; want 2 (with Ada and with Bo)", events, err)
	}
}
