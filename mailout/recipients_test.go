package mailout

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/deskgate/deskgate/internal/smtpmem"
	"github.com/deskgate/deskgate/ticketing"
)

// participants returns n Cc addresses.
func participants(n int) []ticketing.Address {
	var cc []ticketing.Address
	for i := range n {
		cc = append(cc, ticketing.Address{Address: fmt.Sprintf("p%03d@example.org", i)})
	}
	return cc
}

// received counts, per address, how many copies the server accepted.
func received(msgs []smtpmem.Message) map[string]int {
	got := map[string]int{}
	for _, m := range msgs {
		for _, to := range m.To {
			got[to]++
		}
	}
	return got
}

// TestManyRecipientsSplit: a relayed reply to a ticket with 120
// participants goes out in transactions of at most smtp.max_recipients,
// and in more when the server's own limit is lower (452 4.5.3): every
// recipient gets exactly one copy, and the requester's delivery is logged.
// Before, all 121 went in one transaction, which Postfix ends with "421 too
// many errors" past its limits; the mail was retried for 48 hours and the
// requester never got it.
func TestManyRecipientsSplit(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name                  string
		ours, server, largest int
	}{
		{"our limit", 50, 1000, 50},
		{"server's lower limit", 50, 30, 30},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t, smtpmem.Options{MaxRecipients: tc.server, ErrorLimit: 20})
			ticket := e.ticket()
			cc := participants(120)
			id := e.insert(row{ticket: ticket, to: []ticketing.Address{{Address: "requester@example.com"}}, cc: cc})[0]
			cfg := e.config()
			cfg.MaxRecipients = tc.ours
			e.start(cfg)

			r := e.waitStatus(id, ticketing.OutboxSent, 10*time.Second)
			msgs := e.srv.Messages()
			got := received(msgs)
			if len(got) != 121 || got["requester@example.com"] != 1 {
				t.Errorf("recipients with a copy = %d (requester %d), want 121 (requester 1)", len(got), got["requester@example.com"])
			}
			for a, n := range got {
				if n != 1 {
					t.Errorf("%s got %d copies, want 1", a, n)
				}
			}
			largest := 0
			for _, m := range msgs {
				largest = max(largest, len(m.To))
				if messageID(m.Data) != r.MessageID {
					t.Errorf("Message-ID = %q, want %q in every transaction", messageID(m.Data), r.MessageID)
				}
			}
			if largest != tc.largest || r.Attempts != 1 {
				t.Errorf("largest transaction = %d recipients, attempts %d; want %d, 1", largest, r.Attempts, tc.largest)
			}
			e.wantEvents(ticket, "notification.delivered")
		})
	}
}

// TestBadCcDoesNotBlockRequester: a Cc refused for good (5.1.1) fails
// alone and is suppressed; a Cc refused for now (450) gets the mail on the
// next attempt, which goes to it alone: the requester, accepted on the first
// attempt, is not sent a second copy.
func TestBadCcDoesNotBlockRequester(t *testing.T) {
	t.Parallel()
	e := newEnv(t, smtpmem.Options{})
	e.srv.AddFault(smtpmem.Fault{Stage: smtpmem.StageRcpt, Addr: "gone@example.org", Code: 550, Enhanced: "5.1.1", Message: "no such user"})
	e.srv.AddFault(smtpmem.Fault{Stage: smtpmem.StageRcpt, Addr: "busy@example.org", Code: 450, Enhanced: "4.2.1", Message: "busy", Times: 1})
	ticket := e.ticket()
	id := e.insert(row{ticket: ticket, to: []ticketing.Address{{Address: "requester@example.com"}},
		cc: []ticketing.Address{{Address: "gone@example.org"}, {Address: "busy@example.org"}, {Address: "ok@example.org"}}})[0]
	cfg := e.config()
	cfg.SuppressFor = time.Hour
	e.start(cfg)

	r := e.waitStatus(id, ticketing.OutboxSent, 10*time.Second)
	msgs := e.srv.Messages()
	if len(msgs) != 2 || strings.Join(msgs[0].To, " ") != "requester@example.com ok@example.org" || strings.Join(msgs[1].To, " ") != "busy@example.org" {
		var tos [][]string
		for _, m := range msgs {
			tos = append(tos, m.To)
		}
		t.Errorf("transactions = %q, want [requester ok] then [busy] alone", tos)
	}
	if r.Attempts != 2 || !strings.Contains(r.Reply, "<gone@example.org> 550 5.1.1") {
		t.Errorf("outbox row = %+v, want sent on attempt 2, the refusal of gone@ in the reply", r)
	}
	rows, _ := e.pool.Query(context.Background(), `SELECT address FROM contacts WHERE suppressed_until > now()`)
	suppressed, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil || !slices.Equal(suppressed, []string{"gone@example.org"}) {
		t.Errorf("suppressed = %q, %v; want [gone@example.org]", suppressed, err)
	}
	e.wantEvents(ticket, "notification.delivered")
}

