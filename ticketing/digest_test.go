package ticketing_test

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/deskgate/deskgate/internal/dbtest"
	"github.com/deskgate/deskgate/ticketing"
	"github.com/deskgate/deskgate/ticketing/sla"
)

// office is a Stockholm calendar, weekdays 08:00-17:00, Swedish holidays.
func officeCalendar(t *testing.T) *sla.Calendar {
	t.Helper()
	h := map[time.Weekday][]sla.Span{}
	for wd := time.Monday; wd <= time.Friday; wd++ {
		sp, err := sla.ParseSpan("08:00-17:00")
		if err != nil {
			t.Fatal(err)
		}
		h[wd] = []sla.Span{sp}
	}
	c, err := sla.New(sla.Spec{Name: "office", TimeZone: "Europe/Stockholm", Hours: h, Holidays: []string{"se"}})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// digestDesk is agentDesk with digests at 08:00 for Ada, and for Bo as
// the support team's lead.
func digestDesk(t *testing.T) *ticketing.Desk {
	t.Helper()
	cal := officeCalendar(t)
	return agentDeskWith(t, func(c *ticketing.Config) {
		c.Digest = ticketing.DigestConfig{At: 8 * time.Hour, DueWithin: 4 * time.Hour, Agents: []ticketing.DigestAgent{
			{Address: "ada@desk.example", Calendar: cal}, {Address: "bo@desk.example", Lead: true, Calendar: cal}}}
	})
}

// supportTicket opens an unassigned ticket of the support team, which
// Ada's and Bo's digests list (with nothing to list, none is sent).
func supportTicket(t *testing.T, pool *pgxpool.Pool, desk *ticketing.Desk) int64 {
	t.Helper()
	return receiveWith(t, pool, desk, human(capture(t, pool, "support", 1), "open-1@x", "VPN down"))[0].TicketID
}

// digestMail is one digest queued.
type digestMail struct {
	Recipient, MessageID, ReplyTo, Subject, Text, Status, Reason string
}

func digests(t *testing.T, pool *pgxpool.Pool) []digestMail {
	t.Helper()
	rows, err := pool.Query(context.Background(), `SELECT recipient, message_id, reply_to, subject, text_body, status, reason
		FROM outbox WHERE event = 'digest' ORDER BY id`)
	if err != nil {
		t.Fatal(err)
	}
	var out []digestMail
	for rows.Next() {
		var m digestMail
		if err := rows.Scan(&m.Recipient, &m.MessageID, &m.ReplyTo, &m.Subject, &m.Text, &m.Status, &m.Reason); err != nil {
			t.Fatal(err)
		}
		out = append(out, m)
	}
	if rows.Err() != nil {
		t.Fatal(rows.Err())
	}
	return out
}

func stockholm(t *testing.T, s string) time.Time {
	t.Helper()
	loc, err := time.LoadLocation("Europe/Stockholm")
	if err != nil {
		t.Fatal(err)
	}
	v, err := time.ParseInLocation("2006-01-02 15:04", s, loc)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// TestDigestOncePerWorkingDay: a digest goes at its local time on a
// working day, once however often and by however many processes the
// sweep runs, and not before its time, on a weekend or on a holiday.
func TestDigestOncePerWorkingDay(t *testing.T) {
	t.Parallel()
	pool := dbtest.Pool(t)
	desk := digestDesk(t)
	ctx := context.Background()
	supportTicket(t, pool, desk)
	run := func(at string) int {
		t.Helper()
		n, err := desk.Digests(ctx, pool, stockholm(t, at))
		if err != nil {
			t.Fatalf("Digests(%s): %v", at, err)
		}
		return n
	}
	for _, tc := range []struct {
		at   string
		want int
	}{
		{"2026-12-07 07:59", 0}, // Monday, before its time
		{"2026-12-07 08:00", 2}, // Ada's and Bo's
		{"2026-12-07 08:01", 0}, // sent today
		{"2026-12-07 16:00", 0},
		{"2026-12-12 09:00", 0}, // Saturday
		{"2026-12-25 09:00", 0}, // Christmas Day, a Friday
		{"2026-12-28 10:30", 2}, // Monday, late: deskgate was down at 08:00
	} {
		if got := run(tc.at); got != tc.want {
			t.Errorf("Digests(%s) = %d, want %d", tc.at, got, tc.want)
		}
	}
	// Two processes at once, each with its own Desk: one digest each.
	other := digestDesk(t)
	var wg sync.WaitGroup
	counts := make([]int, 2)
	for i, d := range []*ticketing.Desk{desk, other} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			n, err := d.Digests(ctx, pool, stockholm(t, "2026-12-29 08:00"))
			if err != nil {
				t.Errorf("Digests: %v", err)
			}
			counts[i] = n
		}()
	}
	wg.Wait()
	if counts[0]+counts[1] != 2 {
		t.Errorf("two processes sent %v digests on Tuesday, want 2 in all", counts)
	}
	ms := digests(t, pool)
	if len(ms) != 6 {
		t.Fatalf("%d digests queued, want 6", len(ms))
	}
	if n, err := ticketing.DigestsSent(ctx, pool); n != 6 || err != nil {
		t.Errorf("DigestsSent = %d, %v; want 6", n, err)
	}
	var days int
	if err := pool.QueryRow(ctx, `SELECT count(DISTINCT day) FROM digests WHERE agent = 'ada@desk.example'`).Scan(&days); err != nil || days != 3 {
		t.Errorf("Ada's digest days = %d (%v), want 3", days, err)
	}
	if m := ms[0]; m.Status != "queued" || !strings.Contains(m.Subject, "Monday 7 December 2026, 08:00") ||
		!strings.Contains(m.ReplyTo, "+") || !strings.HasSuffix(m.MessageID, "@desk.example") {
		t.Errorf("first digest = %+v, want queued, dated, with a reply token", m)
	}
}

