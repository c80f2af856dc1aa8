package mailin

import (
	"bytes"
	"context"
	"crypto/sha256"
	"log/slog"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/deskgate/deskgate/internal/dbtest"
	"github.com/deskgate/deskgate/mailin/parse"
	"github.com/deskgate/deskgate/ticketing"
	"github.com/deskgate/deskgate/ticketing/token"
)

// The fixtures of TestConversations live in testdata/conversation, one
// folder per conversation, each file written as the mail client its name
// gives would send it. They are stored with LF line ends and sent with
// CRLF, as on the wire. Values only known while the test runs are
// placeholders: {{TICKET:label}} is the number of the ticket the
// conversation calls label, {{TOKEN_MSGID:label}} a Message-ID of ours
// carrying a valid token for it (as in a notification the desk sent), and
// {{FORGED_MSGID:label}} the same signed with keys that are not the desk's.
const conversationDir = "testdata/conversation"

const (
	convDeskAddress = "help@desk.example"
	convDeskDomain  = "desk.example"
)

// convStep is one message of a conversation and where it must land.
type convStep struct {
	name string
	eml  string // fixture, under conversationDir
	// before is what agents do before the message arrives.
	before func(c *conversation)
	// ticket labels the ticket the message must land on: a label the
	// conversation has not seen yet means a new ticket, distinct from every
	// earlier one.
	ticket string
	// evidence is the expected thread_evidence; Value may hold placeholders.
	evidence ticketing.Evidence
	// events are the kinds of the events this message adds to its ticket,
	// in order.
	events []string
	// linked is, for a new ticket, the label of the ticket it follows up
	// (tickets.linked_to); "" means none.
	linked string
	// participants of the ticket afterwards ("address:role", sorted), when set.
	participants []string
	// statuses and messages are checked afterwards, by ticket label.
	statuses map[string]string
	messages map[string]int
	// untouched are tickets the message must leave exactly as they were.
	untouched []string
}

func convEv(kind, value string) ticketing.Evidence {
	return ticketing.Evidence{Kind: kind, Value: value}
}

