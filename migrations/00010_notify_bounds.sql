-- +goose Up
-- Bounds on notifications: which of a relayed reply's files a mail carries
-- (the rest exceed its attachment budget and are listed instead), who
-- caused each mail, and conversations paused as loops.

-- NULL: all the files of message_ref, as mail queued before this version.
ALTER TABLE outbox ADD COLUMN attachment_ids bigint[],
                   -- the lower-cased author of the message that caused the
                   -- mail; '' for mail no message caused (status, SLA)
                   ADD COLUMN sender text NOT NULL DEFAULT '';

-- Per-ticket limits count each recipient's mail about one ticket, of every
-- kind; relay limits count a customer's relayed replies (by recipient).
CREATE INDEX outbox_recipient_ticket ON outbox (recipient, ticket_id, created_at) WHERE status <> 'suppressed';
-- Conversations count the mail between two addresses, either way.
CREATE INDEX outbox_conversation ON outbox (least(sender, recipient), greatest(sender, recipient), created_at)
    WHERE sender <> '' AND status <> 'suppressed';

-- A conversation between two addresses (a < b) that exchanged too much
-- mail too fast: no mail caused by one goes to the other until until.
CREATE TABLE conversation_pauses (
    a          text NOT NULL,
    b          text NOT NULL,
    ticket_id  bigint REFERENCES tickets (id), -- where it was noticed
    mails      integer NOT NULL,
    paused_at  timestamptz NOT NULL DEFAULT now(),
    until      timestamptz NOT NULL,
    PRIMARY KEY (a, b)
);

-- +goose Down
DROP TABLE conversation_pauses;
DROP INDEX outbox_conversation, outbox_recipient_ticket;
ALTER TABLE outbox DROP COLUMN sender, DROP COLUMN attachment_ids;
