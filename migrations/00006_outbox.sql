-- +goose Up
-- Outgoing mail: the transactional outbox, the people we write to, and the
-- language each ticket is answered in.

-- Everyone deskgate has written to or heard from by address: the id their
-- reply tokens carry, an explicitly set language, and whether automatic mail
-- to them is suppressed (after a permanent bounce) and until when.
CREATE TABLE contacts (
    id                 bigserial PRIMARY KEY,
    address            text NOT NULL UNIQUE, -- lower-cased
    language           text NOT NULL DEFAULT '',
    suppressed_until   timestamptz,
    suppressed_reason  text NOT NULL DEFAULT ''
);

ALTER TABLE tickets ADD COLUMN language text NOT NULL DEFAULT '',
                    ADD COLUMN team text NOT NULL DEFAULT '',
                    ADD COLUMN assignee text NOT NULL DEFAULT '';

-- One row per email to send, inserted in the transaction of the change that
-- caused it and composed then, so a retry sends the same mail. status:
--   queued      waiting for next_attempt_at (a sender may hold a lease on it)
--   sent        accepted by the SMTP server (reply keeps its answer)
--   failed      rejected for good, or out of attempts or time
--   suppressed  never sent: reason says why (loop, limit, bounce suppression)
--   bounced     sent, then reported undeliverable by a DSN
CREATE TABLE outbox (
    id               bigserial PRIMARY KEY,
    ticket_id        bigint REFERENCES tickets (id),
    inbound_id       bigint REFERENCES inbound (id),
    event            text NOT NULL,
    automatic        boolean NOT NULL,
    recipient        text NOT NULL, -- the lower-cased To address that limits count against
    status           text NOT NULL DEFAULT 'queued'
                     CHECK (status IN ('queued', 'sent', 'failed', 'suppressed', 'bounced')),
    reason           text NOT NULL DEFAULT '',
    language         text NOT NULL DEFAULT '',
    message_id       text NOT NULL,
    from_name        text NOT NULL,
    from_addr        text NOT NULL,
    reply_to         text NOT NULL DEFAULT '',
    to_addrs         jsonb NOT NULL DEFAULT '[]',
    cc_addrs         jsonb NOT NULL DEFAULT '[]',
    in_reply_to      text NOT NULL DEFAULT '',
    refs             text[] NOT NULL DEFAULT '{}',
    subject          text NOT NULL,
    thread_index     text NOT NULL DEFAULT '',
    thread_topic     text NOT NULL DEFAULT '',
    auto_submitted   text NOT NULL DEFAULT '',
    text_body        text NOT NULL,
    html_body        text NOT NULL DEFAULT '',
    attempts         integer NOT NULL DEFAULT 0,
    next_attempt_at  timestamptz NOT NULL DEFAULT now(),
    lease_owner      text,
    lease_until      timestamptz,
    reply            text NOT NULL DEFAULT '',
    created_at       timestamptz NOT NULL DEFAULT now(),
    sent_at          timestamptz
);
CREATE UNIQUE INDEX outbox_message_id ON outbox (message_id);
CREATE INDEX outbox_due ON outbox (next_attempt_at, id) WHERE status = 'queued';
-- While the circuit breaker holds automatic mail back, mail a person wrote
-- is still claimed, without reading past the held-back rows.
CREATE INDEX outbox_due_personal ON outbox (next_attempt_at, id) WHERE status = 'queued' AND NOT automatic;
CREATE INDEX outbox_ticket ON outbox (ticket_id, id);
-- Rate limits count a recipient's recent automatic mail.
CREATE INDEX outbox_recipient ON outbox (recipient, created_at) WHERE automatic AND status <> 'suppressed';
-- The circuit breaker counts all recent automatic mail.
CREATE INDEX outbox_automatic ON outbox (created_at) WHERE automatic AND status <> 'suppressed';

-- Bodies compress well; lz4 costs a fraction of pglz's CPU (as for inbound).
-- +goose StatementBegin
DO $$
BEGIN
    EXECUTE 'ALTER TABLE outbox ALTER COLUMN text_body SET COMPRESSION lz4, ALTER COLUMN html_body SET COMPRESSION lz4';
EXCEPTION WHEN OTHERS THEN
    RAISE NOTICE 'lz4 is not available; outbox bodies keep the default compression';
END
$$;
-- +goose StatementEnd

-- +goose Down
DROP TABLE outbox;
ALTER TABLE tickets DROP COLUMN language, DROP COLUMN team, DROP COLUMN assignee;
DROP TABLE contacts;
