-- +goose Up
-- The HTTP API and webhooks: API tokens, full-text search over messages,
-- and the webhook deliveries written in the transaction of each change.

-- A token is shown once; only its SHA-256 is kept. scope is read or
-- write; a revoked or expired token is refused.
CREATE TABLE api_tokens (
    id          bigserial PRIMARY KEY,
    hash        bytea NOT NULL UNIQUE,
    agent       text NOT NULL,
    scope       text NOT NULL CHECK (scope IN ('read', 'write')),
    created_at  timestamptz NOT NULL DEFAULT now(),
    expires_at  timestamptz,
    revoked_at  timestamptz,
    last_used_at timestamptz
);

-- Search: words of any language split on blanks and punctuation (the
-- simple configuration, no stemming), and trigrams for scripts written
-- without spaces (Chinese, Japanese), which pg_trgm extracts only in a
-- database whose LC_CTYPE is UTF-8 (deskgate migrate warns on C). The
-- text is cut at 200,000 characters: a tsvector holds at most 1 MB.
CREATE EXTENSION IF NOT EXISTS pg_trgm;
CREATE INDEX messages_search ON messages USING gin (to_tsvector('simple', left(subject || ' ' || text_body, 200000)));
CREATE INDEX messages_search_trgm ON messages USING gin (left(subject || ' ' || text_body, 200000) gin_trgm_ops);

CREATE INDEX tickets_status ON tickets (status, id);

-- Webhook deliveries, one row per endpoint and event, inserted in the
-- same transaction as the change; delivered in order per ticket and
-- endpoint, at least once. status: queued, sent, given_up.
CREATE TABLE webhook_deliveries (
    id              bigserial PRIMARY KEY,
    endpoint        text NOT NULL,
    ticket_id       bigint,
    event           text NOT NULL,
    payload         jsonb NOT NULL,
    status          text NOT NULL DEFAULT 'queued' CHECK (status IN ('queued', 'sent', 'given_up')),
    attempts        int NOT NULL DEFAULT 0,
    next_attempt_at timestamptz NOT NULL DEFAULT now(),
    last_error      text NOT NULL DEFAULT '',
    created_at      timestamptz NOT NULL DEFAULT now(),
    sent_at         timestamptz,
    lease_owner     text,
    lease_until     timestamptz
);
CREATE INDEX webhook_deliveries_due ON webhook_deliveries (endpoint, next_attempt_at, id) WHERE status = 'queued';
CREATE INDEX webhook_deliveries_ticket ON webhook_deliveries (endpoint, ticket_id, id) WHERE status = 'queued';

-- +goose Down
DROP TABLE webhook_deliveries;
DROP INDEX tickets_status;
DROP INDEX messages_search_trgm;
DROP INDEX messages_search;
DROP TABLE api_tokens;
