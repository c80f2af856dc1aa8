package ticketing_test

import (
	"context"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/deskgate/deskgate/internal/dbtest"
	"github.com/deskgate/deskgate/templates"
	"github.com/deskgate/deskgate/ticketing"
	"github.com/deskgate/deskgate/ticketing/token"
)

// notifyingDesk is a desk that sends every notification with the default
// recipients, a team "support" of two agents, and the given limits.
func notifyingDesk(t testing.TB, limits ...ticketing.Limit) (*ticketing.Desk, *token.Keys) {
	t.Helper()
	return notifyingDeskWith(t, func(nc *ticketing.NotifyConfig) {
		if limits != nil {
			nc.Limits = limits
		}
	})
}

// notifyingDeskWith is notifyingDesk with its notification settings changed
// by set.
func notifyingDeskWith(t testing.TB, change func(*ticketing.NotifyConfig)) (*ticketing.Desk, *token.Keys) {
	t.Helper()
	set, err := templates.Load("")
	if err != nil {
		t.Fatal(err)
	}
	keys, err := token.NewKeys(1, map[byte][]byte{1: []byte("a secret of the notification tests!!")})
	if err != nil {
		t.Fatal(err)
	}
	ev := func(to ...string) ticketing.EventRule { return ticketing.EventRule{Enabled: true, To: to} }
	nc := ticketing.NotifyConfig{
		Templates: set, DeskName: "Desk", Language: "en",
		Events: map[string]ticketing.EventRule{
			templates.TicketReceived: ev("requester"), templates.StatusResolved: ev("requester"),
			templates.StatusPending: ev("requester"), templates.Reopened: ev("requester"),
			templates.NewTicket: ev("team"), templates.RequesterReplied: ev("assignee"),
		},
		Limits: []ticketing.Limit{{Window: 10 * time.Minute, Max: 5}, {Window: 24 * time.Hour, Max: 20}},
		Agents: []ticketing.Agent{
			{Name: "Ada", Addresses: []string{"ada@desk.example"}, Teams: []string{"support"}},
			{Name: "Bo", Addresses: []string{"bo@desk.example", "bo@home.example"}, Teams: []string{"support"}},
		},
		Teams: []ticketing.Team{{Name: "support"}},
	}
	change(&nc)
	return ticketing.NewDesk(quiet, ticketing.Config{
		DeskAddresses: []string{"help@desk.example"}, Domain: "desk.example", Tokens: keys,
		SuppressAfterBounce: 720 * time.Hour, Notify: nc,
	}), keys
}

// outboxRow is what a test checks of one queued notification.
type outboxRow struct {
	Event, Recipient, Status, Reason, Language, MessageID, ReplyTo, InReplyTo, Subject, AutoSubmitted, Text string
	Refs                                                                                                    []string
	TicketID                                                                                                int64
}

