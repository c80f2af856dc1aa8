-- +goose Up
-- Crash-safe sending: outbox claims are short and renewed while a sender
-- works on them, handed back by owner at shutdown, and taken over when
-- their owner is found dead. All of these look rows up by lease_owner,
-- which only rows being sent have (a result clears it).
UPDATE outbox SET lease_owner = NULL, lease_until = NULL WHERE status <> 'queued' AND lease_owner IS NOT NULL;
CREATE INDEX outbox_leased ON outbox (lease_owner) WHERE lease_owner IS NOT NULL;

-- +goose Down
DROP INDEX outbox_leased;
