package ticketing_test

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/deskgate/deskgate/internal/dbtest"
	"github.com/deskgate/deskgate/templates"
	"github.com/deskgate/deskgate/ticketing"
)

// FuzzStrangers drives a desk with random conversations: a requester, her
// colleagues, strangers who copy any Message-ID, Thread-Index root or
// ticket tag they could have seen (our own signed Message-IDs included),
// agents who answer, accept and change statuses. After every message it
// checks the invariant of the threading model against a model of who may
// take part: nobody becomes a participant of a ticket, or receives an
// agent's reply on it, unless they wrote or were addressed in the mail
// that opened it, were addressed by its requester, replied with one of its
// signed tokens, or were admitted by an agent. The seeds run with go test;
// go test -fuzz FuzzStrangers ./ticketing/ explores further.
func FuzzStrangers(f *testing.F) {
	for _, seed := range []string{
		"\x00\x01\x02\x03\x04\x05\x06\x07",
		"\x00\x00\x00\x00\x05\x05\x05\x06\x06\x01\x01",
		"\x07\x03\x07\x02\x00\x01\x04\x06\x05\x07\x00\x04\x01\x03",
		"\x04\x11\x24\x35\x46\x57\x60\x71\x82\x93\xa4\xb5\xc6\xd7\xe0\xf1",
		"\x06\x00\x07\x07\x00\x02\x01\x05\x04\x04\x03\x00\x06\x05",
		"\x02\x02\x02\x04\x04\x04\x07\x07\x07\x00\x00\x00\x05\x06",
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, script []byte) {
		// Long enough for every path; short enough that one input stays
		// well inside the fuzzing engine's time per input on two cores.
		if len(script) > 16 {
			script = script[:16]
		}
		w := &strangerWorld{t: t, pool: dbtest.Pool(t), desk: agentDesk(t, ticketing.VerifyConfig{}),
			script: script, allowed: map[int64]map[string]bool{}}
		w.run()
	})
}

var (
	colleagues = []string{"asa@example.se", "bob@example.se", "carol@example.se"}
	strangers  = []string{"mallory@evil.example", "eve@evil.example", "trudy@other.example"}
)

// strangerWorld is one random conversation and the model it is checked
// against.
type strangerWorld struct {
	t       *testing.T
	pool    *pgxpool.Pool
	desk    *ticketing.Desk
	script  []byte
	pos     int
	uid     int
	ids     []string                  // every Message-ID anyone could have seen
	roots   []string                  // Thread-Index roots
	ticket  []int64                   // tickets opened so far
	allowed map[int64]map[string]bool // the model: who may take part in each ticket
}

func (w *strangerWorld) next(n int) int {
	if w.pos >= len(w.script) {
		return 0
	}
	b := w.script[w.pos]
	w.pos++
	return int(b) % n
}

func (w *strangerWorld) pick(list []string) string { return list[w.next(len(list))] }

func (w *strangerWorld) run() {
	w.send(w.mail("asa@example.se", nil, w.addrs(colleagues[1:])))
	for w.pos < len(w.script) {
		switch w.next(8) {
		case 0, 1: // a stranger replies by In-Reply-To or References
			in := w.mail(w.pick(strangers), nil, w.addrs(strangers))
			if w.next(2) == 0 {
				in.InReplyTo = []string{w.pick(w.ids)}
			} else {
				in.References = []string{w.pick(w.ids), w.pick(w.ids)}
			}
			w.send(in)
		case 2: // a stranger sends a ticket's Thread-Index root
			if len(w.roots) > 0 {
				in := w.mail(w.pick(strangers), nil, nil)
				in.ThreadRoot = w.pick(w.roots)
				w.send(in)
			}
		case 3: // a stranger quotes a ticket's tag
			in := w.mail(w.pick(strangers), nil, nil)
			in.Subject = fmt.Sprintf("Re: [#%d] hello", w.ticket[w.next(len(w.ticket))])
			w.send(in)
		case 4: // a colleague replies, copying anyone in
			in := w.mail(w.pick(colleagues), nil, w.addrs(append(slices.Clone(strangers), colleagues...)))
			in.InReplyTo = []string{w.pick(w.ids)}
			w.send(in)
		case 5: // an agent answers
			w.agent("Here is what I found.")
		case 6: // an agent admits whoever the ticket holds
			w.agent("#accept")
		case 7: // the ticket moves on
			st := []string{"pending", "resolved", "closed", "open"}[w.next(4)]
			_ = w.desk.SetStatus(context.Background(), w.pool, w.ticket[w.next(len(w.ticket))], st, "ada@desk.example", "fuzz")
		}
		w.check()
	}
}

func (w *strangerWorld) addrs(from []string) []ticketing.Address {
	var out []ticketing.Address
	for _, a := range from {
		if w.next(3) == 0 {
			out = append(out, addr(a))
		}
	}
	return out
}

func (w *strangerWorld) mail(from string, to, cc []ticketing.Address) ticketing.Inbound {
	w.uid++
	in := human(capture(w.t, w.pool, "support", w.uid), fmt.Sprintf("m%d@%s", w.uid, strings.Split(from, "@")[1]), "VPN down")
	in.From = ticketing.Address{Address: from}
	in.To = append([]ticketing.Address{{Address: "help@desk.example"}}, to...)
	in.Cc = cc
	in.Text = fmt.Sprintf("message %d", w.uid)
	return in
}

