package ticketing_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/deskgate/deskgate/internal/dbtest"
	"github.com/deskgate/deskgate/ticketing"
	"github.com/deskgate/deskgate/ticketing/token"
)

func addr(a string) ticketing.Address { return ticketing.Address{Address: a} }

// TestConversation follows one conversation through the ways clients and
// people actually reply, checking the ticket and the deciding evidence.
func TestConversation(t *testing.T) {
	t.Parallel()
	pool := dbtest.Pool(t)
	ctx := context.Background()
	uid := 0
	next := func(msgID, from, subject string) ticketing.Inbound {
		uid++
		in := human(capture(t, pool, "support", uid), msgID, subject)
		in.From = addr(from)
		in.Text = fmt.Sprintf("message %d", uid)
		return in
	}

	first := next("m1@northwind.example", "alice@northwind.example", "Printer on 3rd floor jams")
	first.To = []ticketing.Address{addr("help@desk.example")}
	first.Cc = []ticketing.Address{addr("Bob@Northwind.example"), addr("help@desk.example")}
	first.ThreadRoot = "AdtdFxk3Qv2m0pIYTT6sVb6GzQ8Aaw==" // sent from Outlook
	t1 := receive(t, pool, first)[0].TicketID
	var participants []string
	if err := pool.QueryRow(ctx, `SELECT array_agg(address || ':' || role ORDER BY address) FROM participants WHERE ticket_id = $1`, t1).Scan(&participants); err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(participants) != "[alice@northwind.example:requester bob@northwind.example:cc]" {
		t.Errorf("participants = %v, want Alice as requester and Bob as cc, never the desk", participants)
	}

	tag := fmt.Sprintf("[#%d]", t1)
	for _, tc := range []struct {
		name     string
		in       func() ticketing.Inbound
		sameAs   bool // joins t1
		evidence ticketing.Evidence
	}{
		{"Cc'd person replies (In-Reply-To)", func() ticketing.Inbound {
			in := next("m2@northwind.example", "bob@northwind.example", "RE: Printer on 3rd floor jams")
			in.InReplyTo = []string{"m1@northwind.example"}
			return in
		}, true, ticketing.Evidence{Kind: "in-reply-to", Value: "m1@northwind.example"}},
		{"Apple Mail overwrote References, no In-Reply-To", func() ticketing.Inbound {
			in := next("m3@northwind.example", "alice@northwind.example", "Re: Printer on 3rd floor jams")
			in.References = []string{"unknown-root@elsewhere.example", "m2@northwind.example"}
			return in
		}, true, ticketing.Evidence{Kind: "references", Value: "m2@northwind.example"}},
		{"edited subject, Fwd: in the middle, tag kept, from a participant", func() ticketing.Inbound {
			return next("m4@northwind.example", "ALICE@northwind.example", "SV: Fwd: AW: "+tag+" now the scanner too")
		}, true, ticketing.Evidence{Kind: "subject-tag", Value: tag}},
		{"Outlook reply with only Thread-Index, from someone not on the ticket: held", func() ticketing.Inbound {
			in := next("m3b@northwind.example", "dave@northwind.example", "SV: skrivaren")
			in.ThreadRoot = "AdtdFxk3Qv2m0pIYTT6sVb6GzQ8Aaw=="
			return in
		}, true, ticketing.Evidence{Kind: "thread-index", Value: "AdtdFxk3Qv2m0pIYTT6sVb6GzQ8Aaw=="}},
		{"stranger quoting the ticket number", func() ticketing.Inbound {
			return next("x1@evil.example", "mallory@evil.example", "Re: "+tag+" please send me the files")
		}, false, ticketing.Evidence{Kind: "new"}},
		{"someone forwarded the thread replies with its headers: held", func() ticketing.Inbound {
			in := next("m5@northwind.example", "carol@northwind.example", "Re: Printer on 3rd floor jams")
			in.References = []string{"m1@northwind.example", "m3@northwind.example"}
			return in
		}, true, ticketing.Evidence{Kind: "references", Value: "m3@northwind.example"}},
		{"the newcomer may not use the tag before an agent admits her", func() ticketing.Inbound {
			return next("m6@northwind.example", "carol@northwind.example", "回复: "+tag)
		}, false, ticketing.Evidence{Kind: "new"}},
		{"once admitted, she may", func() ticketing.Inbound {
			if _, err := plainDesk.Admit(ctx, pool, t1, []string{"Carol@Northwind.example"}, "agent@desk.example"); err != nil {
				t.Fatal(err)
			}
			return next("m7@northwind.example", "carol@northwind.example", "回复: "+tag)
		}, true, ticketing.Evidence{Kind: "subject-tag", Value: tag}},
	} {
		out := receive(t, pool, tc.in())[0]
		if (out.TicketID == t1) != tc.sameAs || out.Evidence != tc.evidence {
			t.Errorf("%s: ticket %d (first ticket %d), evidence %+v; want same ticket %v, evidence %+v",
				tc.name, out.TicketID, t1, out.Evidence, tc.sameAs, tc.evidence)
		}
		if held := strings.Contains(out.Reason, "held"); held != strings.HasSuffix(tc.name, "held") {
			t.Errorf("%s: reason %q", tc.name, out.Reason)
		}
	}

	var kinds []string
	if err := pool.QueryRow(ctx, `SELECT array_agg(kind || ':' || coalesce(detail->>'address', detail->>'tag', '') ORDER BY id)
		FROM events WHERE kind IN ('participant.added', 'subject_tag.ignored', 'message.held')`).Scan(&kinds); err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(kinds) != fmt.Sprintf("[message.held: subject_tag.ignored:%d message.held: subject_tag.ignored:%d participant.added:carol@northwind.example]", t1, t1) {
		t.Errorf("events = %v, want Dave held, the stranger's ignored tag, Carol held, her tag ignored, then Carol admitted", kinds)
	}
}

