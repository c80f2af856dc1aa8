package ticketing

import (
	"cmp"
	"context"
	"fmt"
	"maps"
	"slices"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/deskgate/deskgate/templates"
)

// Loops are bounded on every path. Automatic mail to a customer counts
// towards the per-recipient limits (Limits); a relayed agent reply, which
// a person wrote, towards separate, looser per-recipient limits
// (RelayLimits); every mail about a ticket, to customers and agents alike,
// towards the per-ticket limits of its recipient (TicketLimits). Mail to
// agents has no per-recipient limit across tickets, since a busy desk
// sends them much of it; the per-ticket limits and the circuit breaker
// bound it. And a conversation — the mail one address's messages cause to
// another, both ways — that passes more than Conversation.Max mails in
// Conversation.Window is paused for Conversation.Pause: nothing more goes
// between the two, the ticket logs conversation.paused, and its team gets
// one conversation-paused mail. Out-of-office replies without automatic
// headers, on both sides, make such a conversation; people do not.

// Conversation pauses mail between two addresses that exchange more than
// Max mails within Window, for Pause.
type Conversation struct {
	Window time.Duration
	Max    int // 0: never pause
	Pause  time.Duration
}

// sender is the author of the message that caused m, lower-cased; "" when
// no message caused it.
func (m *mail) sender() string {
	if m.n.in == nil {
		return ""
	}
	return lower(m.n.in.From.Address)
}

// limitScope is one kind of rate limit: which mail counts, and how
// recent mail is counted.
type limitScope struct {
	limits   []Limit
	applies  func(*mail) bool
	perTick  bool   // counted per recipient and ticket, not per recipient
	countSQL string // see recentSQL
	what     string // what is counted, for the reason
}

// recentSQL counts, per recipient (and ticket, where %s uses r.ticket),
// the mail within each window that %s selects. The count is a lateral
// subquery, so that each recipient's rows are read through an index of
// recipients: as a join, a batch's few hundred recipients made the planner
// read and sort the whole outbox for every batch
// (TestRecentMailCountsReadOnlyTheRecipientsRows).
const recentSQL = `
SELECT r.address, r.ticket, w.i::int, sum(c.n)::int
FROM unnest($1::text[], $2::bigint[]) AS r (address, ticket)
CROSS JOIN unnest($3::float8[]) WITH ORDINALITY AS w (secs, i)
CROSS JOIN LATERAL (
    SELECT count(*) AS n FROM outbox o
    WHERE o.recipient = r.address AND %s AND o.status <> 'suppressed'
        AND o.created_at > now() - w.secs * interval '1 second'
) c
GROUP BY 1, 2, 3`

var (
	recentAutomaticSQL = fmt.Sprintf(recentSQL, "o.automatic")
	recentRelayedSQL   = fmt.Sprintf(recentSQL, "NOT o.automatic")
	recentTicketSQL    = fmt.Sprintf(recentSQL, "o.ticket_id = r.ticket")
)

// limitScopes are the desk's rate limits, in the order they apply.
func (d *Desk) limitScopes() []limitScope {
	nt := d.notes
	return []limitScope{
		{limits: nt.limits, applies: (*mail).limited, countSQL: recentAutomaticSQL, what: "automatic mails to this address"},
		{limits: nt.relayLimits, applies: (*mail).relayed, countSQL: recentRelayedSQL, what: "relayed replies to this address"},
		{limits: nt.ticketLimits, applies: (*mail).counted, perTick: true, countSQL: recentTicketSQL,
			what: "mails about this ticket to this address"},
	}
}

// limited reports whether m counts against the per-recipient limits:
// automatic mail to the outside world. Mail to agents and teams is not
// limited per recipient (a busy desk sends them much of it); the
// per-ticket limits and the circuit breaker bound it.
func (m *mail) limited() bool { return m.automatic && !m.toAgent && m.suppress == "" }

// relayed reports whether m counts against the relay limits: a person's
// reply relayed to the outside world.
func (m *mail) relayed() bool { return !m.automatic && !m.toAgent && m.suppress == "" }

// counted reports whether m counts against the per-ticket limits: any mail
// but the one telling the team of a pause, which goes once per pause.
func (m *mail) counted() bool { return m.suppress == "" && m.n.event != templates.ConversationPaused }

