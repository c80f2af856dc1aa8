-- +goose Up
-- Search vectors are computed by deskgate (ticketing/search) and written
-- with each message, no longer by to_tsvector in a generated column:
-- PostgreSQL's parser spent 160–210 µs of the server's CPU on a 2 KB
-- message, a quarter of what the server spent ingesting one. DROP
-- EXPRESSION keeps the vectors already stored; search_reindex names the
-- messages whose vectors deskgate still has to rewrite with its own words
-- (ticketing.ReindexSearch, which deskgate migrate and serve run): ids
-- after next, up to upto. Erasure rewrites the vectors of the text it
-- changes. Every message is written with its vector: one written without
-- would never be found, so the column is NOT NULL (every stored row has
-- one).
ALTER TABLE messages ALTER COLUMN search DROP EXPRESSION, ALTER COLUMN search SET NOT NULL;
DROP FUNCTION search_vector(text, text);
CREATE TABLE search_reindex (
    upto bigint NOT NULL,
    next bigint NOT NULL
);
INSERT INTO search_reindex (upto, next) SELECT max(id), 0 FROM messages HAVING max(id) IS NOT NULL;

-- +goose Down
DROP TABLE search_reindex;
ALTER TABLE messages ALTER COLUMN search DROP NOT NULL;
-- +goose StatementBegin
CREATE FUNCTION search_vector(subject text, body text) RETURNS tsvector
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
SELECT to_tsvector('simple', regexp_replace(left(subject || ' ' || body, 100000),
    '([\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uac00-\ud7af])', ' \1 ', 'g')) $$;
-- +goose StatementEnd
ALTER TABLE messages DROP COLUMN search;
ALTER TABLE messages ADD COLUMN search tsvector
    GENERATED ALWAYS AS (search_vector(subject, CASE WHEN new_text = '' THEN text_body ELSE new_text END)) STORED;
CREATE INDEX messages_search ON messages USING gin (search);
