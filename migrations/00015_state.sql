-- +goose Up
-- Knowing a mailbox works: each mailbox's state as its syncing process last
-- saw it, and the SMTP side's, so that `deskgate status` in any process can
-- show them. Written at state changes and on a throttled heartbeat, never
-- per message.

-- state: never (no process has synced it yet), connected (logged in, folder
-- selected), catching_up (mail above the cursor is being captured), idle
-- (caught up, waiting for news), auth_failed (the server refused the login),
-- unreachable (no session: network, TLS, timeouts, server errors), stopped
-- (its process released the lease at a normal stop).
ALTER TABLE mailboxes
    ADD COLUMN state          text NOT NULL DEFAULT 'never'
                              CHECK (state IN ('never', 'connected', 'catching_up', 'idle',
                                               'auth_failed', 'unreachable', 'stopped')),
    ADD COLUMN state_since    timestamptz,
    ADD COLUMN state_at       timestamptz,          -- last written (heartbeat)
    ADD COLUMN last_ok_at     timestamptz,          -- last sync that reached the end of the folder
    ADD COLUMN last_error     text NOT NULL DEFAULT '',
    ADD COLUMN last_error_at  timestamptz,
    ADD COLUMN behind         bigint NOT NULL DEFAULT 0;

-- The SMTP side, one row: the last delivery the server accepted, the last
-- failure of a session or a transaction as a whole (not one recipient's
-- refusal), whether the last failure was a rejected login, and the circuit
-- breaker on automatic mail as the sending processes last saw it.
CREATE TABLE smtp_state (
    id               boolean PRIMARY KEY DEFAULT true CHECK (id),
    last_ok_at       timestamptz,
    last_error       text NOT NULL DEFAULT '',
    last_error_at    timestamptz,
    auth_failed      boolean NOT NULL DEFAULT false,
    breaker_open     boolean NOT NULL DEFAULT false,
    breaker_since    timestamptz,
    breaker_until    timestamptz
);
INSERT INTO smtp_state DEFAULT VALUES;

-- +goose Down
DROP TABLE smtp_state;
ALTER TABLE mailboxes DROP COLUMN state, DROP COLUMN state_since, DROP COLUMN state_at,
    DROP COLUMN last_ok_at, DROP COLUMN last_error, DROP COLUMN last_error_at, DROP COLUMN behind;
