-- +goose Up
-- A notification is queued with the data its templates need (JSON:
-- event, language and templates.Data), and its bodies are rendered when
-- it is first claimed for sending, in the sender, and fixed here before
-- any attempt (render_data back to NULL), so that every attempt sends the
-- same bytes. Rendering in the ingest transaction, and storing each body
-- once per recipient there, was a third of the outbox insert and most of
-- composing, which every message of a backlog waited behind. NULL: the
-- bodies are in text_body and html_body (every row queued before this).
-- Mail never sent (suppressed) keeps its data and no bodies.
ALTER TABLE outbox ADD COLUMN render_data text;

-- +goose Down
-- Mail still unrendered cannot be sent by the code before this: it goes
-- out as failed, saying why.
UPDATE outbox SET status = 'failed', reason = 'not rendered before a downgrade'
WHERE render_data IS NOT NULL AND status = 'queued';
ALTER TABLE outbox DROP COLUMN render_data;
