package ticketing

import (
	"context"
	"encoding/base64"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/deskgate/deskgate/ticketing/search"
)

// Filter chooses tickets for FindTickets. Empty fields do not filter.
type Filter struct {
	Status, Queue, Team, Priority, Category, Tag string
	// Assignee is an agent's address, or "none" for unassigned tickets.
	Assignee string
	// Requester is the requester's address.
	Requester                   string
	CreatedAfter, CreatedBefore time.Time
	UpdatedAfter, UpdatedBefore time.Time
	// Query is text to find in subjects and messages, in any language.
	Query string
	// Sort is one of Sorts; "" is -number (newest first).
	Sort string
	// Cursor is the next cursor of the previous page.
	Cursor string
	Limit  int
}

// Sorts are the orders FindTickets knows.
var Sorts = []string{"number", "-number", "updated_at", "-updated_at"}

// findWhere is the filter every order shares.
const findWhere = `
SELECT t.id, t.subject, t.status, t.priority, t.queue, t.team, t.assignee, t.category, t.requester_name, t.requester_addr,
       t.received_at, t.updated_at, (SELECT count(*) FROM messages m WHERE m.ticket_id = t.id)
FROM tickets t
WHERE ($1 = '' OR t.status = $1) AND ($2 = '' OR t.queue = $2) AND ($3 = '' OR t.team = $3)
  AND ($4 = '' OR t.assignee = CASE WHEN $4 = 'none' THEN '' ELSE lower($4) END)
  AND ($5 = '' OR t.priority = $5) AND ($6 = '' OR t.category = $6)
  AND ($7 = '' OR lower(t.requester_addr) = lower($7)) AND ($8 = '' OR $8 = ANY (t.tags))
  AND ($9::timestamptz IS NULL OR t.created_at >= $9) AND ($10::timestamptz IS NULL OR t.created_at < $10)
  AND ($11::timestamptz IS NULL OR t.updated_at >= $11) AND ($12::timestamptz IS NULL OR t.updated_at < $12)
`

// The searches, on messages.search (ticketing/search's vectors): $13 the
// tsquery search.Query made of the query, and for text in a script written
// without blanks between words (Chinese, Japanese, Korean) $14 the LIKE
// pattern that checks the query is there as written. Without an OR the
// planner joins them as it sees fit: from the index for a rare word,
// along the tickets in order for a common one.
const (
	findWords = `  AND t.id IN (SELECT m.ticket_id FROM messages m WHERE m.search @@ $13::tsquery) AND $14 = ''
`
	findPattern = `  AND t.id IN (SELECT m.ticket_id FROM messages m
       WHERE m.search @@ $13::tsquery
         AND left(m.subject || ' ' || CASE WHEN m.new_text = '' THEN m.text_body ELSE m.new_text END, 100000) LIKE $14)
`
	findNoSearch = `  AND $13 = '' AND $14 = ''
`
)

// A search that few messages match starts from the index: the tickets
// of its messages (findFew, after the WITH of findHits); one that many
// match walks the tickets in order, which soon finds a page. The planner
// cannot tell which from statistics that hold no rare word (it walked a
// million tickets for a word one message held), so fewHitsSQL counts up
// to rareHits matching messages first.
const (
	rareHits   = 2000
	fewHitsSQL = `SELECT count(*) FROM (SELECT 1 FROM messages m WHERE m.search @@ $1::tsquery LIMIT 2001) x`
	findHits   = `WITH hits AS MATERIALIZED (
    SELECT DISTINCT m.ticket_id FROM messages m
    WHERE m.search @@ $13::tsquery
      AND ($14 = '' OR left(m.subject || ' ' || CASE WHEN m.new_text = '' THEN m.text_body ELSE m.new_text END, 100000) LIKE $14))
`
	findFew = `  AND t.id IN (SELECT ticket_id FROM hits)
`
)

