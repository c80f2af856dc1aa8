package ticketing

import (
	"bytes"
	"cmp"
	"context"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/jackc/pgx/v5"
)

// Kinds of thread evidence, strongest first.
const (
	EvidenceDuplicate   = "duplicate"    // the same message, delivered again
	EvidenceReport      = "report"       // a bounce or report naming one of the ticket's messages
	EvidenceInReplyTo   = "in-reply-to"  // In-Reply-To names one of the ticket's messages
	EvidenceReferences  = "references"   // References names one of the ticket's messages
	EvidenceThreadIndex = "thread-index" // Outlook's conversation root matches one of the ticket's messages
	EvidenceSubjectTag  = "subject-tag"  // the subject quotes the ticket's tag, from a participant
	EvidenceNew         = "new"          // nothing links it: a new ticket
)

// Evidence is what decided which ticket a message joined. Its JSON form is
// part of the CLI's stable output.
type Evidence struct {
	Kind  string `json:"kind"`
	Value string `json:"value"`
}

func (e Evidence) String() string {
	if e.Value == "" {
		return e.Kind
	}
	return e.Kind + " " + e.Value
}

// references lists, most specific first, the Message-IDs a message points
// back to, each with the kind of evidence it would be.
func references(in *Inbound) []Evidence {
	refs := make([]Evidence, 0, 1+len(in.InReplyTo)+len(in.References))
	if in.OriginalMessageID != "" {
		refs = append(refs, Evidence{EvidenceReport, in.OriginalMessageID})
	}
	for _, id := range in.InReplyTo {
		refs = append(refs, Evidence{EvidenceInReplyTo, id})
	}
	for i := len(in.References) - 1; i >= 0; i-- {
		refs = append(refs, Evidence{EvidenceReferences, in.References[i]})
	}
	return refs
}

// DefaultTagPrefix makes subject tags like [#1234].
const DefaultTagPrefix = "#"

// Tagger reads and writes the ticket tag in subjects: [<prefix><number>],
// found anywhere in a subject whatever reply or forward prefixes ("Re:",
// "AW:", "SV:", "Fwd:", "回复:") stand before it, tolerant of spacing, case
// and full-width brackets.
type Tagger struct {
	prefix string
	re     *regexp.Regexp
}

// NewTagger returns a Tagger for tags [<prefix><number>]; an empty prefix
// means DefaultTagPrefix.
func NewTagger(prefix string) Tagger {
	if prefix == "" {
		prefix = DefaultTagPrefix
	}
	spaced := strings.Join(strings.Fields(regexp.QuoteMeta(prefix)), `\s*`)
	return Tagger{prefix: prefix, re: regexp.MustCompile(`(?i)[\[［]\s*` + spaced + `\s*(\d{1,18})\s*[\]］]`)}
}

// Tag is the tag of ticket number n, e.g. [#1234].
func (t Tagger) Tag(n int64) string { return fmt.Sprintf("[%s%d]", t.prefix, n) }

// Find returns the ticket number a subject quotes, or 0.
func (t Tagger) Find(subject string) int64 {
	m := t.re.FindStringSubmatch(subject)
	if m == nil {
		return 0
	}
	n, err := strconv.ParseInt(m[1], 10, 64)
	if err != nil {
		return 0
	}
	return n
}

type storedMessage struct {
	fingerprint []byte
	ticketID    int64
}

// knownMessages are stored messages by Message-ID.
type knownMessages map[string][]storedMessage

// duplicate is the ticket of a stored message with this Message-ID and
// content, or 0.
func (k knownMessages) duplicate(id string, fp []byte) int64 {
	for _, m := range k[id] {
		if bytes.Equal(m.fingerprint, fp) {
			return m.ticketID
		}
	}
	return 0
}

// ticketOf is the ticket of the first stored message with Message-ID id, or 0.
func (k knownMessages) ticketOf(id string) int64 {
	if ms := k[id]; len(ms) > 0 {
		return ms[0].ticketID
	}
	return 0
}

// lockMessageIDsSQL takes a transaction lock per Message-ID of the batch,
// and per Message-ID or Thread-Index root its messages point to, in a
// fixed order so that concurrent batches cannot deadlock on them. Two
// processes handling copies of one message (delivered to two mailboxes),
// or a message and a reply to it, thus decide one after the other when the
// first has taken its lock: the second then sees the first's ticket.
const lockMessageIDsSQL = `
SELECT count(pg_advisory_xact_lock(1684367463, k))
FROM (SELECT DISTINCT hashtext(id) AS k FROM unnest($1::text[]) AS id ORDER BY 1) AS keys`

