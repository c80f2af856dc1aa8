-- +goose Up
-- Hostile mail, sending: what became of each recipient of an email sent in
-- several SMTP transactions or attempts, and the smaller version of an email
-- a server refused for its size.

-- One row per recipient with an outcome before the email's last attempt:
-- accepted by the server, or refused for good. A retry (after a crash too)
-- goes only to recipients without a row, so nobody gets the email twice
-- because someone else's copy was deferred.
CREATE TABLE outbox_recipients (
    outbox_id  bigint NOT NULL REFERENCES outbox (id) ON DELETE CASCADE,
    address    text NOT NULL, -- lower-cased
    status     text NOT NULL CHECK (status IN ('accepted', 'refused')),
    reply      text NOT NULL DEFAULT '',
    at         timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (outbox_id, address)
);

-- compact > 0: the server refused the email for its size, and it is sent as
-- the smaller version with at most this many bytes of text, no HTML and its
-- attachments listed by name (mailout composes it from the row alone, so
-- every retry sends the same bytes).
ALTER TABLE outbox ADD COLUMN compact integer NOT NULL DEFAULT 0;

-- +goose Down
ALTER TABLE outbox DROP COLUMN compact;
DROP TABLE outbox_recipients;
