package ticketing

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"regexp"
	"strings"

	"github.com/jackc/pgx/v5"
)

// erasedText replaces a person's words and name wherever erasure finds them.
const erasedText = "[erased]"

// minErasedName is the shortest name erasure replaces in text: shorter
// ones ("Al") would cut into other words.
const minErasedName = 3

// Erased is what EraseContact did.
type Erased struct {
	Pseudonym string // the address that now stands for the person
	Tickets   int64  // tickets they took part in, each with an event
	Messages  int64  // their messages, whose text was removed
	Raw       int64  // captured messages whose raw bytes were removed
	Rows      int64  // rows in which their address or name was replaced
}

// The names the person used: as requester, participant, sender, and in
// the To and Cc of mail.
const erasedNamesSQL = `
SELECT DISTINCT n FROM (
    SELECT requester_name AS n FROM tickets WHERE lower(requester_addr) = $1
    UNION ALL SELECT name FROM participants WHERE address = $1
    UNION ALL SELECT from_name FROM messages WHERE lower(from_addr) = $1
    UNION ALL SELECT from_name FROM inbound WHERE lower(from_addr) = $1
    UNION ALL SELECT e->>'name' FROM messages, jsonb_array_elements(to_addrs || cc_addrs) e WHERE lower(e->>'address') = $1
    UNION ALL SELECT e->>'name' FROM outbox, jsonb_array_elements(to_addrs || cc_addrs) e WHERE lower(e->>'address') = $1
) names WHERE length(n) >= $2`

// What erasure removes outright, before the sweep below replaces the
// address and names wherever else they are: the text of the person's
// messages; the content of their attachments that no one else's message
// shares; the raw bytes of the mail they sent and of all mail of the
// tickets they took part in (its headers name them); mail queued to them,
// or quoting or carrying mail they sent (the new-ticket mail to a team),
// suppressed, and the text of all such mail, sent or not; their contact's
// language.
// $1 the address, $2 the tickets they took part in, $3 the pseudonym.
const eraseSQL = `
WITH mine AS (
    UPDATE messages SET text_body = '` + erasedText + `', html_body = '', new_text = '` + erasedText + `'
    WHERE lower(from_addr) = $1 RETURNING id
), blob AS (
    UPDATE blobs b SET data = '', removed_at = now()
    WHERE b.removed_at IS NULL
      AND b.sha256 IN (SELECT a.sha256 FROM attachments a WHERE a.message_id IN (SELECT id FROM mine))
      AND NOT EXISTS (SELECT 1 FROM attachments a JOIN messages m ON m.id = a.message_id
                      WHERE a.sha256 = b.sha256 AND lower(m.from_addr) <> $1)
    RETURNING 1
), raw AS (
    UPDATE inbound SET raw = '', raw_removed_at = now(), raw_removed_by = 'erasure',
        text_body = CASE WHEN lower(from_addr) = $1 THEN '` + erasedText + `' ELSE text_body END,
        status = CASE WHEN status IN ('pending', 'quarantined') THEN 'ignored' ELSE status END,
        reason = CASE WHEN status IN ('pending', 'quarantined') THEN 'the sender''s data was erased' ELSE reason END
    WHERE lower(from_addr) = $1 OR ticket_id = ANY($2)
       OR id IN (SELECT inbound_id FROM messages WHERE ticket_id = ANY($2))
    RETURNING 1
), queued AS (
    UPDATE outbox SET status = CASE WHEN status = 'queued' THEN 'suppressed' ELSE status END,
        reason = CASE WHEN status <> 'queued' THEN reason
                      WHEN recipient = $1 THEN 'the recipient''s data was erased'
                      ELSE 'it quotes a person whose data was erased' END,
        text_body = '` + erasedText + `', html_body = '', render_data = NULL
    WHERE recipient = $1
       OR inbound_id IN (SELECT inbound_id FROM messages WHERE id IN (SELECT id FROM mine))
       OR message_ref IN (SELECT id FROM mine)
    RETURNING 1
), contact AS (
    UPDATE contacts SET address = $3, language = '' WHERE address = $1 RETURNING 1
), ev AS (
    INSERT INTO events (ticket_id, actor, kind, detail)
    SELECT t, $4, 'contact.erased', jsonb_build_object('pseudonym', $3::text) FROM unnest($2::bigint[]) t
    UNION ALL SELECT NULL, $4, 'contact.erased', jsonb_build_object('pseudonym', $3::text)
)
SELECT ARRAY(SELECT id FROM mine), (SELECT count(*) FROM raw)`

// The columns the sweep searches: every text, jsonb and text[] column of
// deskgate's tables, those added later included.
const sweptColumnsSQL = `
SELECT table_name, column_name, data_type FROM information_schema.columns
WHERE table_schema = current_schema() AND table_name <> 'goose_db_version'
  AND (data_type IN ('text', 'character varying', 'jsonb') OR (data_type = 'ARRAY' AND udt_name = '_text'))
  AND table_name IN (SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema() AND table_type = 'BASE TABLE')
ORDER BY table_name, column_name`