// applyLimits suppresses the mail sc applies to beyond its limits,
// counting what this batch queues as it goes.
func applyLimits(ctx context.Context, tx pgx.Tx, ms []*mail, sc limitScope) error {
	if len(sc.limits) == 0 {
		return nil
	}
	type key struct {
		address string
		ticket  int64
	}
	keyOf := func(m *mail) key {
		if sc.perTick {
			return key{m.to.Address, m.t.id}
		}
		return key{m.to.Address, 0}
	}
	counts := map[key][]int{}
	var addrs []string
	var tickets []int64
	for _, m := range ms {
		if k := keyOf(m); sc.applies(m) && counts[k] == nil {
			counts[k] = make([]int, len(sc.limits))
			addrs, tickets = append(addrs, k.address), append(tickets, k.ticket)
		}
	}
	if len(addrs) == 0 {
		return nil
	}
	secs := make([]float64, len(sc.limits))
	for i, l := range sc.limits {
		secs[i] = l.Window.Seconds()
	}
	rows, err := tx.Query(ctx, sc.countSQL, addrs, tickets, secs)
	if err != nil {
		return fmt.Errorf("ticketing: counting recent mail: %w", err)
	}
	_, err = pgx.CollectRows(rows, func(row pgx.CollectableRow) (struct{}, error) {
		var k key
		var i, n int
		err := row.Scan(&k.address, &k.ticket, &i, &n)
		if c := counts[k]; c != nil && i >= 1 && i <= len(c) {
			c[i-1] = n
		}
		return struct{}{}, err
	})
	if err != nil {
		return fmt.Errorf("ticketing: counting recent mail: %w", err)
	}
	for _, m := range ms {
		if !sc.applies(m) {
			continue
		}
		c := counts[keyOf(m)]
		for i, l := range sc.limits {
			if c[i] >= l.Max {
				m.suppress = fmt.Sprintf("rate limit: %d %s within %s already", c[i], sc.what, shortDuration(l.Window))
				break
			}
		}
		if m.suppress == "" {
			for i := range c {
				c[i]++
			}
		}
	}
	return nil
}

// pair is a conversation: two addresses, a < b.
type pair struct{ a, b string }

func pairOf(x, y string) pair {
	if y < x {
		x, y = y, x
	}
	return pair{x, y}
}

// conversationOf is the conversation m belongs to, and whether it belongs
// to one: mail a message caused, to someone other than its author.
func (m *mail) conversationOf() (pair, bool) {
	s := m.sender()
	if s == "" || s == m.to.Address || !m.counted() {
		return pair{}, false
	}
	return pairOf(s, m.to.Address), true
}

// pausesSQL returns the conversations among $1, $2 paused now.
const pausesSQL = `
SELECT p.a, p.b, p.mails, p.until FROM conversation_pauses p
JOIN unnest($1::text[], $2::text[]) AS q (a, b) ON p.a = q.a AND p.b = q.b
WHERE p.until > now()`

// conversationSQL counts the mail between each pair of $1, $2, either way,
// within the last $3 seconds. Each pair is counted by its own lookup in
// outbox_conversation: joined, the planner could read every recent entry
// of the index and hash them, when its statistics were gathered before a
// backlog filled it (TestRecentMailCountsReadOnlyTheRecipientsRows).
const conversationSQL = `
SELECT q.a, q.b, (SELECT count(*) FROM outbox o
    WHERE least(o.sender, o.recipient) = q.a AND greatest(o.sender, o.recipient) = q.b
        AND o.sender <> '' AND o.status <> 'suppressed' AND o.created_at > now() - $3 * interval '1 second')::int
FROM (SELECT DISTINCT a, b FROM unnest($1::text[], $2::text[]) AS u (a, b)) AS q`

// pauseSQL pauses a conversation unless it is paused already (by another
// batch, say), and returns the end of the new pause.
const pauseSQL = `
INSERT INTO conversation_pauses (a, b, ticket_id, mails, until) VALUES ($1, $2, $3, $4, now() + $5 * interval '1 second')
ON CONFLICT (a, b) DO UPDATE SET ticket_id = EXCLUDED.ticket_id, mails = EXCLUDED.mails, paused_at = now(), until = EXCLUDED.until
    WHERE conversation_pauses.until <= now()
RETURNING until`