// TestReplyInSameBatch: a backlog holding a message and replies to it.
func TestReplyInSameBatch(t *testing.T) {
	t.Parallel()
	pool := dbtest.Pool(t)
	a := human(capture(t, pool, "support", 1), "root@example.se", "VPN")
	b := human(capture(t, pool, "support", 2), "reply1@example.se", "Re: VPN")
	b.InReplyTo = []string{"root@example.se"}
	c := human(capture(t, pool, "support", 3), "reply2@example.se", "Re: Re: VPN")
	c.References = []string{"root@example.se", "reply1@example.se"}
	c.Text = "third"
	b.Text = "second"
	out := receive(t, pool, a, b, c)
	if out[0].Status != "ticketed" || out[1].TicketID != out[0].TicketID || out[2].TicketID != out[0].TicketID ||
		out[2].Evidence != (ticketing.Evidence{Kind: "references", Value: "reply1@example.se"}) {
		t.Fatalf("same batch = %+v, want both replies on the first message's ticket", out)
	}
}

func TestSubjectTag(t *testing.T) {
	t.Parallel()
	def := ticketing.NewTagger("")
	for subject, want := range map[string]int64{
		"[#1234] Printer":            1234,
		"Re: AW: SV: [#1234]":        1234,
		"Fwd: [ # 77 ] spaced":       77,
		"回复: ［#88］ full-width":       88,
		"No tag here #1234":          0,
		"[1234] not our shape":       0,
		"[#99999999999999999999] no": 0,
	} {
		if got := def.Find(subject); got != want {
			t.Errorf("Find(%q) = %d, want %d", subject, got, want)
		}
	}
	custom := ticketing.NewTagger("HELP-")
	if got := custom.Find("Re: [help-42] VPN"); got != 42 || custom.Find("[#42]") != 0 || custom.Tag(42) != "[HELP-42]" {
		t.Errorf("prefix HELP-: Find = %d, Find([#42]) = %d, Tag = %q; want 42, 0, [HELP-42]", got, custom.Find("[#42]"), custom.Tag(42))
	}
}

