-- +goose Up
-- Retention and erasure: the raw bytes of captured mail and the content of
-- attachments can be removed, keeping everything else of a ticket. The
-- inbound row stays with its sha256, UIDVALIDITY and UID, so mail fetched
-- again is still recognised as captured (exactly once).

-- When retention removed the raw mail and attachment content of a closed
-- ticket; NULL while they are kept.
ALTER TABLE tickets ADD COLUMN retained_at timestamptz;
-- When raw was emptied, and by what: 'retention' or 'erasure'.
ALTER TABLE inbound ADD COLUMN raw_removed_at timestamptz,
                    ADD COLUMN raw_removed_by text NOT NULL DEFAULT '';
-- When data was emptied (size keeps the size it had).
ALTER TABLE blobs ADD COLUMN removed_at timestamptz;

-- The retention job reads closed tickets it has not yet handled, oldest first.
CREATE INDEX tickets_retention ON tickets (closed_at) WHERE status = 'closed' AND retained_at IS NULL;

-- A blob's content is removed only when no attachment of a kept ticket
-- shares it.
CREATE INDEX attachments_sha256 ON attachments (sha256);

-- +goose Down
DROP INDEX attachments_sha256;
DROP INDEX tickets_retention;
ALTER TABLE blobs DROP COLUMN removed_at;
ALTER TABLE inbound DROP COLUMN raw_removed_at, DROP COLUMN raw_removed_by;
ALTER TABLE tickets DROP COLUMN retained_at;
