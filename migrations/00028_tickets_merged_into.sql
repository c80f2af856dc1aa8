-- +goose Up
-- Retention leaves a closed ticket alone while mail still queued needs its
-- files (ticketing/retention.go). Mail queued about a ticket that was then
-- merged carries files that moved to the ticket it was merged into, so
-- retention looks up the tickets merged into each one it handles. Few
-- tickets are merged: the index holds only those.
CREATE INDEX tickets_merged_into ON tickets (merged_into) WHERE merged_into IS NOT NULL;

-- +goose Down
DROP INDEX tickets_merged_into;