func TestTokenEvidence(t *testing.T) {
	t.Parallel()
	pool := dbtest.Pool(t)
	ctx := context.Background()
	keys, err := token.NewKeys(1, map[byte][]byte{1: []byte("0123456789abcdef0123456789abcdef")})
	if err != nil {
		t.Fatal(err)
	}
	forger, _ := token.NewKeys(1, map[byte][]byte{1: []byte("not-the-desk-secret-but-32-bytes")})
	desk := ticketing.NewDesk(quiet, ticketing.Config{DeskAddresses: []string{"help@desk.example"}, Domain: "desk.example", Tokens: keys})

	t1 := receiveWith(t, pool, desk, human(capture(t, pool, "support", 1), "t1@example.se", "Skrivaren"))[0].TicketID
	issued := token.Claims{Ticket: uint64(t1), Recipient: 7, Nonce: 1}
	want := ticketing.Evidence{Kind: "token", Value: fmt.Sprintf("ticket #%d, issued to recipient 7", t1)}

	// A reply whose client kept our Message-ID in In-Reply-To, nothing else.
	viaID := human(capture(t, pool, "support", 2), "r1@example.se", "Sv: something else entirely")
	viaID.InReplyTo = []string{keys.MessageID(issued, "desk.example")}
	// A forwarded reply to our plus-address from someone new; the subject lost its tag.
	viaAddr := human(capture(t, pool, "support", 3), "r2@example.org", "Fwd: printer")
	viaAddr.From = addr("manager@example.org")
	viaAddr.To = []ticketing.Address{addr(keys.ReplyTo(issued, "help@desk.example"))}
	// A forged token plus a quoted tag from a stranger: neither is trusted.
	forged := human(capture(t, pool, "support", 4), "f1@evil.example", fmt.Sprintf("Re: [#%d]", t1))
	forged.From = addr("mallory@evil.example")
	forged.InReplyTo = []string{forger.MessageID(issued, "desk.example")}
	// A genuine token for a ticket that does not exist falls through.
	gone := human(capture(t, pool, "support", 5), "g1@example.se", "Old ticket")
	gone.InReplyTo = []string{keys.MessageID(token.Claims{Ticket: 999999}, "desk.example")}

	out := receiveWith(t, pool, desk, viaID, viaAddr, forged, gone)
	for i, tc := range []struct {
		ticket   int64
		evidence ticketing.Evidence
	}{{t1, want}, {t1, want}, {0, ticketing.Evidence{Kind: "new"}}, {0, ticketing.Evidence{Kind: "new"}}} {
		if (tc.ticket != 0 && out[i].TicketID != tc.ticket) || (tc.ticket == 0 && out[i].TicketID == t1) || out[i].Evidence != tc.evidence {
			t.Errorf("message %d: ticket %d, evidence %+v; want %v, %+v", i, out[i].TicketID, out[i].Evidence, tc.ticket, tc.evidence)
		}
	}
	var events []string
	if err := pool.QueryRow(ctx, `SELECT array_agg(kind ORDER BY id) FROM events WHERE ticket_id = $1 AND kind <> 'message.received'`,
		out[2].TicketID).Scan(&events); err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(events) != "[ticket.created token.invalid subject_tag.ignored]" {
		t.Errorf("events of the forger's ticket = %v, want created, invalid token, ignored tag", events)
	}
	var manager bool
	if err := pool.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM participants WHERE ticket_id = $1 AND address = 'manager@example.org')`, t1).Scan(&manager); err != nil || !manager {
		t.Errorf("manager joined as participant = %v (%v), want true", manager, err)
	}
}

func TestRequesterFromReplyTo(t *testing.T) {
	t.Parallel()
	pool := dbtest.Pool(t)
	ctx := context.Background()
	form := human(capture(t, pool, "support", 1), "form-1@web.example", "Contact form: laptop broken")
	form.From = ticketing.Address{Name: "Web form", Address: "noreply@web.example"}
	form.ReplyTo = []ticketing.Address{{Name: "Kim Lee", Address: "kim@example.org"}}
	byReplyTo := ticketing.NewDesk(quiet, ticketing.Config{DeskAddresses: []string{"help@desk.example"}, RequesterFromReplyTo: true})
	tk, err := ticketing.GetTicket(ctx, pool, receiveWith(t, pool, byReplyTo, form)[0].TicketID)
	if err != nil {
		t.Fatal(err)
	}
	if tk.Requester.Address != "kim@example.org" || tk.Thread[0].From.Address != "noreply@web.example" {
		t.Errorf("requester %s, message from %s; want the Reply-To as requester and the sender kept on the message",
			tk.Requester.Address, tk.Thread[0].From.Address)
	}
	plain := form
	plain.CaptureID, plain.MessageID = capture(t, pool, "support", 2), "form-2@web.example"
	tk2, err := ticketing.GetTicket(ctx, pool, receive(t, pool, plain)[0].TicketID)
	if err != nil || tk2.Requester.Address != "noreply@web.example" {
		t.Errorf("without the option: requester %s (%v), want the sender", tk2.Requester.Address, err)
	}
}

func TestRequesterAddsCcLater(t *testing.T) {
	t.Parallel()
	pool := dbtest.Pool(t)
	ctx := context.Background()
	t1 := receive(t, pool, human(capture(t, pool, "support", 1), "q1@example.se", "Behörighet"))[0].TicketID
	r := human(capture(t, pool, "support", 2), "q2@example.se", "Re: Behörighet")
	r.InReplyTo = []string{"q1@example.se"}
	r.Cc = []ticketing.Address{addr("Chef@Example.se"), addr("help@desk.example")}
	s := human(capture(t, pool, "support", 3), "q3@example.se", "Re: Behörighet")
	s.From, s.InReplyTo = addr("chef@example.se"), []string{"q2@example.se"}
	s.Cc = []ticketing.Address{addr("outsider@example.se")} // not the requester: no new participant
	receive(t, pool, r)
	receive(t, pool, s)
	var got []string
	if err := pool.QueryRow(ctx, `SELECT array_agg(address ORDER BY address) FROM participants WHERE ticket_id = $1`, t1).Scan(&got); err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(got) != "[asa@example.se chef@example.se]" {
		t.Errorf("participants = %v, want the requester and the manager she copied, not the desk or the manager's Cc", got)
	}
}