var conversations = []struct {
	name  string
	steps []convStep
}{
	{"printer", []convStep{
		{name: "Outlook desktop opens a request, To the desk, Cc a colleague", eml: "printer/1-outlook-request.eml",
			ticket: "printer", evidence: convEv("new", ""), events: []string{"ticket.created"},
			participants: []string{"alice.lindgren@northwind.example:requester", "bob.berg@northwind-logistics.example:cc"},
			statuses:     map[string]string{"printer": "new"}},
		{name: "the Cc'd colleague replies from Gmail", eml: "printer/2-gmail-cc-reply.eml",
			ticket: "printer", evidence: convEv("in-reply-to", "000001dbd391$b6506f30$23134d90$@northwind.example"),
			events: []string{"message.received"}},
		{name: "Apple Mail on iPhone overwrote References, no In-Reply-To", eml: "printer/3-iphone-references-overwritten.eml",
			ticket: "printer", evidence: convEv("references", "CAH3xq+8dT0wS1mF5c_Zr9nKpVb4eLuYg2Q7sJaX6oWiE1N3hRA@mail.gmail.com"),
			events: []string{"message.received"}},
		{name: "Outlook reply that kept only Thread-Index, from someone new: held, not a participant", eml: "printer/4-outlook-thread-index-only.eml",
			ticket: "printer", evidence: convEv("thread-index", "AdvTkbZQbzsqkcTXTiibFYOg99LmxA=="),
			events:       []string{"message.received", "message.held"},
			participants: []string{"alice.lindgren@northwind.example:requester", "bob.berg@northwind-logistics.example:cc"}},
		{name: "Thunderbird, subject edited with Fwd: AW: in the middle, tag kept, from the requester", eml: "printer/5-thunderbird-edited-subject-tag.eml",
			ticket: "printer", evidence: convEv("subject-tag", "[#{{TICKET:printer}}]"), events: []string{"message.received"}},
		{name: "a stranger on Android quotes the tag", eml: "printer/6-android-stranger-quotes-tag.eml",
			ticket: "stranger", evidence: convEv("new", ""), events: []string{"ticket.created", "subject_tag.ignored"},
			participants: []string{"m.quinn@freemail.example:requester"},
			untouched:    []string{"printer"}},
		{name: "Outlook on the web replies to our notification (valid token), from someone new", eml: "printer/7-owa-token-reply.eml",
			ticket: "printer", evidence: convEv("token", "ticket #{{TICKET:printer}}, issued to recipient 0"),
			events: []string{"message.received", "participant.added"}, untouched: []string{"stranger"}},
		{name: "Android reply with a forged token and nothing else", eml: "printer/8-android-forged-token.eml",
			ticket: "forged", evidence: convEv("new", ""), events: []string{"ticket.created", "token.invalid"},
			untouched: []string{"printer", "stranger"},
			statuses:  map[string]string{"printer": "new", "stranger": "new", "forged": "new"},
			messages:  map[string]int{"printer": 6, "stranger": 1, "forged": 1}},
	}},
	{"lifecycle", []convStep{
		{name: "Gmail opens a request", eml: "lifecycle/1-gmail-request.eml",
			ticket: "vpn", evidence: convEv("new", ""), events: []string{"ticket.created"}},
		{name: "iPhone reply to the resolved ticket within the reopen window", eml: "lifecycle/2-iphone-reply-within-window.eml",
			before: func(c *conversation) { c.setStatus("vpn", "resolved") },
			ticket: "vpn", evidence: convEv("in-reply-to", "CAOw5Qj3rTb+Vx2nL9kPq1YzM8fC4sGd7HeW0uA6iN3oRcK5tJw@mail.gmail.com"),
			events:   []string{"message.received", "status.changed"},
			statuses: map[string]string{"vpn": "open"}, messages: map[string]int{"vpn": 2}},
		{name: "Thunderbird reply 8 days after it was resolved again", eml: "lifecycle/3-thunderbird-reply-after-window.eml",
			before: func(c *conversation) {
				c.setStatus("vpn", "resolved")
				c.exec(`UPDATE tickets SET resolved_at = now() - interval '8 days' WHERE id = $1`, "vpn")
			},
			ticket: "vpn-again", evidence: convEv("in-reply-to", "B7E2D9F1-4C3A-48B5-9E60-2A1F7C8D3B95@gmail.com"),
			events: []string{"ticket.created", "ticket.linked"}, linked: "vpn",
			statuses: map[string]string{"vpn": "resolved", "vpn-again": "new"}, messages: map[string]int{"vpn": 2, "vpn-again": 1}},
		{name: "Outlook on the web reply to the closed follow-up, from an address not on it", eml: "lifecycle/4-owa-reply-to-closed.eml",
			before: func(c *conversation) { c.setStatus("vpn-again", "closed") },
			// The requester wrote from her Gmail address; her work address
			// takes no part, so this is a ticket of its own, which tells
			// nothing of the old ticket or its people.
			ticket: "vpn-third", evidence: convEv("new", ""),
			events:       []string{"ticket.created", "thread.refused"},
			participants: []string{"carol.dahl@fabrikam.example:requester"},
			statuses:     map[string]string{"vpn": "resolved", "vpn-again": "closed", "vpn-third": "new"},
			messages:     map[string]int{"vpn-again": 1, "vpn-third": 1}},
	}},
	{"merge", []convStep{
		{name: "Outlook desktop opens a request", eml: "merge/1-outlook-request.eml",
			ticket: "vpn-erik", evidence: convEv("new", ""), events: []string{"ticket.created"}},
		{name: "Gmail opens a request about the same problem", eml: "merge/2-gmail-request.eml",
			ticket: "vpn-frida", evidence: convEv("new", ""), events: []string{"ticket.created"}},
		{name: "Outlook reply by header to the merged-away ticket's message", eml: "merge/3-outlook-reply-to-merged.eml",
			before: func(c *conversation) { c.merge("vpn-erik", "vpn-frida") },
			ticket: "vpn-frida", evidence: convEv("in-reply-to", "004f01dbd8f3$9a2c7e10$ce857a30$@contoso.example"),
			events: []string{"message.received"}, untouched: []string{"vpn-erik"},
			statuses: map[string]string{"vpn-erik": "closed", "vpn-frida": "new"}},
		{name: "Android message with the merged-away ticket's tag, from its requester", eml: "merge/4-android-tag-reply.eml",
			ticket: "vpn-frida", evidence: convEv("subject-tag", "[#{{TICKET:vpn-erik}}]"),
			events: []string{"message.received"}, untouched: []string{"vpn-erik"},
			participants: []string{"erik.sandberg@contoso.example:cc", "frida.nyberg.consulting@gmail.com:requester"},
			messages:     map[string]int{"vpn-erik": 0, "vpn-frida": 4}},
	}},
}