// TestRequesterRefusedFails: when the requester is refused for good the
// email fails (the ticket says so), although the Cc got it.
func TestRequesterRefusedFails(t *testing.T) {
	t.Parallel()
	e := newEnv(t, smtpmem.Options{})
	e.srv.AddFault(smtpmem.Fault{Stage: smtpmem.StageRcpt, Addr: "requester@example.com", Code: 550, Enhanced: "5.1.1", Message: "no such user"})
	ticket := e.ticket()
	id := e.insert(row{ticket: ticket, to: []ticketing.Address{{Address: "requester@example.com"}}, cc: []ticketing.Address{{Address: "ok@example.org"}}})[0]
	e.start(e.config())
	r := e.waitStatus(id, ticketing.OutboxFailed, 10*time.Second)
	if !strings.Contains(r.Reply, "<requester@example.com> 550 5.1.1") {
		t.Errorf("reply = %q, want the requester's refusal", r.Reply)
	}
	if got := received(e.srv.Messages()); got["ok@example.org"] != 1 {
		t.Errorf("copies = %v, want one for ok@example.org", got)
	}
	e.wantEvents(ticket, "notification.failed")
}

// TestAcceptedRecipientsPersisted: once a transaction of a multi-transaction
// send is accepted, its recipients are stored before the next begins, so a
// crash in the next one does not send them a second copy. The server
// stalls the second transaction; meanwhile the first one's recipients are
// in outbox_recipients.
func TestAcceptedRecipientsPersisted(t *testing.T) {
	t.Parallel()
	var srv *smtpmem.Server
	e := newEnv(t, smtpmem.Options{Deliver: func(smtpmem.Message) { srv.Hang() }})
	srv = e.srv
	id := e.insert(row{to: []ticketing.Address{{Address: "requester@example.com"}}, cc: participants(5)})[0]
	cfg := e.config()
	cfg.MaxRecipients = 4
	e.start(cfg)
	e.wait(1, 10*time.Second)
	deadline := time.Now().Add(10 * time.Second)
	for {
		var got []string
		err := e.pool.QueryRow(context.Background(),
			`SELECT coalesce(array_agg(address ORDER BY address), '{}') FROM outbox_recipients WHERE outbox_id = $1 AND status = 'accepted'`, id).Scan(&got)
		if err != nil {
			t.Fatal(err)
		}
		if slices.Equal(got, []string{"p000@example.org", "p001@example.org", "p002@example.org", "requester@example.com"}) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("accepted recipients stored = %q, want the first transaction's four", got)
		}
		time.Sleep(10 * time.Millisecond)
	}
	srv.Release()
}

// wantEvents checks that ticket's events are of kinds, in order.
func (e *env) wantEvents(ticket int64, kinds ...string) {
	e.t.Helper()
	if got, _ := e.events(ticket); !slices.Equal(got, kinds) {
		e.t.Errorf("events = %q, want %q", got, kinds)
	}
}

// TestManyBadCcsAndAnErrorLimit: Postfix hangs up (421 4.7.0 too many
// errors) after its error limit of refused recipients; the refusals it gave
// are final, so the sender goes on in a new connection without them, and the
// requester and the good Cc get their copy on the first attempt.
func TestManyBadCcsAndAnErrorLimit(t *testing.T) {
	t.Parallel()
	e := newEnv(t, smtpmem.Options{ErrorLimit: 5})
	var cc []ticketing.Address
	for i := range 12 {
		bad := fmt.Sprintf("bad%02d@example.org", i)
		e.srv.AddFault(smtpmem.Fault{Stage: smtpmem.StageRcpt, Addr: bad, Code: 550, Enhanced: "5.1.1", Message: "no such user"})
		cc = append(cc, ticketing.Address{Address: bad})
	}
	cc = append(cc, ticketing.Address{Address: "good@example.org"})
	ticket := e.ticket()
	id := e.insert(row{ticket: ticket, to: []ticketing.Address{{Address: "requester@example.com"}}, cc: cc})[0]
	e.start(e.config())

	r := e.waitStatus(id, ticketing.OutboxSent, 10*time.Second)
	got := received(e.srv.Messages())
	if r.Attempts != 1 || len(got) != 2 || got["requester@example.com"] != 1 || got["good@example.org"] != 1 {
		t.Errorf("attempts %d, copies %v; want one attempt, one copy each for the requester and good@", r.Attempts, got)
	}
	if n := strings.Count(r.Reply, " 550 5.1.1 "); n != 12 {
		t.Errorf("reply = %q, want the 12 refusals", r.Reply)
	}
	e.wantEvents(ticket, "notification.delivered")
}

