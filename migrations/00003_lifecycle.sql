-- +goose Up
-- The ticket lifecycle: when a ticket was resolved or closed, the ticket a
-- late reply was linked to, and the ticket a merged one now lives in.
ALTER TABLE tickets ADD COLUMN resolved_at timestamptz,
                    ADD COLUMN closed_at timestamptz,
                    ADD COLUMN linked_to bigint REFERENCES tickets (id),
                    ADD COLUMN merged_into bigint REFERENCES tickets (id);
-- The auto-close sweep reads only resolved tickets, oldest first.
CREATE INDEX tickets_resolved_at ON tickets (resolved_at) WHERE status = 'resolved';

-- +goose Down
DROP INDEX tickets_resolved_at;
ALTER TABLE tickets DROP COLUMN resolved_at, DROP COLUMN closed_at, DROP COLUMN linked_to, DROP COLUMN merged_into;