// TestConversations runs realistic conversations, as mail clients write
// them, through the real parser and processor: each message must land on
// the right ticket for the right reason (README, "What happens to an
// email" and "The ticket lifecycle").
func TestConversations(t *testing.T) {
	t.Parallel()
	for _, conv := range conversations {
		t.Run(conv.name, func(t *testing.T) {
			t.Parallel()
			c := newConversation(t)
			for _, s := range conv.steps {
				c.step(s)
			}
		})
	}
}

// conversation is one conversation's database, desk and tickets by label.
type conversation struct {
	t       *testing.T
	ctx     context.Context
	pool    *pgxpool.Pool
	proc    *Processor
	desk    *ticketing.Desk
	keys    *token.Keys // the desk's
	forger  *token.Keys // someone else's, with the same key id
	tickets map[string]int64
	current string // the step being run, for messages
}

func newConversation(t *testing.T) *conversation {
	t.Helper()
	pool := dbtest.Pool(t)
	ctx := context.Background()
	keys, err := token.NewKeys(1, map[byte][]byte{1: []byte("the desk's secret for conversation tests")})
	if err != nil {
		t.Fatal(err)
	}
	forger, err := token.NewKeys(1, map[byte][]byte{1: []byte("a forger's guess at the desk's secret!!")})
	if err != nil {
		t.Fatal(err)
	}
	log := slog.New(slog.NewTextHandler(t.Output(), &slog.HandlerOptions{Level: slog.LevelWarn}))
	desk := ticketing.NewDesk(log, ticketing.Config{DeskAddresses: []string{convDeskAddress}, Domain: convDeskDomain, Tokens: keys})
	proc := NewProcessor(pool, desk, ProcessorConfig{
		Parse:     parse.Options{DeskAddresses: []string{convDeskAddress}},
		BatchSize: 10, Workers: 1,
	}, log)
	if _, err := pool.Exec(ctx, `INSERT INTO mailboxes (name) VALUES ('desk') ON CONFLICT DO NOTHING`); err != nil {
		t.Fatal(err)
	}
	// Ticket numbers as a desk in use has them, and unlike any inbound or
	// message id, so that mistaking one for the other cannot pass.
	if _, err := pool.Exec(ctx, `SELECT setval(pg_get_serial_sequence('tickets', 'id'), 4710)`); err != nil {
		t.Fatal(err)
	}
	return &conversation{t: t, ctx: ctx, pool: pool, proc: proc, desk: desk, keys: keys, forger: forger, tickets: map[string]int64{}}
}

var convPlaceholderRe = regexp.MustCompile(`\{\{([A-Z_]+):([a-z0-9-]+)\}\}`)

// expand replaces the placeholders in s.
func (c *conversation) expand(s string) string {
	c.t.Helper()
	out := convPlaceholderRe.ReplaceAllStringFunc(s, func(m string) string {
		sub := convPlaceholderRe.FindStringSubmatch(m)
		n := c.ticket(sub[2])
		switch sub[1] {
		case "TICKET":
			return strconv.FormatInt(n, 10)
		case "TOKEN_MSGID":
			return c.keys.MessageID(token.Claims{Ticket: uint64(n)}, convDeskDomain)
		case "FORGED_MSGID":
			return c.forger.MessageID(token.Claims{Ticket: uint64(n)}, convDeskDomain)
		}
		c.t.Fatalf("step %q: unknown placeholder %s", c.current, m)
		return ""
	})
	if i := strings.Index(out, "{{"); i >= 0 {
		c.t.Fatalf("step %q: malformed placeholder at %.40q", c.current, out[i:])
	}
	return out
}

// ticket is the number of the ticket labelled label.
func (c *conversation) ticket(label string) int64 {
	c.t.Helper()
	n, ok := c.tickets[label]
	if !ok {
		c.t.Fatalf("step %q: no ticket %q in this conversation yet", c.current, label)
	}
	return n
}

func (c *conversation) setStatus(label, to string) {
	c.t.Helper()
	if err := c.desk.SetStatus(c.ctx, c.pool, c.ticket(label), to, "agent@desk.example", "test"); err != nil {
		c.t.Fatalf("step %q: SetStatus(%s, %s) = %v", c.current, label, to, err)
	}
}

func (c *conversation) merge(from, into string) {
	c.t.Helper()
	if err := c.desk.Merge(c.ctx, c.pool, c.ticket(from), c.ticket(into), "agent@desk.example", "same problem"); err != nil {
		c.t.Fatalf("step %q: Merge(%s, %s) = %v", c.current, from, into, err)
	}
}

