-- +goose Up
-- An email may wait for another: the status mail of an agent's email that
-- also relays a reply is not handed to SMTP until the server has accepted
-- the relayed reply for its requester, so the requester never reads
-- "resolved" before the answer. The claim skips a row while the row it
-- names is queued and not yet accepted for its recipient. The reference is
-- checked at commit: the status mail is queued before the relay.
ALTER TABLE outbox ADD COLUMN after_id bigint REFERENCES outbox (id) ON DELETE SET NULL DEFERRABLE INITIALLY DEFERRED;

-- +goose Down
ALTER TABLE outbox DROP COLUMN after_id;