// TestDigestLists: an agent's digest lists their tickets by status, their
// teams' unassigned ones and the SLA targets due soon or missed, each by
// its tag; another team's tickets are left out. A lead's lists the team's
// tickets with their assignees.
func TestDigestLists(t *testing.T) {
	t.Parallel()
	pool := dbtest.Pool(t)
	desk := digestDesk(t)
	ctx := context.Background()
	var ids []int64
	for i, subject := range []string{"Ada's printer", "Nobody's VPN", "Bo's laptop", "Payroll question"} {
		ids = append(ids, receiveWith(t, pool, desk, human(capture(t, pool, "support", i+1), "m"+itoa(int64(i))+"@x", subject))[0].TicketID)
	}
	if _, err := pool.Exec(ctx, `UPDATE tickets SET assignee = 'ada@desk.example', status = 'open' WHERE id = $1;`, ids[0]); err != nil {
		t.Fatal(err)
	}
	if _, err := pool.Exec(ctx, `UPDATE tickets SET assignee = 'bo@desk.example', status = 'pending' WHERE id = $1`, ids[2]); err != nil {
		t.Fatal(err)
	}
	if _, err := pool.Exec(ctx, `UPDATE tickets SET team = 'hr' WHERE id = $1`, ids[3]); err != nil {
		t.Fatal(err)
	}
	now := stockholm(t, "2026-12-07 09:00")
	// Ada's ticket's response falls due in an hour; Nobody's was due an
	// hour ago; Bo's is a day away.
	for id, due := range map[int64]time.Time{ids[0]: now.Add(time.Hour), ids[1]: now.Add(-time.Hour), ids[2]: now.Add(24 * time.Hour)} {
		if _, err := pool.Exec(ctx, `UPDATE sla_clocks SET deadline = $2 WHERE ticket_id = $1 AND kind = 'response'`, id, due); err != nil {
			t.Fatal(err)
		}
	}
	if n, err := desk.Digests(ctx, pool, now); err != nil || n != 2 {
		t.Fatalf("Digests = %d, %v; want 2", n, err)
	}
	ms := digests(t, pool)
	byAgent := map[string]string{}
	for _, m := range ms {
		byAgent[m.Recipient] = m.Text
	}
	ada := byAgent["ada@desk.example"]
	for _, want := range []string{"Assigned to you:\n\nOpen\n  [#1] Ada's printer", "Unassigned in your teams:\n  [#2] Nobody's VPN",
		"Breached:\n  [#2] first response due Monday 7 December 2026, 08:00", "Due within 4 business hours:\n  [#1] first response due Monday 7 December 2026, 10:00"} {
		if !strings.Contains(ada, want) {
			t.Errorf("Ada's digest lacks %q:\n%s", want, ada)
		}
	}
	for _, not := range []string{"[#3]", "[#4]", "Payroll"} {
		if strings.Contains(ada, not) {
			t.Errorf("Ada's digest shows %q, another's or another team's ticket:\n%s", not, ada)
		}
	}
	bo := byAgent["bo@desk.example"]
	for _, want := range []string{"The tickets of your teams (support)", "  [#1] Ada's printer · Medium · Ada", "Waiting for the requester\n  [#3] Bo's laptop"} {
		if !strings.Contains(bo, want) {
			t.Errorf("Bo's (a lead's) digest lacks %q:\n%s", want, bo)
		}
	}
	if strings.Contains(bo, "[#4]") {
		t.Errorf("Bo's digest shows the hr team's ticket:\n%s", bo)
	}
}