// applyPauses suppresses the mail of paused conversations, pausing those
// that pass the limit with this batch's mail, and returns one
// conversation-paused notice for each new pause.
func (d *Desk) applyPauses(ctx context.Context, tx pgx.Tx, ms []*mail) ([]notice, error) {
	cv := d.notes.conversation
	if cv.Max <= 0 {
		return nil, nil
	}
	count := map[pair]int{}
	var as, bs []string
	for _, m := range ms {
		if p, ok := m.conversationOf(); ok {
			if _, seen := count[p]; !seen {
				count[p] = 0
				as, bs = append(as, p.a), append(bs, p.b)
			}
		}
	}
	if len(as) == 0 {
		return nil, nil
	}
	type pause struct {
		mails int
		until time.Time
	}
	paused := map[pair]pause{}
	rows, err := tx.Query(ctx, pausesSQL, as, bs)
	if err == nil {
		_, err = pgx.CollectRows(rows, func(row pgx.CollectableRow) (struct{}, error) {
			var p pair
			var x pause
			err := row.Scan(&p.a, &p.b, &x.mails, &x.until)
			paused[p] = x
			return struct{}{}, err
		})
	}
	if err == nil {
		rows, err = tx.Query(ctx, conversationSQL, as, bs, cv.Window.Seconds())
	}
	if err == nil {
		_, err = pgx.CollectRows(rows, func(row pgx.CollectableRow) (struct{}, error) {
			var p pair
			var n int
			err := row.Scan(&p.a, &p.b, &n)
			count[p] = n
			return struct{}{}, err
		})
	}
	if err != nil {
		return nil, fmt.Errorf("ticketing: counting conversations: %w", err)
	}
	// Which conversations this batch pauses, and from which of its mails
	// on; the pauses are then taken in sorted order, so that two batches
	// pausing the same conversations cannot deadlock.
	type start struct{ i, mails int } // the first mail over the limit, and the count with it
	from := map[pair]start{}
	for i, m := range ms {
		if p, ok := m.conversationOf(); ok {
			if _, on := paused[p]; on {
				continue
			}
			if _, on := from[p]; !on && count[p] >= cv.Max {
				from[p] = start{i, count[p] + 1}
			}
			count[p]++
		}
	}
	pauses := slices.SortedFunc(maps.Keys(from), func(x, y pair) int { return cmp.Or(cmp.Compare(x.a, y.a), cmp.Compare(x.b, y.b)) })
	var ns []notice
	for _, p := range pauses {
		m := ms[from[p].i]
		x := pause{mails: from[p].mails}
		err := tx.QueryRow(ctx, pauseSQL, p.a, p.b, m.t.id, x.mails, cv.Pause.Seconds()).Scan(&x.until)
		switch {
		case err == pgx.ErrNoRows: // paused by another batch meanwhile
			x.until = time.Now().Add(cv.Pause)
		case err != nil:
			return nil, fmt.Errorf("ticketing: pausing a conversation: %w", err)
		default:
			n, err := d.pauseNotice(ctx, tx, m, p, x.mails, x.until)
			if err != nil {
				return nil, err
			}
			ns = append(ns, n)
		}
		paused[p] = x
	}
	for i, m := range ms {
		p, ok := m.conversationOf()
		if x, on := paused[p]; ok && on {
			if st, now := from[p]; now && i < st.i {
				continue // before the limit: it goes
			}
			m.suppress = fmt.Sprintf("conversation paused: %d mails between %s and %s within %s, a probable mail loop; until %s",
				x.mails, p.a, p.b, shortDuration(cv.Window), x.until.UTC().Format("2006-01-02 15:04 MST"))
		}
	}
	return ns, nil
}

// pauseNotice logs a new pause of conversation p on m's ticket and returns
// the notice that tells the ticket's team.
func (d *Desk) pauseNotice(ctx context.Context, tx pgx.Tx, m *mail, p pair, mails int, until time.Time) (notice, error) {
	cv := d.notes.conversation
	detail := map[string]any{"between": []string{p.a, p.b}, "mails": mails, "window": shortDuration(cv.Window),
		"until": until, "why": "more mail between two addresses than people write: a probable loop of automatic replies"}
	var capture int64
	if m.n.in != nil {
		capture = m.n.in.CaptureID
	}
	if _, err := tx.Exec(ctx, eventSQL, m.t.id, nullID(capture), "conversation.paused", jsonOf(detail)); err != nil {
		return notice{}, fmt.Errorf("ticketing: logging a paused conversation: %w", err)
	}
	return notice{event: templates.ConversationPaused, ticket: m.t.id, pause: &templates.Pause{
		Between: [2]string{p.a, p.b}, Mails: mails, Minutes: int(cv.Window / time.Minute), Until: until}}, nil
}
