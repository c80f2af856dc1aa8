-- +goose Up
-- Hostile mail. A message whose only link to a ticket is a public header
-- (In-Reply-To, References, Thread-Index) from someone who takes no part in
-- it is kept on the ticket as held: internal, never relayed, moving
-- nothing, until an agent admits its sender.
ALTER TABLE messages ADD COLUMN held boolean NOT NULL DEFAULT false;
CREATE INDEX messages_held ON messages (ticket_id) WHERE held;

-- Outlook's conversation root for mail about a ticket: random at creation
-- (it used to be computed from the domain, the ticket id and the creation
-- time, so anyone could compute it), stored so that threading never
-- depends on how it was made. '' for tickets opened before this migration,
-- whose computed root keeps threading for their participants.
ALTER TABLE tickets ADD COLUMN thread_root text NOT NULL DEFAULT '';
CREATE INDEX tickets_thread_root ON tickets (thread_root) WHERE thread_root <> '';

-- +goose Down
DROP INDEX tickets_thread_root;
ALTER TABLE tickets DROP COLUMN thread_root;
DROP INDEX messages_held;
ALTER TABLE messages DROP COLUMN held;