// EraseContact removes or pseudonymises the personal data of the person
// at address, for a data-protection request: their messages' text, their
// attachments, the raw mail of every ticket they took part in, and their
// address and names wherever else deskgate stored them (tickets,
// participants, messages, captured mail, the outbox, events, tables added
// later), replaced by a pseudonym (erased-…@erased.invalid) and
// "[erased]". Each ticket they took part in records a contact.erased event
// naming the pseudonym only. Tickets stay, with everyone else's words.
// Limits: a name shorter than three letters is not searched for in text,
// and a first name alone (Hi Åsa) is not recognised as theirs.
func EraseContact(ctx context.Context, db Beginner, address, actor string) (Erased, error) {
	address = lower(strings.TrimSpace(address))
	if !strings.Contains(address, "@") {
		return Erased{}, fmt.Errorf("%q is not an email address", address)
	}
	var b [8]byte
	if _, err := rand.Read(b[:]); err != nil {
		return Erased{}, fmt.Errorf("ticketing: erasing %s: %w", address, err)
	}
	e := Erased{Pseudonym: "erased-" + hex.EncodeToString(b[:]) + "@erased.invalid"}
	err := pgx.BeginFunc(ctx, db, func(tx pgx.Tx) error {
		rows, err := tx.Query(ctx, erasedNamesSQL, address, minErasedName)
		if err != nil {
			return err
		}
		names, err := pgx.CollectRows(rows, pgx.RowTo[string])
		if err != nil {
			return err
		}
		rows, err = tx.Query(ctx, `SELECT ticket_id FROM participants WHERE address = $1
			UNION SELECT id FROM tickets WHERE lower(requester_addr) = $1 ORDER BY 1`, address)
		if err != nil {
			return err
		}
		tickets, err := pgx.CollectRows(rows, pgx.RowTo[int64])
		if err != nil {
			return err
		}
		e.Tickets = int64(len(tickets))
		var mine []int64
		if err := tx.QueryRow(ctx, eraseSQL, address, tickets, e.Pseudonym, actor).Scan(&mine, &e.Raw); err != nil {
			return err
		}
		e.Messages = int64(len(mine))
		var swept []int64
		e.Rows, swept, err = sweep(ctx, tx, address, names, e.Pseudonym)
		if err != nil {
			return err
		}
		// the words of the text as it is now, not as it was
		_, _, err = rewriteVectors(ctx, tx, indexedByIDSQL, append(mine, swept...))
		return err
	})
	if err != nil {
		return Erased{}, fmt.Errorf("ticketing: erasing %s: %w", address, err)
	}
	return e, nil
}

// sweep replaces address by pseudonym, then each name by erasedText,
// ignoring case, in every column sweptColumnsSQL lists, and returns how
// many rows changed and the ids of the messages among them.
func sweep(ctx context.Context, tx pgx.Tx, address string, names []string, pseudonym string) (int64, []int64, error) {
	rows, err := tx.Query(ctx, sweptColumnsSQL)
	if err != nil {
		return 0, nil, err
	}
	type column struct{ table, name, typ string }
	cols, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (column, error) {
		var c column
		return c, r.Scan(&c.table, &c.name, &c.typ)
	})
	if err != nil {
		return 0, nil, err
	}
	// Whole addresses and names only: bob@example.com is not the end of
	// jimbob@example.com nor the start of bob@example.com.au, nor Ann the
	// start of Anne; a full stop after an address ends a sentence.
	patterns := [][2]string{{`(?<![[:alnum:]._%+-])` + regexp.QuoteMeta(address) + `(?![[:alnum:]-]|\.[[:alnum:]])`, pseudonym}}
	if len(names) > 0 {
		quoted := make([]string, len(names))
		for i, n := range names {
			quoted[i] = regexp.QuoteMeta(n)
		}
		patterns = append(patterns, [2]string{`(?<![[:alnum:]])(` + strings.Join(quoted, "|") + `)(?![[:alnum:]])`, erasedText})
	}
	var changed int64
	var messages []int64
	for _, c := range cols {
		col := pgx.Identifier{c.name}.Sanitize()
		// as text, and back: $1 the pattern, $2 its replacement
		text, back := col, "%s"
		switch c.typ {
		case "jsonb":
			text, back = col+"::text", "(%s)::jsonb"
		case "ARRAY":
			text, back = "array_to_string("+col+", chr(1))", "string_to_array(%s, chr(1))"
		}
		replaced := fmt.Sprintf(back, "regexp_replace("+text+", $1, $2, 'gi')")
		ret := "NULL::bigint"
		if c.table == "messages" {
			ret = "id" // whose search vector follows its text
		}
		q := fmt.Sprintf("UPDATE %s SET %s = %s WHERE %s ~* $1 RETURNING %s", pgx.Identifier{c.table}.Sanitize(), col, replaced, text, ret)
		for _, p := range patterns {
			rows, err := tx.Query(ctx, q, p[0], p[1])
			if err != nil {
				return 0, nil, fmt.Errorf("replacing in %s.%s: %w", c.table, c.name, err)
			}
			ids, err := pgx.CollectRows(rows, pgx.RowTo[*int64])
			if err != nil {
				return 0, nil, fmt.Errorf("replacing in %s.%s: %w", c.table, c.name, err)
			}
			changed += int64(len(ids))
			for _, id := range ids {
				if id != nil {
					messages = append(messages, *id)
				}
			}
		}
	}
	return changed, messages, nil
}
