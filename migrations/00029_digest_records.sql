-- +goose Up
-- An agent with nothing to list gets no digest, but their day is recorded
-- all the same (so the sweep neither tries again every minute nor sends
-- one later that day): such a row names no outbox row.
ALTER TABLE digests ALTER COLUMN outbox_id DROP NOT NULL;

-- Replies to digests received, by Message-ID and content fingerprint as
-- messages.fingerprint has it: a reply to a digest joins no ticket, so no
-- message row records it, and a second delivery of it (another mailbox, a
-- fetch after a UIDVALIDITY change) is known by this table and applies
-- nothing.
CREATE TABLE digest_replies (
    message_id  text NOT NULL,
    fingerprint bytea NOT NULL,
    inbound_id  bigint REFERENCES inbound (id), -- the copy handled; NULL when none was captured
    created_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (message_id, fingerprint)
);

-- +goose Down
DROP TABLE digest_replies;
-- The days recorded without mail go: after the downgrade an agent may get
-- that day's digest, listing nothing, as before this migration.
DELETE FROM digests WHERE outbox_id IS NULL;
ALTER TABLE digests ALTER COLUMN outbox_id SET NOT NULL;