// exec runs sql with the number of ticket label as $1.
func (c *conversation) exec(sql, label string) {
	c.t.Helper()
	if _, err := c.pool.Exec(c.ctx, sql, c.ticket(label)); err != nil {
		c.t.Fatalf("step %q: %s: %v", c.current, sql, err)
	}
}

// convCaptureSQL records one message as the Syncer would, with the next UID.
const convCaptureSQL = `
INSERT INTO inbound (mailbox, uidvalidity, uid, sha256, size, raw)
SELECT 'desk', 1, coalesce(max(uid), 0) + 1, $1, $2, $3 FROM inbound WHERE mailbox = 'desk' AND uidvalidity = 1
RETURNING id`

// capture reads fixture name, fills in its placeholders, records it and
// returns its inbound id.
func (c *conversation) capture(name string) int64 {
	c.t.Helper()
	b, err := os.ReadFile(filepath.Join(conversationDir, name))
	if err != nil {
		c.t.Fatal(err)
	}
	raw := bytes.ReplaceAll([]byte(c.expand(string(b))), []byte("\n"), []byte("\r\n"))
	sum := sha256.Sum256(raw)
	var id int64
	if err := c.pool.QueryRow(c.ctx, convCaptureSQL, sum[:], len(raw), raw).Scan(&id); err != nil {
		c.t.Fatalf("step %q: capturing %s: %v", c.current, name, err)
	}
	return id
}

// convSnapshot is what a message that does not concern a ticket must leave as it was.
type convSnapshot struct {
	status, updated                string
	messages, events, participants int
}

func (c *conversation) snapshot(label string) convSnapshot {
	c.t.Helper()
	tk, err := ticketing.GetTicket(c.ctx, c.pool, c.ticket(label))
	if err != nil {
		c.t.Fatal(err)
	}
	s := convSnapshot{status: tk.Status, updated: tk.UpdatedAt.Format(time.RFC3339Nano), messages: len(tk.Thread), events: len(tk.Events)}
	if err := c.pool.QueryRow(c.ctx, `SELECT count(*) FROM participants WHERE ticket_id = $1`, c.ticket(label)).Scan(&s.participants); err != nil {
		c.t.Fatal(err)
	}
	return s
}

func (c *conversation) participants(n int64) []string {
	c.t.Helper()
	var ps []string
	if err := c.pool.QueryRow(c.ctx, `SELECT coalesce(array_agg(address || ':' || role ORDER BY address), '{}')
		FROM participants WHERE ticket_id = $1`, n).Scan(&ps); err != nil {
		c.t.Fatal(err)
	}
	return ps
}

