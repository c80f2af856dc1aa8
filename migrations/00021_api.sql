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

-- Search: the words of subjects and of what each message adds (new_text:
-- its quoted history is indexed with the message it quotes) in any
-- language, split on blanks and punctuation (the simple configuration, no
-- stemming; it folds the case of letters beyond ASCII only with a UTF-8
-- LC_CTYPE, which deskgate migrate warns of). Scripts written without
-- blanks between words (Chinese, Japanese, Korean) are indexed character
-- by character, with their positions, so that a query in them of any
-- length is a phrase of its characters (ticketing's unspacedRanges are
-- these ranges). Text is cut at 100,000 characters: a tsvector holds at
-- most 1 MB. Adding the column rewrites messages.
-- +goose StatementBegin
CREATE FUNCTION search_vector(subject text, body text) RETURNS tsvector
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
SELECT to_tsvector('simple', regexp_replace(left(subject || ' ' || body, 100000),
    '([\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uac00-\ud7af])', ' \1 ', 'g')) $$;
-- +goose StatementEnd
ALTER TABLE messages ADD COLUMN search tsvector
    GENERATED ALWAYS AS (search_vector(subject, CASE WHEN new_text = '' THEN text_body ELSE new_text END)) STORED;
CREATE INDEX messages_search ON messages USING gin (search);

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

-- The configured endpoints and the events each wants, written by serve at
-- start from webhooks: in deskgate.yaml.
CREATE TABLE webhook_endpoints (
    name    text PRIMARY KEY,
    events  text[] NOT NULL
);

-- webhook_event_names maps an event log entry to the webhook events it is.
-- +goose StatementBegin
CREATE FUNCTION webhook_event_names(kind text, detail jsonb) RETURNS text[]
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
SELECT array_remove(ARRAY[
    CASE kind
        WHEN 'ticket.created' THEN 'ticket.created'
        WHEN 'status.changed' THEN 'ticket.status_changed'
        WHEN 'priority.changed' THEN 'ticket.priority_changed'
        WHEN 'message.received' THEN 'message.received'
        WHEN 'agent.reply' THEN CASE WHEN detail->>'relay' = 'queued' THEN 'agent.reply' END
        WHEN 'sla.warning' THEN 'sla.warning'
        WHEN 'sla.breach' THEN 'sla.breach'
        WHEN 'notification.failed' THEN 'notification.failed'
    END,
    CASE WHEN kind = 'ticket.created' THEN 'message.received' -- a new ticket is its first message
         WHEN kind IN ('fields.changed', 'rule.fired') AND detail->'changes' @> '[{"field": "assignee"}]'
        THEN 'ticket.assignee_changed' END
], NULL) $$;
-- +goose StatementEnd

-- Every change records an event in its own transaction, on every path
-- (mail, email commands, the API, the CLI, rules, the escalation sweep);
-- this trigger queues the webhook deliveries of that event in the same
-- transaction. The payload carries ids and the changed fields (the
-- event's detail), never mail.
-- +goose StatementBegin
CREATE FUNCTION webhook_enqueue() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO webhook_deliveries (endpoint, ticket_id, event, payload)
    SELECT e.name, NEW.ticket_id, n.name, jsonb_build_object('type', n.name, 'timestamp', NEW.at,
        'data', jsonb_build_object('ticket', NEW.ticket_id, 'event_id', NEW.id, 'actor', NEW.actor,
                                   'kind', NEW.kind, 'detail', NEW.detail))
    FROM unnest(webhook_event_names(NEW.kind, NEW.detail)) AS n (name)
    JOIN webhook_endpoints e ON n.name = ANY (e.events);
    RETURN NULL;
END $$;
-- +goose StatementEnd

CREATE TRIGGER webhook_enqueue AFTER INSERT ON events FOR EACH ROW
    WHEN (NEW.kind IN ('ticket.created', 'status.changed', 'priority.changed', 'message.received', 'agent.reply',
                       'sla.warning', 'sla.breach', 'notification.failed', 'fields.changed', 'rule.fired'))
    EXECUTE FUNCTION webhook_enqueue();
-- Off until serve records an endpoint (webhook.Sync): a desk without
-- webhooks pays nothing for it on ingest.
ALTER TABLE events DISABLE TRIGGER webhook_enqueue;

-- +goose Down
DROP TRIGGER webhook_enqueue ON events;
DROP FUNCTION webhook_enqueue();
DROP FUNCTION webhook_event_names(text, jsonb);
DROP TABLE webhook_endpoints;
DROP TABLE webhook_deliveries;
DROP INDEX tickets_status;
DROP INDEX messages_search;
ALTER TABLE messages DROP COLUMN search;
DROP FUNCTION search_vector(text, text);
DROP TABLE api_tokens;