// TestDigestReplyCommands: in a reply to a digest each command names its
// ticket and applies as in a reply about it (the status mail goes to the
// requester); a ticket the agent may not change applies nothing and
// answers with the digest and the problem; another agent using the
// digest's token commands nothing. No reply opens or joins a ticket.
func TestDigestReplyCommands(t *testing.T) {
	t.Parallel()
	pool := dbtest.Pool(t)
	desk := digestDesk(t)
	ctx := context.Background()
	mine := receiveWith(t, pool, desk, human(capture(t, pool, "support", 1), "m1@x", "VPN down"))[0].TicketID
	hr := receiveWith(t, pool, desk, human(capture(t, pool, "support", 2), "m2@x", "Payroll"))[0].TicketID
	if _, err := pool.Exec(ctx, `UPDATE tickets SET team = 'hr' WHERE id = $1`, hr); err != nil {
		t.Fatal(err)
	}
	if _, err := desk.Digests(ctx, pool, stockholm(t, "2026-12-07 08:00")); err != nil {
		t.Fatal(err)
	}
	var msgID, replyTo string
	for _, m := range digests(t, pool) {
		if m.Recipient == "ada@desk.example" {
			msgID, replyTo = m.MessageID, m.ReplyTo
		}
	}
	uid := 2
	reply := func(from, text string) ticketing.Outcome {
		t.Helper()
		uid++
		in := human(capture(t, pool, "support", uid), "r"+itoa(int64(uid))+"@desk.example", "Re: Your tickets")
		in.From = ticketing.Address{Address: from}
		in.To = []ticketing.Address{{Address: replyTo}}
		in.InReplyTo = []string{msgID}
		in.Text, in.NewText = text, text
		return receiveWith(t, pool, desk, in)[0]
	}
	state := func(id int64) (status, assignee string) {
		t.Helper()
		if err := pool.QueryRow(ctx, `SELECT status, assignee FROM tickets WHERE id = $1`, id).Scan(&status, &assignee); err != nil {
			t.Fatal(err)
		}
		return status, assignee
	}
	before := len(digests(t, pool))
	o := reply("ada@desk.example", "#take "+itoa(mine)+"\n#status "+itoa(mine)+" pending\n\nThanks\n> quoted digest")
	if s, a := state(mine); s != "pending" || a != "ada@desk.example" || o.Status != ticketing.StatusIgnored || o.TicketID != 0 ||
		!strings.Contains(o.Reason, "commands applied to [#1]") {
		t.Errorf("after #take and #status in a reply to the digest: ticket %s, %s; outcome %+v; want pending, Ada's, the reply on no ticket", s, a, o)
	}
	var pendingMails, events int
	if err := pool.QueryRow(ctx, `SELECT (SELECT count(*) FROM outbox WHERE event = 'status-pending' AND ticket_id = $1 AND recipient = 'asa@example.se'),
		(SELECT count(*) FROM events WHERE ticket_id = $1 AND kind = 'agent.digest_reply')`, mine).Scan(&pendingMails, &events); err != nil ||
		pendingMails != 1 || events != 1 {
		t.Errorf("status-pending mails to the requester %d, agent.digest_reply events %d (%v); want 1, 1", pendingMails, events, err)
	}
	// Another team's ticket: nothing applies, Ada gets her digest with the problem.
	o = reply("ada@desk.example", "#status "+itoa(mine)+" open\n#take "+itoa(hr))
	if s, a := state(hr); a != "" || s != "new" || !strings.Contains(o.Reason, "commands not applied") {
		t.Errorf("after #take of another team's ticket: %s, %q, outcome %+v; want it untouched and the commands refused", s, a, o)
	}
	if s, _ := state(mine); s != "pending" {
		t.Errorf("a refused reply's other command applied: ticket #%d is %s, want still pending", mine, s)
	}
	ms := digests(t, pool)
	if len(ms) != before+1 || ms[len(ms)-1].Recipient != "ada@desk.example" || !strings.Contains(ms[len(ms)-1].Subject, "Commands not applied") ||
		!strings.Contains(ms[len(ms)-1].Text, "#take "+itoa(hr)) {
		t.Errorf("answer to the refused reply: %d new digests, last %+v; want one to Ada naming the bad line", len(ms)-before, ms[len(ms)-1])
	}
	// Bo replies with Ada's digest token: not his, nothing applies.
	o = reply("bo@desk.example", "#take "+itoa(mine))
	if _, a := state(mine); a != "ada@desk.example" || !strings.Contains(o.Reason, "not verified") {
		t.Errorf("Bo's #take with Ada's digest token: assignee %q, outcome %+v; want Ada's still, not verified", a, o)
	}
	var tickets int
	if err := pool.QueryRow(ctx, `SELECT count(*) FROM tickets`).Scan(&tickets); err != nil || tickets != 2 {
		t.Errorf("%d tickets (%v), want 2: a reply to a digest opens none", tickets, err)
	}
}

