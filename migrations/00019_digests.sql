-- +goose Up
-- Agents' daily digests: one row per digest sent, inserted in the
-- transaction that queues its outbox row, so that an agent gets one digest
-- a local day however many processes run and across restarts.
CREATE TABLE digests (
    agent      text NOT NULL,  -- the agent's first address, lower-cased
    day        date NOT NULL,  -- the local date in the agent's calendar
    outbox_id  bigint NOT NULL REFERENCES outbox (id) DEFERRABLE INITIALLY DEFERRED, -- numbered before the mail is queued
    created_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (agent, day)
);

-- +goose Down
DROP TABLE digests;
