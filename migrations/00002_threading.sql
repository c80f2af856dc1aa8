-- +goose Up
-- Threading: who takes part in a ticket, and which evidence put each
-- inbound message on its ticket.

CREATE TABLE participants (
    ticket_id  bigint NOT NULL REFERENCES tickets (id),
    address    text NOT NULL, -- lower-cased
    name       text NOT NULL DEFAULT '',
    role       text NOT NULL CHECK (role IN ('requester', 'cc', 'agent')),
    added_at   timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (ticket_id, address)
);

-- The deciding evidence: kind is one of new, in-reply-to, references,
-- subject-tag, duplicate, report (a bounce naming our message); value is
-- what matched (a Message-ID, a tag).
ALTER TABLE inbound ADD COLUMN evidence_kind text NOT NULL DEFAULT '',
                    ADD COLUMN evidence_value text NOT NULL DEFAULT '';

-- Participants of tickets opened before this migration: their requesters.
INSERT INTO participants (ticket_id, address, name, role)
SELECT id, lower(requester_addr), requester_name, 'requester' FROM tickets
ON CONFLICT DO NOTHING;

-- +goose Down
ALTER TABLE inbound DROP COLUMN evidence_kind, DROP COLUMN evidence_value;
DROP TABLE participants;