// TestDigestSuppressedAddress: an agent's address whose mail bounced gets
// its digest recorded as suppressed, with the reason, and once.
func TestDigestSuppressedAddress(t *testing.T) {
	t.Parallel()
	pool := dbtest.Pool(t)
	desk := digestDesk(t)
	ctx := context.Background()
	if _, err := pool.Exec(ctx, `INSERT INTO contacts (address, suppressed_until, suppressed_reason)
		VALUES ('bo@desk.example', now() + interval '1 day', '550 5.1.1 no such user')`); err != nil {
		t.Fatal(err)
	}
	supportTicket(t, pool, desk)
	for range 2 {
		if _, err := desk.Digests(ctx, pool, stockholm(t, "2026-12-07 08:30")); err != nil {
			t.Fatal(err)
		}
	}
	ms := digests(t, pool)
	if len(ms) != 2 {
		t.Fatalf("%d digests, want Ada's and Bo's", len(ms))
	}
	for _, m := range ms {
		if suppressed := m.Status == "suppressed" && strings.Contains(m.Reason, "no such user"); suppressed != (m.Recipient == "bo@desk.example") {
			t.Errorf("digest to %s: %s, %q; want only Bo's suppressed, with the bounce", m.Recipient, m.Status, m.Reason)
		}
	}
}

