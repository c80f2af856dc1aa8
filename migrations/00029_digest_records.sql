-- +goose Up
-- An agent with nothing to list gets no digest, but their day is recorded
-- all the same (so the sweep neither tries again every minute nor sends
-- one later that day): such a row names no outbox row.
ALTER TABLE digests ALTER COLUMN outbox_id DROP NOT NULL;

-- +goose Down
-- The days recorded without mail go: after the downgrade an agent may get
-- that day's digest, listing nothing, as before this migration.
DELETE FROM digests WHERE outbox_id IS NULL;
ALTER TABLE digests ALTER COLUMN outbox_id SET NOT NULL;