func lockMessageIDs(ctx context.Context, tx pgx.Tx, ins []Inbound) error {
	ids := make([]string, 0, 3*len(ins))
	for i := range ins {
		in := &ins[i]
		if in.MessageID != "" {
			ids = append(ids, in.MessageID)
		}
		if in.ThreadRoot != "" {
			ids = append(ids, in.ThreadRoot)
		}
		refs := references(in)
		for _, r := range refs[:min(len(refs), 3)] { // the most specific ones
			ids = append(ids, r.Value)
		}
	}
	if len(ids) == 0 {
		return nil
	}
	if _, err := tx.Exec(ctx, lockMessageIDsSQL, ids); err != nil {
		return fmt.Errorf("ticketing: locking message ids: %w", err)
	}
	return nil
}

// The message_id <> ” term lets the planner use the partial index
// messages_message_id; without it this would scan every message. The rows
// are put in order in Go: asked to, a planner that believed the table small
// read all of it in its primary key's order instead
// (TestIngestLookupsReadOnlyTheirRows).
const lookupMessagesSQL = `
SELECT id, message_id, fingerprint, ticket_id FROM messages
WHERE message_id = ANY($1) AND message_id <> ''`

// lookupMessages finds, in one indexed query, every stored message whose
// Message-ID the batch carries or refers to.
func lookupMessages(ctx context.Context, tx pgx.Tx, ins []Inbound) (knownMessages, error) {
	var ids []string
	for i := range ins {
		if ins[i].MessageID != "" {
			ids = append(ids, ins[i].MessageID)
		}
		for _, r := range references(&ins[i]) {
			ids = append(ids, r.Value)
		}
	}
	known := knownMessages{}
	if len(ids) == 0 {
		return known, nil
	}
	rows, err := tx.Query(ctx, lookupMessagesSQL, ids)
	if err != nil {
		return nil, fmt.Errorf("ticketing: looking up message ids: %w", err)
	}
	type found struct {
		row       int64
		messageID string
		m         storedMessage
	}
	var f found
	var all []found
	_, err = pgx.ForEachRow(rows, []any{&f.row, &f.messageID, &f.m.fingerprint, &f.m.ticketID}, func() error {
		all = append(all, f)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("ticketing: looking up message ids: %w", err)
	}
	slices.SortFunc(all, func(a, b found) int { return cmp.Compare(a.row, b.row) })
	for _, f := range all {
		known[f.messageID] = append(known[f.messageID], f.m)
	}
	return known, nil
}

// evidence is everything the batch's messages could point to, looked up
// once per batch.
type evidence struct {
	known   knownMessages
	roots   map[string]int64 // Thread-Index root -> ticket
	members members          // senders of tagged subjects who take part in the ticket
	tokens  []carried        // per message
	exist   map[int64]bool
}

func (d *Desk) gather(ctx context.Context, tx pgx.Tx, ins []Inbound) (*evidence, error) {
	ev := &evidence{tokens: d.readTokens(ins)}
	var err error
	if ev.known, err = lookupMessages(ctx, tx, ins); err != nil {
		return nil, err
	}
	if ev.roots, err = lookupRoots(ctx, tx, ins); err != nil {
		return nil, err
	}
	if ev.members, err = lookupTagMembers(ctx, tx, d.tags, ins); err != nil {
		return nil, err
	}
	if ev.exist, err = existingTickets(ctx, tx, ev.tokens); err != nil {
		return nil, err
	}
	return ev, nil
}

// lookupRootsSQL finds tickets by their own root (given to the ticket's
// mail since migration 9) and by the roots of stored messages (the
// requester's own, and those of replies to mail sent before). The
// thread_root <> ” terms let the planner use the partial indexes.
const lookupRootsSQL = `
SELECT DISTINCT ON (root) root, ticket_id FROM (
    SELECT thread_root AS root, id AS ticket_id, 0 AS rank, id FROM tickets
    WHERE thread_root = ANY($1) AND thread_root <> ''
    UNION ALL
    SELECT thread_root, ticket_id, 1, id FROM messages
    WHERE thread_root = ANY($1) AND thread_root <> ''
) AS r ORDER BY root, rank, id`

// lookupRoots finds the tickets whose Outlook conversation root the
// batch's messages carry.
func lookupRoots(ctx context.Context, tx pgx.Tx, ins []Inbound) (map[string]int64, error) {
	var roots []string
	for i := range ins {
		if ins[i].ThreadRoot != "" {
			roots = append(roots, ins[i].ThreadRoot)
		}
	}
	found := map[string]int64{}
	if len(roots) == 0 {
		return found, nil
	}
	rows, err := tx.Query(ctx, lookupRootsSQL, roots)
	if err != nil {
		return nil, fmt.Errorf("ticketing: looking up Thread-Index roots: %w", err)
	}
	var root string
	var t int64
	_, err = pgx.ForEachRow(rows, []any{&root, &t}, func() error { found[root] = t; return nil })
	if err != nil {
		return nil, fmt.Errorf("ticketing: looking up Thread-Index roots: %w", err)
	}
	return found, nil
}
