-- +goose Up
-- Agents working tickets by email: who wrote a message as a verified agent
-- and whether it is public or an internal note, and the stored message
-- whose attachments a relayed reply carries.
ALTER TABLE messages ADD COLUMN visibility text NOT NULL DEFAULT 'public'
                         CHECK (visibility IN ('public', 'internal')),
                     ADD COLUMN agent text NOT NULL DEFAULT '';
ALTER TABLE outbox ADD COLUMN message_ref bigint REFERENCES messages (id);

-- +goose Down
ALTER TABLE outbox DROP COLUMN message_ref;
ALTER TABLE messages DROP COLUMN visibility, DROP COLUMN agent;
