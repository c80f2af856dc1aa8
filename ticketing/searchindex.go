package ticketing

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/deskgate/deskgate/ticketing/search"
)

// What search.Vector indexes of a message: its subject and what it adds
// (its new text, else its text), cut where Vector cuts it. Messages are
// written with their vector (createTicketsSQL, addMessagesSQL); these
// rewrite the vectors of messages whose text changed after (erasure) or
// that PostgreSQL's parser indexed (before migration 00026). Both read
// the text FOR UPDATE: a vector computed from text that another
// transaction then changes (an erasure) would put its old words back.
const (
	indexedColumns     = `id, subject, left(CASE WHEN new_text = '' THEN text_body ELSE new_text END, 100000)`
	indexedByIDSQL     = `SELECT ` + indexedColumns + ` FROM messages WHERE id = ANY($1) FOR UPDATE`
	indexedAfterSQL    = `SELECT ` + indexedColumns + ` FROM messages WHERE id > $1 AND id <= $2 ORDER BY id LIMIT $3 FOR UPDATE`
	writeVectorsSQL    = `UPDATE messages m SET search = v.search FROM unnest($1::bigint[], $2::tsvector[]) AS v (id, search) WHERE m.id = v.id`
	reindexBatch       = 1000
	reindexStateSQL    = `SELECT upto, next FROM search_reindex FOR UPDATE`
	reindexLeftSQL     = `SELECT count(*) FROM messages WHERE id > $1 AND id <= $2`
	reindexProgressSQL = `UPDATE search_reindex SET next = $1`
)

// rewriteVectors computes the vectors of the messages query reads (the
// columns indexedColumns names) and writes them; it returns how many it
// rewrote and the last id read.
func rewriteVectors(ctx context.Context, tx pgx.Tx, query string, args ...any) (int, int64, error) {
	rows, err := tx.Query(ctx, query, args...)
	if err != nil {
		return 0, 0, err
	}
	var ids []int64
	var vectors []tsvector
	var id int64
	var subject, body string
	_, err = pgx.ForEachRow(rows, []any{&id, &subject, &body}, func() error {
		ids, vectors = append(ids, id), append(vectors, tsvector{search.Vector(subject, body)})
		return nil
	})
	if err != nil || len(ids) == 0 {
		return 0, 0, err
	}
	if _, err := tx.Exec(ctx, writeVectorsSQL, ids, vectors); err != nil {
		return 0, 0, err
	}
	return len(ids), ids[len(ids)-1], nil
}

// ReindexSearch rewrites, with search.Vector's words, the search vectors
// of the messages stored before deskgate computed them (migration 00026
// left PostgreSQL's to_tsvector's there, which keep an address, a host or
// a number with points as one word only, so that its parts, example of
// alice@example.com, are not found). It works in batches of 1,000
// messages, each in a transaction that records how far it got (table
// search_reindex), so a run that stops resumes where it was, and
// processes running it at once take the batches in turn. progress, if not nil, is called after each batch with the
// messages rewritten by this call and how many were left when it began.
// With nothing left to rewrite it returns at once.
func ReindexSearch(ctx context.Context, db Beginner, progress func(done, total int64)) error {
	var done, total int64 = 0, -1
	for {
		finished := false
		err := pgx.BeginFunc(ctx, db, func(tx pgx.Tx) error {
			var upto, next int64
			if err := tx.QueryRow(ctx, reindexStateSQL).Scan(&upto, &next); err == pgx.ErrNoRows {
				finished = true
				return nil
			} else if err != nil {
				return err
			}
			if total < 0 {
				if err := tx.QueryRow(ctx, reindexLeftSQL, next, upto).Scan(&total); err != nil {
					return err
				}
			}
			n, last, err := rewriteVectors(ctx, tx, indexedAfterSQL, next, upto, reindexBatch)
			if err != nil {
				return err
			}
			if n == 0 {
				finished = true
				_, err = tx.Exec(ctx, `DELETE FROM search_reindex`)
				return err
			}
			done += int64(n)
			_, err = tx.Exec(ctx, reindexProgressSQL, last)
			return err
		})
		if err != nil {
			return fmt.Errorf("ticketing: rewriting search vectors: %w", err)
		}
		if finished {
			return nil
		}
		if progress != nil {
			progress(done, total)
		}
	}
}