// TestDigestInAgentsLanguage: the digest is in the language set for the
// agent's address, its dates in their calendar's words.
func TestDigestInAgentsLanguage(t *testing.T) {
	t.Parallel()
	pool := dbtest.Pool(t)
	desk := digestDesk(t)
	ctx := context.Background()
	supportTicket(t, pool, desk)
	if err := ticketing.SetContactLanguage(ctx, pool, "ada@desk.example", "sv"); err != nil {
		t.Fatal(err)
	}
	if _, err := desk.Digests(ctx, pool, stockholm(t, "2026-12-07 08:00")); err != nil {
		t.Fatal(err)
	}
	for _, m := range digests(t, pool) {
		sv := strings.HasPrefix(m.Subject, "Dina ärenden, måndag 7 december 2026 kl. 08.00") && strings.Contains(m.Text, "Otilldelade i dina team")
		if sv != (m.Recipient == "ada@desk.example") {
			t.Errorf("digest to %s: subject %q; want Swedish for Ada only", m.Recipient, m.Subject)
		}
	}
}

// TestDigestReplyNeedsDMARC: where DMARC is required, a reply to a digest
// without a trusted pass commands nothing, and its record says why.
func TestDigestReplyNeedsDMARC(t *testing.T) {
	t.Parallel()
	pool := dbtest.Pool(t)
	cal := officeCalendar(t)
	desk := agentDeskWith(t, func(c *ticketing.Config) {
		c.Verify = ticketing.VerifyConfig{RequireDMARC: true, Trusted: []string{"mx.desk.example"}}
		c.Digest = ticketing.DigestConfig{At: 8 * time.Hour, DueWithin: time.Hour, Agents: []ticketing.DigestAgent{{Address: "ada@desk.example", Calendar: cal}}}
	})
	ctx := context.Background()
	id := receiveWith(t, pool, desk, human(capture(t, pool, "support", 1), "m1@x", "VPN down"))[0].TicketID
	if _, err := desk.Digests(ctx, pool, stockholm(t, "2026-12-07 08:00")); err != nil {
		t.Fatal(err)
	}
	d := digests(t, pool)[0]
	in := human(capture(t, pool, "support", 2), "r2@desk.example", "Re: Your tickets")
	in.From, in.To, in.InReplyTo = ticketing.Address{Address: "ada@desk.example"}, []ticketing.Address{{Address: d.ReplyTo}}, []string{d.MessageID}
	in.Text, in.NewText = "#take "+itoa(id), "#take "+itoa(id)
	o := receiveWith(t, pool, desk, in)[0]
	var assignee string
	if err := pool.QueryRow(ctx, `SELECT assignee FROM tickets WHERE id = $1`, id).Scan(&assignee); err != nil {
		t.Fatal(err)
	}
	if assignee != "" || o.Status != ticketing.StatusIgnored || !strings.Contains(o.Reason, "not verified") || !strings.Contains(o.Reason, "Authentication-Results") {
		t.Errorf("#take without DMARC: assignee %q, outcome %+v; want nothing applied and the reason", assignee, o)
	}
	in.CaptureID, in.MessageID = capture(t, pool, "support", 3), "r3@desk.example"
	in.AuthResults = []ticketing.AuthResult{{ServID: "mx.desk.example", DMARC: "pass", DMARCFrom: "desk.example"}}
	o = receiveWith(t, pool, desk, in)[0]
	if err := pool.QueryRow(ctx, `SELECT assignee FROM tickets WHERE id = $1`, id).Scan(&assignee); err != nil || assignee != "ada@desk.example" {
		t.Errorf("#take with a trusted DMARC pass: assignee %q (%v), outcome %+v; want Ada's", assignee, err, o)
	}
}

