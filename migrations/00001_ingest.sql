-- +goose Up
-- Ingest: mailbox cursors and leases, captured raw mail, minimal tickets.

-- One row per configured mailbox: the sync cursor and the lease that lets
-- exactly one deskgate process sync it.
CREATE TABLE mailboxes (
    name         text PRIMARY KEY,
    uidvalidity  bigint NOT NULL DEFAULT 0,
    last_uid     bigint NOT NULL DEFAULT 0,
    lease_owner  text,
    lease_until  timestamptz,
    synced_at    timestamptz
);

CREATE TABLE tickets (
    id              bigserial PRIMARY KEY,
    subject         text NOT NULL,
    requester_name  text NOT NULL DEFAULT '',
    requester_addr  text NOT NULL,
    status          text NOT NULL DEFAULT 'new'
                    CHECK (status IN ('new', 'open', 'pending', 'resolved', 'closed')),
    queue           text NOT NULL DEFAULT '',
    received_at     timestamptz NOT NULL,
    created_at      timestamptz NOT NULL DEFAULT now(),
    updated_at      timestamptz NOT NULL DEFAULT now()
);

-- Every message captured from a desk mailbox, exactly once, with its raw
-- bytes. status says what became of it; the parsed summary columns are
-- filled when it is processed.
CREATE TABLE inbound (
    id             bigserial PRIMARY KEY,
    mailbox        text NOT NULL REFERENCES mailboxes (name),
    uidvalidity    bigint NOT NULL,
    uid            bigint NOT NULL,
    sha256         bytea NOT NULL,
    size           bigint NOT NULL,
    internal_date  timestamptz,
    raw            bytea NOT NULL,
    truncated      boolean NOT NULL DEFAULT false,
    captured_at    timestamptz NOT NULL DEFAULT now(),
    status         text NOT NULL DEFAULT 'pending'
                   CHECK (status IN ('pending', 'ticketed', 'attached', 'ignored', 'quarantined')),
    reason         text NOT NULL DEFAULT '',
    attempts       integer NOT NULL DEFAULT 0,
    processed_at   timestamptz,
    message_id     text NOT NULL DEFAULT '',
    subject        text NOT NULL DEFAULT '',
    from_name      text NOT NULL DEFAULT '',
    from_addr      text NOT NULL DEFAULT '',
    class          text NOT NULL DEFAULT '',
    text_body      text NOT NULL DEFAULT '',
    ticket_id      bigint REFERENCES tickets (id),
    UNIQUE (mailbox, uidvalidity, uid)
);
CREATE INDEX inbound_mailbox_sha256 ON inbound (mailbox, sha256);
CREATE INDEX inbound_pending ON inbound (id) WHERE status = 'pending';
CREATE INDEX inbound_quarantined ON inbound (id) WHERE status = 'quarantined';
CREATE INDEX inbound_ticket ON inbound (ticket_id);

-- Messages of a ticket. fingerprint identifies the same message delivered
-- more than once (to two desk mailboxes); message_id alone cannot, since
-- senders reuse Message-IDs.
CREATE TABLE messages (
    id           bigserial PRIMARY KEY,
    ticket_id    bigint NOT NULL REFERENCES tickets (id),
    inbound_id   bigint REFERENCES inbound (id),
    direction    text NOT NULL CHECK (direction IN ('in', 'out')),
    message_id   text NOT NULL DEFAULT '',
    in_reply_to  text NOT NULL DEFAULT '',
    refs         text[] NOT NULL DEFAULT '{}',
    from_name    text NOT NULL DEFAULT '',
    from_addr    text NOT NULL DEFAULT '',
    to_addrs     jsonb NOT NULL DEFAULT '[]',
    cc_addrs     jsonb NOT NULL DEFAULT '[]',
    subject      text NOT NULL DEFAULT '',
    sent_at      timestamptz,
    text_body    text NOT NULL DEFAULT '',
    html_body    text NOT NULL DEFAULT '',
    class        text NOT NULL DEFAULT 'human',
    fingerprint  bytea,
    created_at   timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX messages_ticket ON messages (ticket_id);
CREATE INDEX messages_message_id ON messages (message_id) WHERE message_id <> '';

-- Attachment and inline-part content, stored once per SHA-256.
CREATE TABLE blobs (
    sha256  bytea PRIMARY KEY,
    size    bigint NOT NULL,
    data    bytea NOT NULL
);

CREATE TABLE attachments (
    id            bigserial PRIMARY KEY,
    message_id    bigint NOT NULL REFERENCES messages (id),
    sha256        bytea NOT NULL REFERENCES blobs (sha256),
    filename      text NOT NULL DEFAULT '',
    content_type  text NOT NULL DEFAULT '',
    content_id    text NOT NULL DEFAULT '',
    inline        boolean NOT NULL DEFAULT false,
    size          bigint NOT NULL
);
CREATE INDEX attachments_message ON attachments (message_id);

-- The event log: who did what to a ticket, when and why.
CREATE TABLE events (
    id          bigserial PRIMARY KEY,
    ticket_id   bigint REFERENCES tickets (id),
    inbound_id  bigint REFERENCES inbound (id),
    at          timestamptz NOT NULL DEFAULT now(),
    actor       text NOT NULL,
    kind        text NOT NULL,
    detail      jsonb NOT NULL DEFAULT '{}'
);
CREATE INDEX events_ticket ON events (ticket_id, id);

-- Raw mail, bodies and attachments are large; lz4 compresses them at a
-- fraction of pglz's CPU cost. Servers without lz4 keep their default.
-- +goose StatementBegin
DO $$
BEGIN
    -- Dynamic, so that PostgreSQL 13, which lacks the syntax, fails here
    -- at run time where the handler catches it.
    EXECUTE 'ALTER TABLE inbound ALTER COLUMN raw SET COMPRESSION lz4, '
         || 'ALTER COLUMN text_body SET COMPRESSION lz4';
    EXECUTE 'ALTER TABLE messages ALTER COLUMN text_body SET COMPRESSION lz4, '
         || 'ALTER COLUMN html_body SET COMPRESSION lz4';
    EXECUTE 'ALTER TABLE blobs ALTER COLUMN data SET COMPRESSION lz4';
EXCEPTION WHEN OTHERS THEN -- no lz4 in this build, or PostgreSQL 13 (no SET COMPRESSION)
    RAISE NOTICE 'lz4 is not available; large columns keep the default compression';
END
$$;
-- +goose StatementEnd

-- +goose Down
DROP TABLE events, attachments, blobs, messages, inbound, tickets, mailboxes;