// send delivers in and moves the model as the threading model allows.
func (w *strangerWorld) send(in ticketing.Inbound) {
	o := receiveWith(w.t, w.pool, w.desk, in)[0]
	w.ids = append(w.ids, in.MessageID)
	w.learn()
	from := lower(in.From.Address)
	switch o.Status {
	case ticketing.StatusTicketed:
		w.ticket = append(w.ticket, o.TicketID)
		al := map[string]bool{from: true}
		for _, a := range append(in.To, in.Cc...) {
			al[lower(a.Address)] = true
		}
		var linked *int64
		var requester string
		if err := w.pool.QueryRow(context.Background(), `SELECT linked_to, requester_addr FROM tickets WHERE id = $1`, o.TicketID).Scan(&linked, &requester); err != nil {
			w.t.Fatal(err)
		}
		if linked != nil {
			// A follow-up: the old ticket's people, and its requester.
			if !w.allowed[*linked][from] {
				w.t.Fatalf("%s opened follow-up #%d of #%d, in which they take no part (%s)", from, o.TicketID, *linked, o.Reason)
			}
			union(al, w.allowed[*linked])
		}
		if !al[requester] {
			w.t.Fatalf("ticket #%d's requester %s is not someone the mail could name", o.TicketID, requester)
		}
		w.allowed[o.TicketID] = al
	case ticketing.StatusAttached:
		al := w.allowed[o.TicketID]
		if al == nil {
			w.t.Fatalf("message joined #%d, which no message of this run opened", o.TicketID)
		}
		if o.Evidence.Kind == ticketing.EvidenceToken {
			if !w.carriesToken(in, o.TicketID) {
				w.t.Fatalf("%s joined #%d by a token it does not carry", from, o.TicketID)
			}
			al[from] = true
		}
		var requester string
		if err := w.pool.QueryRow(context.Background(), `SELECT lower(requester_addr) FROM tickets WHERE id = $1`, o.TicketID).Scan(&requester); err != nil {
			w.t.Fatal(err)
		}
		if from == requester {
			for _, a := range append(in.To, in.Cc...) {
				al[lower(a.Address)] = true
			}
		}
	}
}

// learn adds every Message-ID and root deskgate sent to what anyone could
// have seen: mail is forwarded, archived and answered by machines.
func (w *strangerWorld) learn() {
	rows, err := w.pool.Query(context.Background(), `SELECT message_id FROM outbox UNION SELECT thread_root FROM tickets WHERE thread_root <> ''`)
	if err != nil {
		w.t.Fatal(err)
	}
	seen, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		w.t.Fatal(err)
	}
	for _, s := range seen {
		list := &w.ids
		if !strings.Contains(s, "@") {
			list = &w.roots
		}
		if !slices.Contains(*list, s) {
			*list = append(*list, s)
		}
	}
}

// carriesToken reports whether in refers to a Message-ID deskgate sent
// about ticket id.
func (w *strangerWorld) carriesToken(in ticketing.Inbound, id int64) bool {
	var n int
	err := w.pool.QueryRow(context.Background(), `SELECT count(*) FROM outbox WHERE ticket_id = $1 AND message_id = ANY($2)`,
		id, append(slices.Clone(in.InReplyTo), in.References...)).Scan(&n)
	if err != nil {
		w.t.Fatal(err)
	}
	return n > 0
}

// agent replies to the new-ticket mail of a random ticket.
func (w *strangerWorld) agent(text string) {
	id := w.ticket[w.next(len(w.ticket))]
	var msgID string
	err := w.pool.QueryRow(context.Background(), `SELECT message_id FROM outbox WHERE ticket_id = $1 AND event = $2 AND recipient = 'ada@desk.example'`,
		id, templates.NewTicket).Scan(&msgID)
	if err != nil {
		return // merged or never announced: nothing to answer
	}
	var accepted []string
	if text == "#accept" {
		rows, err := w.pool.Query(context.Background(), `SELECT DISTINCT lower(from_addr) FROM messages WHERE ticket_id = $1 AND held`, id)
		if err != nil {
			w.t.Fatal(err)
		}
		if accepted, err = pgx.CollectRows(rows, pgx.RowTo[string]); err != nil {
			w.t.Fatal(err)
		}
	}
	in := w.mail("ada@desk.example", nil, nil)
	in.InReplyTo, in.NewText, in.Text = []string{msgID}, text, text
	w.send(in)
	for _, a := range accepted {
		w.allowed[id][a] = true
	}
}

// check asserts the invariant on every ticket.
func (w *strangerWorld) check() {
	w.t.Helper()
	ctx := context.Background()
	rows, err := w.pool.Query(ctx, `SELECT ticket_id, address FROM participants
		UNION ALL SELECT ticket_id, lower(recipient) FROM outbox WHERE event = 'agent-reply'
		UNION ALL SELECT o.ticket_id, lower(c->>'address') FROM outbox o, jsonb_array_elements(o.cc_addrs) c WHERE o.event = 'agent-reply'`)
	if err != nil {
		w.t.Fatal(err)
	}
	var id int64
	var a string
	_, err = pgx.ForEachRow(rows, []any{&id, &a}, func() error {
		if !w.allowed[id][a] {
			w.t.Errorf("%s takes part in ticket #%d or got its agent's reply, but never wrote in it, was addressed by its requester, "+
				"held a token or was admitted (script %x)", a, id, w.script)
		}
		return nil
	})
	if err != nil {
		w.t.Fatal(err)
	}
	if w.t.Failed() {
		w.t.FailNow()
	}
}

func lower(s string) string { return strings.ToLower(strings.TrimSpace(s)) }

func union(dst, src map[string]bool) {
	for k := range src {
		dst[k] = true
	}
}