// TestDigestNothingToList: an agent whose digest would list nothing (no
// ticket assigned to them that is not closed and none unassigned in their
// teams, hence no SLA target either) gets no digest. Their day counts as
// done all the same: the sweep does not try again at its next runs, nor
// send one when a ticket arrives later that day; the next working day's
// digest goes out as usual. The answer to a reply whose commands were not
// applied goes out even with nothing to list: it carries the problems.
func TestDigestNothingToList(t *testing.T) {
	t.Parallel()
	pool := dbtest.Pool(t)
	desk := digestDesk(t)
	ctx := context.Background()
	// Another team's ticket, and one of Ada's that is closed.
	hr := receiveWith(t, pool, desk, human(capture(t, pool, "support", 1), "m1@x", "Payroll"))[0].TicketID
	done := receiveWith(t, pool, desk, human(capture(t, pool, "support", 2), "m2@x", "Old printer"))[0].TicketID
	if _, err := pool.Exec(ctx, `UPDATE tickets SET team = 'hr' WHERE id = $1`, hr); err != nil {
		t.Fatal(err)
	}
	if _, err := pool.Exec(ctx, `UPDATE tickets SET assignee = 'ada@desk.example', status = 'closed' WHERE id = $1`, done); err != nil {
		t.Fatal(err)
	}
	run := func(at string) int {
		t.Helper()
		n, err := desk.Digests(ctx, pool, stockholm(t, at))
		if err != nil {
			t.Fatalf("Digests(%s): %v", at, err)
		}
		return n
	}
	for _, at := range []string{"2026-12-07 08:00", "2026-12-07 08:01"} {
		if n := run(at); n != 0 {
			t.Errorf("Digests(%s) = %d with nothing to list, want 0", at, n)
		}
	}
	if ms := digests(t, pool); len(ms) != 0 {
		t.Fatalf("%d digests queued with nothing to list, want none:\n%s", len(ms), ms[0].Text)
	}
	// A ticket for the support team arrives at noon: Monday is done.
	open := receiveWith(t, pool, desk, human(capture(t, pool, "support", 3), "m3@x", "VPN down"))[0].TicketID
	if n := run("2026-12-07 12:00"); n != 0 {
		t.Errorf("Digests(Monday 12:00) = %d after a ticket arrived, want 0: the day's digest was decided at 08:00", n)
	}
	if n := run("2026-12-08 08:00"); n != 2 {
		t.Errorf("Digests(Tuesday 08:00) = %d, want 2: Ada's and Bo's, each listing the new ticket", n)
	}
	ms := digests(t, pool)
	for _, m := range ms {
		if !strings.Contains(m.Text, "[#"+itoa(open)+"] VPN down") || !strings.Contains(m.Subject, "Tuesday 8 December 2026") {
			t.Errorf("digest to %s: %q\n%s\nwant Tuesday's, listing [#%d]", m.Recipient, m.Subject, m.Text, open)
		}
	}
	if n, err := ticketing.DigestsSent(ctx, pool); n != 2 || err != nil {
		t.Errorf("DigestsSent = %d, %v; want 2: days without mail are not digests sent", n, err)
	}
	// Nothing to list again, and Ada replies with a bad command: the
	// answer still goes, with the problem.
	if _, err := pool.Exec(ctx, `UPDATE tickets SET status = 'closed' WHERE id = $1`, open); err != nil {
		t.Fatal(err)
	}
	var ada digestMail
	for _, m := range ms {
		if m.Recipient == "ada@desk.example" {
			ada = m
		}
	}
	in := human(capture(t, pool, "support", 4), "r4@desk.example", "Re: Your tickets")
	in.From, in.To, in.InReplyTo = ticketing.Address{Address: "ada@desk.example"}, []ticketing.Address{{Address: ada.ReplyTo}}, []string{ada.MessageID}
	in.Text, in.NewText = "#take 99", "#take 99"
	if o := receiveWith(t, pool, desk, in)[0]; !strings.Contains(o.Reason, "commands not applied") {
		t.Errorf("reply with #take 99: outcome %+v, want the commands refused", o)
	}
	if ms := digests(t, pool); len(ms) != 3 || !strings.Contains(ms[2].Subject, "Commands not applied") || !strings.Contains(ms[2].Text, "#take 99") {
		t.Errorf("%d digests after the refused reply, want 3, the last the answer naming #take 99", len(ms))
	}
}