// TestGiveUpOnCcAfterRequester: a Cc refused for now on every attempt is
// given up on at the end, but the email stays sent: the requester got it.
func TestGiveUpOnCcAfterRequester(t *testing.T) {
	t.Parallel()
	e := newEnv(t, smtpmem.Options{})
	e.srv.AddFault(smtpmem.Fault{Stage: smtpmem.StageRcpt, Addr: "busy@example.org", Code: 450, Enhanced: "4.2.1", Message: "busy"})
	id := e.insert(row{to: []ticketing.Address{{Address: "requester@example.com"}}, cc: []ticketing.Address{{Address: "busy@example.org"}}})[0]
	cfg := e.config()
	cfg.MaxAttempts = 3
	e.start(cfg)
	r := e.waitRow(id, 10*time.Second, "settled", func(r outboxRow) bool { return r.Status != ticketing.OutboxQueued })
	if r.Status != ticketing.OutboxSent || r.Attempts != 3 || !strings.Contains(r.Reply, "gave up after 3 attempts") || !strings.Contains(r.Reply, "<busy@example.org> 450 4.2.1 busy") {
		t.Errorf("outbox row = %+v, want sent after 3 attempts, having given up on busy@", r)
	}
	if got := received(e.srv.Messages()); len(got) != 1 || got["requester@example.com"] != 1 {
		t.Errorf("copies = %v, want one, for the requester", got)
	}
}

// TestQueuedButDelivered: while a Cc waits for a retry, the ticket shows the
// email queued and already delivered to its recipient, and the event says so.
func TestQueuedButDelivered(t *testing.T) {
	t.Parallel()
	e := newEnv(t, smtpmem.Options{})
	e.srv.AddFault(smtpmem.Fault{Stage: smtpmem.StageRcpt, Addr: "busy@example.org", Code: 450, Enhanced: "4.2.1", Message: "busy"})
	ticket := e.ticket()
	id := e.insert(row{ticket: ticket, to: []ticketing.Address{{Address: "requester@example.com"}}, cc: []ticketing.Address{{Address: "busy@example.org"}}})[0]
	cfg := e.config()
	cfg.RetryBase, cfg.RetryMax = time.Hour, time.Hour
	e.start(cfg)
	e.waitRow(id, 10*time.Second, "attempt 1 recorded", func(r outboxRow) bool { return r.Attempts == 1 && r.LeaseOwner == nil })
	tk, err := ticketing.GetTicket(context.Background(), e.pool, ticket)
	if err != nil {
		t.Fatal(err)
	}
	if len(tk.Notifications) != 1 || tk.Notifications[0].Status != ticketing.OutboxQueued || !tk.Notifications[0].Delivered {
		t.Errorf("notifications = %+v, want one queued and delivered to the requester", tk.Notifications)
	}
	e.wantEvents(ticket, "notification.delivered")
}

// TestRetryAfterCrashSkipsStored: a process that crashed in the middle of
// a multi-transaction send left the recipients it had settled stored and
// the row queued; the next sender sends to the others only, and the
// email counts as delivered: its recipient was among those accepted.
func TestRetryAfterCrashSkipsStored(t *testing.T) {
	t.Parallel()
	e := newEnv(t, smtpmem.Options{})
	id := e.insert(row{to: []ticketing.Address{{Address: "requester@example.com"}}, cc: participants(3)})[0]
	if _, err := e.pool.Exec(context.Background(), `INSERT INTO outbox_recipients (outbox_id, address, status, reply)
		VALUES ($1, 'requester@example.com', 'accepted', ''), ($1, 'p000@example.org', 'refused', '<p000@example.org> 550 5.1.1 gone')`, id); err != nil {
		t.Fatal(err)
	}
	e.start(e.config())
	r := e.waitStatus(id, ticketing.OutboxSent, 10*time.Second)
	msgs := e.srv.Messages()
	if len(msgs) != 1 || strings.Join(msgs[0].To, " ") != "p001@example.org p002@example.org" {
		t.Errorf("messages = %+v, want one to p001 and p002 only", msgs)
	}
	if !strings.Contains(r.Reply, "refused: <p000@example.org> 550 5.1.1 gone") {
		t.Errorf("reply = %q, want the earlier refusal kept", r.Reply)
	}
}
