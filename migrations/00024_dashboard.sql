-- +goose Up
-- The dashboard's sign-in: one-time links mailed to agents, and the
-- sessions they open. Only SHA-256 hashes of the random tokens are kept,
-- so a copy of the database signs nobody in.
CREATE TABLE dashboard_links (
    hash        bytea PRIMARY KEY,
    agent       text NOT NULL,         -- the configured address it was sent to, lower-cased
    created_at  timestamptz NOT NULL DEFAULT now(),
    expires_at  timestamptz NOT NULL,
    used_at     timestamptz            -- set once, by the POST that signed in
);

CREATE TABLE dashboard_sessions (
    hash        bytea PRIMARY KEY,
    agent       text NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now(),
    expires_at  timestamptz NOT NULL
);

-- The reports and the dashboard read by period and by what is open.
CREATE INDEX tickets_created_at ON tickets (created_at);
CREATE INDEX tickets_open ON tickets (queue, priority) WHERE status IN ('new', 'open', 'pending');
CREATE INDEX sla_clocks_running ON sla_clocks (deadline) WHERE running;
CREATE INDEX inbound_captured_at ON inbound (captured_at);
CREATE INDEX messages_agent_replies ON messages (created_at) WHERE agent <> '' AND visibility = 'public';
CREATE INDEX outbox_sent_at ON outbox (sent_at) WHERE status = 'sent';
CREATE INDEX events_status_changes ON events (at) WHERE kind = 'status.changed';
CREATE INDEX outbox_suppressed ON outbox (created_at) WHERE status = 'suppressed';

-- +goose Down
DROP INDEX tickets_created_at, tickets_open, sla_clocks_running, inbound_captured_at, messages_agent_replies,
    outbox_sent_at, events_status_changes, outbox_suppressed;
DROP TABLE dashboard_sessions;
DROP TABLE dashboard_links;
