-- +goose Up
-- Outlook's conversation root (the first 22 bytes of Thread-Index, base64),
-- so a reply whose client kept nothing else still finds its ticket.
ALTER TABLE messages ADD COLUMN thread_root text NOT NULL DEFAULT '';
CREATE INDEX messages_thread_root ON messages (thread_root) WHERE thread_root <> '';

-- +goose Down
DROP INDEX messages_thread_root;
ALTER TABLE messages DROP COLUMN thread_root;