// TestDigestReplyDeliveredTwice: the same reply to a digest captured twice
// (it reached two mailboxes, or was fetched again under a new
// UIDVALIDITY), in two batches or in one, applies its commands once: the
// second copy is ignored as a duplicate delivery, by Message-ID and
// content as for any message. A refused reply delivered twice is answered
// once. A different reply reusing the Message-ID is not dropped.
func TestDigestReplyDeliveredTwice(t *testing.T) {
	t.Parallel()
	pool := dbtest.Pool(t)
	desk := digestDesk(t)
	ctx := context.Background()
	mine := supportTicket(t, pool, desk)
	if _, err := desk.Digests(ctx, pool, stockholm(t, "2026-12-07 08:00")); err != nil {
		t.Fatal(err)
	}
	var d digestMail
	for _, m := range digests(t, pool) {
		if m.Recipient == "ada@desk.example" {
			d = m
		}
	}
	uid := 1
	reply := func(msgID, text string) ticketing.Inbound {
		uid++
		in := human(capture(t, pool, "support", uid), msgID, "Re: Your tickets")
		in.From, in.To, in.InReplyTo = ticketing.Address{Address: "ada@desk.example"}, []ticketing.Address{{Address: d.ReplyTo}}, []string{d.MessageID}
		in.Text, in.NewText = text, text
		return in
	}
	again := func(in ticketing.Inbound) ticketing.Inbound { // the same mail, captured in the other mailbox
		uid++
		in.CaptureID, in.Mailbox = capture(t, pool, "it", uid), "it"
		return in
	}
	count := func(q string, args ...any) int {
		t.Helper()
		var n int
		if err := pool.QueryRow(ctx, q, args...).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	const statusEvents = `SELECT count(*) FROM events WHERE ticket_id = $1 AND kind = 'status.changed'`
	const replyEvents = `SELECT count(*) FROM events WHERE ticket_id = $1 AND kind = 'agent.digest_reply'`
	const pendingMails = `SELECT count(*) FROM outbox WHERE ticket_id = $1 AND event = 'status-pending'`
	isDuplicate := func(o ticketing.Outcome) bool {
		return o.Status == ticketing.StatusIgnored && o.TicketID == 0 && strings.Contains(o.Reason, "duplicate delivery")
	}

	// Two batches: the copy from the other mailbox comes after the
	// requester's answer has set the ticket open again.
	first := reply("r1@desk.example", "#status "+itoa(mine)+" pending")
	o1 := receiveWith(t, pool, desk, first)[0]
	uid++
	answer := human(capture(t, pool, "support", uid), "answer-1@x", "Re: VPN down")
	answer.InReplyTo = []string{"open-1@x"}
	receiveWith(t, pool, desk, answer)
	statuses := count(statusEvents, mine)
	o2 := receiveWith(t, pool, desk, again(first))[0]
	if !strings.Contains(o1.Reason, "commands applied") || !isDuplicate(o2) {
		t.Errorf("the two copies' outcomes: %+v, then %+v; want applied, then ignored as a duplicate delivery", o1, o2)
	}
	var status string
	if err := pool.QueryRow(ctx, `SELECT status FROM tickets WHERE id = $1`, mine).Scan(&status); err != nil {
		t.Fatal(err)
	}
	if s, r, p := count(statusEvents, mine), count(replyEvents, mine), count(pendingMails, mine); status != "open" || s != statuses || r != 1 || p != 1 {
		t.Errorf("after #status pending, the requester's answer and the second copy: ticket %s, status events %d (%d before the copy), "+
			"digest_reply events %d, status-pending mails %d; want open, %d, 1, 1", status, s, statuses, r, p, statuses)
	}

	// One batch holding both copies.
	second := reply("r2@desk.example", "#status "+itoa(mine)+" pending")
	os := receiveWith(t, pool, desk, second, again(second))
	if !strings.Contains(os[0].Reason, "commands applied") || !isDuplicate(os[1]) {
		t.Errorf("two copies in one batch: %+v, %+v; want applied, then ignored as a duplicate delivery", os[0], os[1])
	}
	if r, p := count(replyEvents, mine), count(pendingMails, mine); r != 2 || p != 2 {
		t.Errorf("after the second reply's two copies: digest_reply events %d, status-pending mails %d; want 2, 2 (one per reply)", r, p)
	}

	// A refused reply, twice: one answer.
	answers := len(digests(t, pool))
	bad := reply("r3@desk.example", "#take 99")
	o1 = receiveWith(t, pool, desk, bad)[0]
	o2 = receiveWith(t, pool, desk, again(bad))[0]
	if !strings.Contains(o1.Reason, "commands not applied") || !isDuplicate(o2) {
		t.Errorf("a refused reply's two copies: %+v, then %+v; want refused, then ignored as a duplicate delivery", o1, o2)
	}
	if n := len(digests(t, pool)) - answers; n != 1 {
		t.Errorf("%d answers to a refused reply delivered twice, want 1", n)
	}

	// Two processes, each with a copy, at once: the second waits for the
	// first's transaction, then finds the reply recorded.
	third := reply("r4@desk.example", "#status "+itoa(mine)+" open")
	copy3 := again(third)
	tx, err := pool.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback(ctx)
	o1s, err := desk.Receive(ctx, tx, []ticketing.Inbound{third})
	if err != nil {
		t.Fatal(err)
	}
	other := digestDesk(t)
	seconds := make(chan []ticketing.Outcome, 1)
	go func() {
		var out []ticketing.Outcome
		err := pgx.BeginFunc(ctx, pool, func(tx pgx.Tx) error {
			var err error
			out, err = other.Receive(ctx, tx, []ticketing.Inbound{copy3})
			return err
		})
		if err != nil {
			t.Errorf("the second process's Receive: %v", err)
		}
		seconds <- out
	}()
	for waiting, deadline := 0, time.Now().Add(30*time.Second); waiting == 0; time.Sleep(10 * time.Millisecond) {
		if err := pool.QueryRow(ctx, `SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted
			AND database = (SELECT oid FROM pg_database WHERE datname = current_database())`).Scan(&waiting); err != nil {
			t.Fatal(err)
		}
		if time.Now().After(deadline) {
			t.Fatal("the second process's Receive never waited for the first's transaction")
		}
	}
	if err := tx.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	if o2s := <-seconds; !strings.Contains(o1s[0].Reason, "commands applied") || len(o2s) != 1 || !isDuplicate(o2s[0]) {
		t.Errorf("two processes, a copy each: %+v, then %+v; want applied, then ignored as a duplicate delivery", o1s, o2s)
	}
	if r := count(replyEvents, mine); r != 3 {
		t.Errorf("digest_reply events after two processes' copies = %d, want 3", r)
	}

	// The Message-ID of the first reply again, with other content: a reply
	// of its own.
	reused := reply("r1@desk.example", "#status "+itoa(mine)+" pending")
	reused.Text, reused.NewText = "#status "+itoa(mine)+" pending\n\nBack to the requester.", "#status "+itoa(mine)+" pending"
	if o := receiveWith(t, pool, desk, reused)[0]; !strings.Contains(o.Reason, "commands applied") {
		t.Errorf("a new reply reusing a Message-ID: %+v; want its commands applied", o)
	}
	if r := count(replyEvents, mine); r != 4 {
		t.Errorf("digest_reply events = %d, want 4", r)
	}
}