// findOrders continue findWhere for each sort: after the cursor ($15 the
// number, $17 the time), in order, $16 rows.
var findOrders = map[string]string{
	"-number":     `AND ($15::bigint IS NULL OR t.id < $15) ORDER BY t.id DESC LIMIT $16`,
	"number":      `AND ($15::bigint IS NULL OR t.id > $15) ORDER BY t.id LIMIT $16`,
	"-updated_at": `AND ($15::bigint IS NULL OR (t.updated_at, t.id) < ($17, $15)) ORDER BY t.updated_at DESC, t.id DESC LIMIT $16`,
	"updated_at":  `AND ($15::bigint IS NULL OR (t.updated_at, t.id) > ($17, $15)) ORDER BY t.updated_at, t.id LIMIT $16`,
}

// BadCursor is returned for a cursor FindTickets did not make.
type BadCursor string

func (b BadCursor) Error() string { return "bad cursor " + strconv.Quote(string(b)) }

// FindTickets returns a page of the tickets f chooses, in its order, and
// the cursor of the next page ("" after the last).
func FindTickets(ctx context.Context, db DB, f Filter) ([]TicketSummary, string, error) {
	if f.Sort == "" {
		f.Sort = "-number"
	}
	order, ok := findOrders[f.Sort]
	if !ok {
		return nil, "", fmt.Errorf("unknown sort %q: want one of %s", f.Sort, strings.Join(Sorts, ", "))
	}
	var afterID *int64
	var afterTime *time.Time
	if f.Cursor != "" {
		id, at, err := parseCursor(f.Cursor)
		if err != nil {
			return nil, "", err
		}
		afterID, afterTime = &id, &at
	}
	term, pattern, err := search.Query(f.Query)
	if err != nil {
		return nil, "", err
	}
	where := findNoSearch
	switch {
	case pattern != "":
		where = findPattern
	case strings.TrimSpace(f.Query) != "":
		where = findWords // finding nothing when the query holds no word
	}
	// A search is planned for its own words (each statement afresh, not a
	// generic plan): how many messages hold them decides the join.
	args := []any{pgx.QueryExecModeExec, f.Status, f.Queue, f.Team, f.Assignee, f.Priority, f.Category, f.Requester,
		f.Tag, timeOrNil(f.CreatedAfter), timeOrNil(f.CreatedBefore), timeOrNil(f.UpdatedAfter), timeOrNil(f.UpdatedBefore),
		term, pattern, afterID, f.Limit + 1}
	if where == findNoSearch {
		args = args[1:] // the list without search keeps its prepared plan
	}
	if strings.HasSuffix(f.Sort, "updated_at") {
		args = append(args, afterTime)
	}
	sql := findWhere + where + order
	if where != findNoSearch {
		var hits int
		if err := db.QueryRow(ctx, fewHitsSQL, pgx.QueryExecModeExec, term).Scan(&hits); err != nil {
			return nil, "", fmt.Errorf("ticketing: finding tickets: %w", err)
		}
		if hits <= rareHits {
			sql = findHits + findWhere + findFew + order
		}
	}
	rows, err := db.Query(ctx, sql, args...)
	if err != nil {
		return nil, "", fmt.Errorf("ticketing: finding tickets: %w", err)
	}
	ts, err := pgx.CollectRows(rows, scanSummary)
	if err != nil {
		return nil, "", fmt.Errorf("ticketing: finding tickets: %w", err)
	}
	if len(ts) <= f.Limit {
		return ts, "", nil
	}
	ts = ts[:f.Limit]
	last := ts[len(ts)-1]
	return ts, makeCursor(last.Number, last.UpdatedAt), nil
}

func makeCursor(id int64, at time.Time) string {
	return base64.RawURLEncoding.EncodeToString([]byte(strconv.FormatInt(id, 10) + " " + at.UTC().Format(time.RFC3339Nano)))
}

func parseCursor(c string) (int64, time.Time, error) {
	b, err := base64.RawURLEncoding.DecodeString(c)
	if err != nil {
		return 0, time.Time{}, BadCursor(c)
	}
	n, t, ok := strings.Cut(string(b), " ")
	id, err1 := strconv.ParseInt(n, 10, 64)
	at, err2 := time.Parse(time.RFC3339Nano, t)
	if !ok || err1 != nil || err2 != nil {
		return 0, time.Time{}, BadCursor(c)
	}
	return id, at, nil
}