func outbox(t *testing.T, pool *pgxpool.Pool) []outboxRow {
	t.Helper()
	if err := ticketing.RenderQueued(context.Background(), pool); err != nil {
		t.Fatal(err)
	}
	rows, err := pool.Query(context.Background(), `
		SELECT event, recipient, status, reason, language, message_id, reply_to, in_reply_to, subject, auto_submitted,
		       text_body, refs, ticket_id
		FROM outbox ORDER BY id`)
	if err != nil {
		t.Fatal(err)
	}
	out, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (outboxRow, error) {
		var r outboxRow
		err := row.Scan(&r.Event, &r.Recipient, &r.Status, &r.Reason, &r.Language, &r.MessageID, &r.ReplyTo,
			&r.InReplyTo, &r.Subject, &r.AutoSubmitted, &r.Text, &r.Refs, &r.TicketID)
		return r, err
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func summary(rs []outboxRow) []string {
	var out []string
	for _, r := range rs {
		out = append(out, r.Event+" "+r.Recipient+" "+r.Status)
	}
	return out
}

func TestNewTicketAcknowledgedAndTeamNotified(t *testing.T) {
	t.Parallel()
	pool := dbtest.Pool(t)
	desk, keys := notifyingDesk(t)
	in := human(capture(t, pool, "support", 1), "first@example.se", "Skrivaren fungerar inte")
	in.References = []string{"older@example.se"}
	in.Languages = []string{"sv-SE"}
	o := receiveWith(t, pool, desk, in)[0]

	rs := outbox(t, pool)
	want := []string{"ticket-received asa@example.se queued", "new-ticket ada@desk.example queued", "new-ticket bo@desk.example queued"}
	if got := summary(rs); !slices.Equal(got, want) {
		t.Fatalf("outbox = %q, want %q", got, want)
	}
	ack := rs[0]
	if ack.Language != "sv" || !strings.Contains(ack.Text, "Skriv ditt svar ovanför den här raden") {
		t.Errorf("acknowledgement language = %q, text %q; want Swedish with the Swedish marker", ack.Language, ack.Text)
	}
	if want := "Re: Skrivaren fungerar inte [#" + itoa(o.TicketID) + "]"; ack.Subject != want {
		t.Errorf("acknowledgement subject = %q, want %q", ack.Subject, want)
	}
	if ack.InReplyTo != "first@example.se" || !slices.Equal(ack.Refs, []string{"older@example.se", "first@example.se"}) {
		t.Errorf("acknowledgement In-Reply-To %q References %q, want the requester's thread", ack.InReplyTo, ack.Refs)
	}
	if ack.AutoSubmitted != "auto-replied" || rs[1].AutoSubmitted != "auto-generated" {
		t.Errorf("Auto-Submitted = %q and %q, want auto-replied (requester) and auto-generated (agent)", ack.AutoSubmitted, rs[1].AutoSubmitted)
	}
	claims, bad := keys.FromMessageIDs([]string{ack.MessageID}, "desk.example")
	if len(bad) > 0 || len(claims) != 1 || claims[0].Ticket != uint64(o.TicketID) {
		t.Errorf("acknowledgement Message-ID %q carries %v (invalid %q), want a token for ticket %d", ack.MessageID, claims, bad, o.TicketID)
	}
	claims, _ = keys.FromAddresses([]string{ack.ReplyTo}, "help@desk.example")
	if len(claims) != 1 || claims[0].Ticket != uint64(o.TicketID) {
		t.Errorf("acknowledgement Reply-To %q carries %v, want a token for ticket %d", ack.ReplyTo, claims, o.TicketID)
	}
	if rs[1].MessageID == rs[2].MessageID {
		t.Errorf("two agents got the same Message-ID %q; each needs their own token", rs[1].MessageID)
	}
	var lang string
	if err := pool.QueryRow(context.Background(), `SELECT language FROM tickets WHERE id = $1`, o.TicketID).Scan(&lang); err != nil || lang != "sv" {
		t.Errorf("ticket language = %q, %v; want sv", lang, err)
	}
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

func TestDetectedLanguageAndDefault(t *testing.T) {
	t.Parallel()
	pool := dbtest.Pool(t)
	desk, _ := notifyingDesk(t)
	da := human(capture(t, pool, "support", 1), "da@example.dk", "Printeren virker ikke")
	da.From = ticketing.Address{Name: "Søren", Address: "soren@example.dk"}
	da.DetectedLanguage = "da"
	fr := human(capture(t, pool, "support", 2), "fr@example.fr", "Imprimante")
	fr.From = ticketing.Address{Address: "claire@example.fr"}
	fr.Languages = []string{"fr-FR"}
	receiveWith(t, pool, desk, da, fr)
	var got []string
	for _, r := range outbox(t, pool) {
		if r.Event == templates.TicketReceived {
			got = append(got, r.Recipient+" "+r.Language)
		}
	}
	if want := []string{"soren@example.dk da", "claire@example.fr en"}; !slices.Equal(got, want) {
		t.Errorf("acknowledgement languages = %q, want %q (detected Danish; French has no templates: the desk's default)", got, want)
	}
}

func TestAutoReplyToAcknowledgementSendsNothing(t *testing.T) {
	t.Parallel()
	pool := dbtest.Pool(t)
	desk, _ := notifyingDesk(t)
	receiveWith(t, pool, desk, human(capture(t, pool, "support", 1), "q@example.se", "Help"))
	ack := outbox(t, pool)[0]

	ooo := human(capture(t, pool, "support", 2), "ooo@example.se", "Out of office: Re: Help")
	ooo.InReplyTo = []string{ack.MessageID}
	ooo.Class, ooo.ClassReason = ticketing.ClassAutoReply, "Auto-Submitted: auto-replied"
	o := receiveWith(t, pool, desk, ooo)[0]
	if o.Status != ticketing.StatusAttached {
		t.Fatalf("auto-reply outcome = %+v, want attached to the ticket", o)
	}
	if got := len(outbox(t, pool)); got != 3 {
		t.Errorf("outbox has %d rows after the auto-reply, want the 3 of the new ticket and nothing more: %q", got, summary(outbox(t, pool)))
	}
}

func TestRequesterReplyReopensAndNotifies(t *testing.T) {
	t.Parallel()
	pool := dbtest.Pool(t)
	ctx := context.Background()
	desk, _ := notifyingDesk(t)
	o := receiveWith(t, pool, desk, human(capture(t, pool, "support", 1), "q@example.se", "Help"))[0]
	if err := desk.SetStatus(ctx, pool, o.TicketID, ticketing.StatusResolved, "ada@desk.example", "fixed"); err != nil {
		t.Fatal(err)
	}
	reply := human(capture(t, pool, "support", 2), "r@example.se", "Re: Help")
	reply.InReplyTo = []string{"q@example.se"}
	receiveWith(t, pool, desk, reply)
	got := summary(outbox(t, pool))[3:]
	want := []string{"status-resolved asa@example.se queued", "reopened asa@example.se queued",
		"requester-replied ada@desk.example queued", "requester-replied bo@desk.example queued"}
	if !slices.Equal(got, want) {
		t.Errorf("outbox after resolve and reply = %q, want %q", got, want)
	}
	last := outbox(t, pool)[4]
	if last.InReplyTo != "r@example.se" {
		t.Errorf("reopened mail In-Reply-To = %q, want the requester's latest message r@example.se", last.InReplyTo)
	}
}

func TestOwnAddressesAndAgentRepliesAreNotNotified(t *testing.T) {
	t.Parallel()
	pool := dbtest.Pool(t)
	desk, _ := notifyingDesk(t)
	in := human(capture(t, pool, "support", 1), "x@desk.example", "Loop?")
	in.From = ticketing.Address{Address: "help+abc@desk.example"}
	receiveWith(t, pool, desk, in)
	rs := outbox(t, pool)
	if len(rs) == 0 || rs[0].Status != ticketing.OutboxSuppressed || !strings.Contains(rs[0].Reason, "own address") {
		t.Errorf("mail from the desk's own plus-address: outbox %q, want the acknowledgement suppressed as our own address", summary(rs))
	}
}

func TestRecipientRateLimit(t *testing.T) {
	t.Parallel()
	pool := dbtest.Pool(t)
	desk, _ := notifyingDesk(t, ticketing.Limit{Window: time.Hour, Max: 2})
	var ins []ticketing.Inbound
	for i := range 3 {
		ins = append(ins, human(capture(t, pool, "support", i+1), "m"+itoa(int64(i))+"@example.se", "New problem "+itoa(int64(i))))
	}
	receiveWith(t, pool, desk, ins[:2]...)
	receiveWith(t, pool, desk, ins[2])
	var got []string
	for _, r := range outbox(t, pool) {
		if r.Recipient == "asa@example.se" {
			got = append(got, r.Status)
		}
	}
	if want := []string{"queued", "queued", "suppressed"}; !slices.Equal(got, want) {
		t.Errorf("three acknowledgements to one address with a limit of 2 per hour: %q, want %q", got, want)
	}
	got = nil
	for _, r := range outbox(t, pool) {
		if r.Recipient == "ada@desk.example" {
			got = append(got, r.Status)
		}
	}
	if want := []string{"queued", "queued", "queued"}; !slices.Equal(got, want) {
		t.Errorf("three new-ticket mails to an agent with a limit of 2 per hour: %q, want %q (agents are not limited)", got, want)
	}
	// An hour later the limit has recovered.
	if _, err := pool.Exec(context.Background(), `UPDATE outbox SET created_at = created_at - interval '61 minutes'`); err != nil {
		t.Fatal(err)
	}
	receiveWith(t, pool, desk, human(capture(t, pool, "support", 9), "m9@example.se", "Yet another"))
	rs := outbox(t, pool)
	if last := rs[len(rs)-3]; last.Recipient != "asa@example.se" || last.Status != ticketing.OutboxQueued {
		t.Errorf("acknowledgement once the window has passed: %s %s, want queued to asa@example.se", last.Recipient, last.Status)
	}
}

func TestPermanentBounceSuppressesAddress(t *testing.T) {
	t.Parallel()
	pool := dbtest.Pool(t)
	ctx := context.Background()
	desk, _ := notifyingDesk(t)
	receiveWith(t, pool, desk, human(capture(t, pool, "support", 1), "q@example.se", "Help"))
	ack := outbox(t, pool)[0]
	if _, err := pool.Exec(ctx, `UPDATE outbox SET status = 'sent' WHERE message_id = $1`, ack.MessageID); err != nil {
		t.Fatal(err)
	}
	dsn := ticketing.Inbound{CaptureID: capture(t, pool, "support", 2), Mailbox: "support", MessageID: "dsn@mx.example",
		From: ticketing.Address{Address: "mailer-daemon@mx.example"}, Subject: "Undelivered Mail Returned to Sender",
		Class: ticketing.ClassBounce, ClassReason: "multipart/report delivery-status", OriginalMessageID: ack.MessageID,
		Deliveries: []ticketing.Delivery{{Recipient: "ASA@example.se", Action: "failed", Status: "5.1.1",
			Diagnostic: "smtp; 550 5.1.1 user unknown"}}}
	receiveWith(t, pool, desk, dsn)
	rs := outbox(t, pool)
	if rs[0].Status != ticketing.OutboxBounced || !strings.Contains(rs[0].Reason, "5.1.1") {
		t.Errorf("bounced acknowledgement: status %q reason %q, want bounced with the report", rs[0].Status, rs[0].Reason)
	}
	// The next automatic mail to that address is suppressed.
	receiveWith(t, pool, desk, human(capture(t, pool, "support", 3), "q2@example.se", "Another"))
	rs = outbox(t, pool)
	last := rs[len(rs)-3]
	if last.Event != templates.TicketReceived || last.Status != ticketing.OutboxSuppressed || !strings.Contains(last.Reason, "user unknown") {
		t.Errorf("acknowledgement after a permanent bounce: %+v, want suppressed naming the bounce", last)
	}
	var events int
	if err := pool.QueryRow(ctx, `SELECT count(*) FROM events WHERE ticket_id = $1 AND kind = 'notification.bounced'`, rs[0].TicketID).Scan(&events); err != nil || events != 1 {
		t.Errorf("notification.bounced events on the ticket = %d, %v; want 1", events, err)
	}
}

func TestDelayedDSNOnlyLogs(t *testing.T) {
	t.Parallel()
	pool := dbtest.Pool(t)
	desk, _ := notifyingDesk(t)
	receiveWith(t, pool, desk, human(capture(t, pool, "support", 1), "q@example.se", "Help"))
	ack := outbox(t, pool)[0]
	dsn := ticketing.Inbound{CaptureID: capture(t, pool, "support", 2), Mailbox: "support", MessageID: "delay@mx.example",
		From: ticketing.Address{Address: "mailer-daemon@mx.example"}, Subject: "Delayed Mail (still being retried)",
		Class: ticketing.ClassBounce, OriginalMessageID: ack.MessageID,
		Deliveries: []ticketing.Delivery{{Recipient: "asa@example.se", Action: "delayed", Status: "4.4.7"}}}
	receiveWith(t, pool, desk, dsn)
	if got := outbox(t, pool)[0].Status; got != ticketing.OutboxQueued {
		t.Errorf("status after a delay warning = %q, want queued (a delay is not a failure)", got)
	}
	var until *time.Time
	_ = pool.QueryRow(context.Background(), `SELECT suppressed_until FROM contacts WHERE address = 'asa@example.se'`).Scan(&until)
	if until != nil {
		t.Errorf("a delay warning suppressed the address until %v", until)
	}
}

func TestForgedDSNCannotSilenceAnotherAddress(t *testing.T) {
	t.Parallel()
	pool := dbtest.Pool(t)
	ctx := context.Background()
	desk, _ := notifyingDesk(t)
	receiveWith(t, pool, desk, human(capture(t, pool, "support", 1), "q@example.se", "Help"))
	ack := outbox(t, pool)[0]
	if _, err := pool.Exec(ctx, `UPDATE outbox SET status = 'sent'`); err != nil {
		t.Fatal(err)
	}
	// The requester forges a report on their own acknowledgement, naming
	// an agent as the failed recipient.
	forged := ticketing.Inbound{CaptureID: capture(t, pool, "support", 2), Mailbox: "support", MessageID: "forged@example.se",
		From: ticketing.Address{Address: "asa@example.se"}, Subject: "Undelivered", Class: ticketing.ClassBounce,
		OriginalMessageID: ack.MessageID,
		Deliveries:        []ticketing.Delivery{{Recipient: "ada@desk.example", Action: "failed", Status: "5.1.1"}}}
	receiveWith(t, pool, desk, forged)
	var suppressed int
	if err := pool.QueryRow(ctx, `SELECT count(*) FROM contacts WHERE suppressed_until IS NOT NULL`).Scan(&suppressed); err != nil || suppressed != 0 {
		t.Errorf("contacts suppressed by a report naming another address = %d, %v; want 0", suppressed, err)
	}
	if got := outbox(t, pool)[0].Status; got != ticketing.OutboxSent {
		t.Errorf("acknowledgement status after the forged report = %q, want sent", got)
	}
}

func TestTwoRepliesReopenOnce(t *testing.T) {
	t.Parallel()
	pool := dbtest.Pool(t)
	ctx := context.Background()
	desk, _ := notifyingDesk(t)
	o := receiveWith(t, pool, desk, human(capture(t, pool, "support", 1), "q@example.se", "Help"))[0]
	if err := desk.SetStatus(ctx, pool, o.TicketID, ticketing.StatusResolved, "ada@desk.example", "fixed"); err != nil {
		t.Fatal(err)
	}
	r1 := human(capture(t, pool, "support", 2), "r1@example.se", "Re: Help")
	r1.InReplyTo = []string{"q@example.se"}
	r2 := human(capture(t, pool, "support", 3), "r2@example.se", "Re: Help")
	r2.InReplyTo = []string{"q@example.se"}
	receiveWith(t, pool, desk, r1, r2)
	n := 0
	for _, r := range outbox(t, pool) {
		if r.Event == templates.Reopened {
			n++
		}
	}
	if n != 1 {
		t.Errorf("reopened mails after two replies in one batch = %d, want 1", n)
	}
}

func TestLateResultOfAnEarlierClaimIsIgnored(t *testing.T) {
	t.Parallel()
	pool := dbtest.Pool(t)
	ctx := context.Background()
	desk, _ := notifyingDesk(t)
	receiveWith(t, pool, desk, human(capture(t, pool, "support", 1), "q@example.se", "Help"))
	first, err := ticketing.ClaimNotifications(ctx, pool, "p1", time.Millisecond, 1, true)
	if err != nil || len(first) != 1 {
		t.Fatalf("ClaimNotifications = %d, %v", len(first), err)
	}
	time.Sleep(5 * time.Millisecond)
	second, err := ticketing.ClaimNotifications(ctx, pool, "p1", time.Minute, 10, true)
	if err != nil || len(second) == 0 || second[0].ID != first[0].ID {
		t.Fatalf("reclaim after the lease = %v, %v; want the same row", second, err)
	}
	// The first claim's worker, same process, reports late.
	late := ticketing.SendResult{ID: first[0].ID, Attempt: first[0].Attempts, Result: ticketing.ResultFailed, Reply: "late"}
	if err := ticketing.RecordResults(ctx, pool, "p1", []ticketing.SendResult{late}, 0); err != nil {
		t.Fatal(err)
	}
	if got := outbox(t, pool)[0].Status; got != ticketing.OutboxQueued {
		t.Errorf("status after a stale result = %q, want queued (the second claim still holds it)", got)
	}
}

func TestSendFailureSuppressesOnlyBadRecipients(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		reply    string
		suppress bool
	}{
		{"550 5.1.1 <asa@example.se>: user unknown", true},
		{"550 5.1.10 null MX", true},
		{"553 5.1.8 sender address rejected: domain not found", false},
		{"552 5.3.4 message too big", false},
	} {
		pool := dbtest.Pool(t)
		ctx := context.Background()
		desk, _ := notifyingDesk(t)
		receiveWith(t, pool, desk, human(capture(t, pool, "support", 1), "q@example.se", "Help"))
		ns, err := ticketing.ClaimNotifications(ctx, pool, "p", time.Minute, 1, true)
		if err != nil || len(ns) != 1 {
			t.Fatal(ns, err)
		}
		r := ticketing.SendResult{ID: ns[0].ID, Attempt: ns[0].Attempts, Result: ticketing.ResultFailed, Reply: c.reply}
		if err := ticketing.RecordResults(ctx, pool, "p", []ticketing.SendResult{r}, time.Hour); err != nil {
			t.Fatal(err)
		}
		var n int
		if err := pool.QueryRow(ctx, `SELECT count(*) FROM contacts WHERE suppressed_until > now()`).Scan(&n); err != nil {
			t.Fatal(err)
		}
		if (n > 0) != c.suppress {
			t.Errorf("RecordResults(failed %q) suppressed %d addresses, want suppression %v", c.reply, n, c.suppress)
		}
	}
}

func TestNewTicketMailCarriesTheRequestersText(t *testing.T) {
	t.Parallel()
	pool := dbtest.Pool(t)
	desk, _ := notifyingDesk(t)
	in := human(capture(t, pool, "support", 1), "t@example.se", "Printer")
	in.NewText = in.Text // nothing quoted: stripping returns the whole text
	receiveWith(t, pool, desk, in)
	for _, r := range outbox(t, pool) {
		if r.Event == templates.NewTicket && !strings.Contains(r.Text, "Skrivaren på plan 3 fungerar inte.") {
			t.Errorf("new-ticket mail to %s lacks the requester's text:\n%s", r.Recipient, r.Text)
		}
	}
}
