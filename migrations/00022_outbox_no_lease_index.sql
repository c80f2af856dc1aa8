-- +goose Up
-- Claims by owner are found through the queue (outbox_due), not an index
-- of their own: the planner chose outbox_leased to record each result,
-- and then read an entry for every email the owner had settled since the
-- last vacuum; each claim and each result also wrote to it. Without it, a
-- claim changes no indexed column, so its update can be HOT.
DROP INDEX outbox_leased;

-- +goose Down
CREATE INDEX outbox_leased ON outbox (lease_owner) WHERE lease_owner IS NOT NULL;