// step delivers one message and checks where it landed.
func (c *conversation) step(s convStep) {
	t := c.t
	t.Helper()
	c.current = s.name
	if s.before != nil {
		s.before(c)
	}
	before := map[string]convSnapshot{}
	for _, l := range s.untouched {
		before[l] = c.snapshot(l)
	}
	id := c.capture(s.eml)
	if n, err := c.proc.Drain(c.ctx); err != nil || n != 1 {
		t.Fatalf("step %q: Drain = %d, %v; want 1, nil", s.name, n, err)
	}

	// The inbound record: the ticket and the evidence that decided it.
	rs, err := ListInbound(c.ctx, c.pool, "", 1)
	if err != nil || len(rs) != 1 || rs[0].ID != id {
		t.Fatalf("step %q: ListInbound = %+v, %v; want the record of inbound %d", s.name, rs, err, id)
	}
	r := rs[0]
	if r.Ticket == nil {
		t.Fatalf("step %q: status %s (%s), no ticket; want a ticket", s.name, r.Status, r.Reason)
	}
	got := *r.Ticket
	var gotEv ticketing.Evidence
	if r.ThreadEvidence != nil {
		gotEv = *r.ThreadEvidence
	}
	wantEv := convEv(s.evidence.Kind, c.expand(s.evidence.Value))
	want, known := c.tickets[s.ticket]
	wantStatus := ticketing.StatusAttached
	if !known {
		wantStatus = ticketing.StatusTicketed
		for l, n := range c.tickets {
			if n == got {
				t.Errorf("step %q: ticket %d, evidence %+v; want a new ticket, not %q's", s.name, got, gotEv, l)
			}
		}
		c.tickets[s.ticket] = got
		want = got
	}
	if got != want || gotEv != wantEv {
		t.Errorf("step %q: ticket %d, evidence %+v; want ticket %d (%s), evidence %+v", s.name, got, gotEv, want, s.ticket, wantEv)
	}
	if r.Status != wantStatus || r.Class != string(ticketing.ClassHuman) {
		t.Errorf("step %q: inbound status %s (%s), class %s; want %s, human", s.name, r.Status, r.Reason, r.Class, wantStatus)
	}

	// The ticket: the message in its thread, with the same evidence, and
	// the events it caused.
	tk, err := ticketing.GetTicket(c.ctx, c.pool, got)
	if err != nil {
		t.Fatalf("step %q: GetTicket(%d) = %v", s.name, got, err)
	}
	i := slices.IndexFunc(tk.Thread, func(m ticketing.Message) bool { return m.Inbound != nil && *m.Inbound == id })
	if i < 0 {
		t.Errorf("step %q: ticket %d holds no message of inbound %d", s.name, got, id)
	} else if m := tk.Thread[i]; m.ThreadEvidence == nil || *m.ThreadEvidence != wantEv {
		t.Errorf("step %q: ticket %d, message evidence %+v; want %+v", s.name, got, m.ThreadEvidence, wantEv)
	}
	var kinds []string
	for _, e := range tk.Events {
		if e.Inbound != nil && *e.Inbound == id {
			kinds = append(kinds, e.Kind)
		}
	}
	if !slices.Equal(kinds, s.events) {
		t.Errorf("step %q: ticket %d, events %v; want %v", s.name, got, kinds, s.events)
	}

	// Follow-ups of closed or long-resolved tickets, on both sides.
	if !known {
		var linked *int64
		if err := c.pool.QueryRow(c.ctx, `SELECT linked_to FROM tickets WHERE id = $1`, got).Scan(&linked); err != nil {
			t.Fatal(err)
		}
		switch {
		case s.linked == "" && linked != nil:
			t.Errorf("step %q: ticket %d linked to %d; want no link", s.name, got, *linked)
		case s.linked != "" && (linked == nil || *linked != c.ticket(s.linked)):
			t.Errorf("step %q: ticket %d linked to %v; want %d (%s)", s.name, got, linked, c.ticket(s.linked), s.linked)
		}
	}
	if s.linked != "" {
		var followed bool
		if err := c.pool.QueryRow(c.ctx, `SELECT EXISTS (SELECT 1 FROM events WHERE ticket_id = $1 AND inbound_id = $2
			AND kind = 'ticket.followed_up' AND (detail->>'ticket')::bigint = $3)`, c.ticket(s.linked), id, got).Scan(&followed); err != nil {
			t.Fatal(err)
		}
		if !followed {
			t.Errorf("step %q: ticket %d (%s) has no ticket.followed_up event naming %d", s.name, c.ticket(s.linked), s.linked, got)
		}
	}

	if s.participants != nil {
		if ps := c.participants(got); !slices.Equal(ps, s.participants) {
			t.Errorf("step %q: ticket %d, participants %v; want %v", s.name, got, ps, s.participants)
		}
	}
	for l, st := range s.statuses {
		tk, err := ticketing.GetTicket(c.ctx, c.pool, c.ticket(l))
		if err != nil {
			t.Fatal(err)
		}
		if tk.Status != st {
			t.Errorf("step %q: ticket %d (%s) status %s; want %s", s.name, tk.Number, l, tk.Status, st)
		}
	}
	for l, n := range s.messages {
		tk, err := ticketing.GetTicket(c.ctx, c.pool, c.ticket(l))
		if err != nil {
			t.Fatal(err)
		}
		if len(tk.Thread) != n {
			t.Errorf("step %q: ticket %d (%s) has %d messages; want %d", s.name, tk.Number, l, len(tk.Thread), n)
		}
	}
	for l, was := range before {
		if now := c.snapshot(l); now != was {
			t.Errorf("step %q: ticket %d (%s) changed from %+v to %+v; want it untouched", s.name, c.ticket(l), l, was, now)
		}
	}
}

// TestConversationFixturesAreUsed keeps testdata/conversation and the
// table of TestConversations in step: every fixture is delivered once.
func TestConversationFixturesAreUsed(t *testing.T) {
	t.Parallel()
	files, err := filepath.Glob(filepath.Join(conversationDir, "*", "*.eml"))
	if err != nil {
		t.Fatal(err)
	}
	var used []string
	for _, conv := range conversations {
		for _, s := range conv.steps {
			used = append(used, filepath.Join(conversationDir, s.eml))
		}
	}
	slices.Sort(files)
	slices.Sort(used)
	if !slices.Equal(files, used) {
		t.Errorf("fixtures %v\nsteps use %v; want each fixture used exactly once", files, used)
	}
}
