-- +goose Up
-- Categorisation, priority and SLA clocks.
ALTER TABLE tickets ADD COLUMN category text NOT NULL DEFAULT '',
                    ADD COLUMN impact text NOT NULL DEFAULT '',
                    ADD COLUMN urgency text NOT NULL DEFAULT '',
                    ADD COLUMN priority text NOT NULL DEFAULT '',
                    ADD COLUMN tags text[] NOT NULL DEFAULT '{}',
                    ADD COLUMN sla_policy text NOT NULL DEFAULT '',
                    ADD COLUMN reopen_count integer NOT NULL DEFAULT 0;

-- One row per SLA clock of a ticket (kind response, resolution or
-- next_response), as ticketing/sla.Clock holds it, plus the instants the
-- escalation sweep looks for. Durations are in seconds; "elapsed" and
-- "paused_business" are business time of the clock's calendar.
CREATE TABLE sla_clocks (
    ticket_id        bigint NOT NULL REFERENCES tickets (id),
    kind             text NOT NULL CHECK (kind IN ('response', 'resolution', 'next_response')),
    calendar         text NOT NULL,
    target           bigint NOT NULL,
    started          timestamptz NOT NULL,
    elapsed          bigint NOT NULL DEFAULT 0,
    running          boolean NOT NULL,
    running_since    timestamptz,
    paused           bigint NOT NULL DEFAULT 0,
    paused_business  bigint NOT NULL DEFAULT 0,
    paused_since     timestamptz,
    stopped          timestamptz,
    reopens          integer NOT NULL DEFAULT 0,
    carried          bigint NOT NULL DEFAULT 0, -- elapsed at the last reopen
    deadline         timestamptz,  -- while running
    warn_at          timestamptz,  -- while running
    warned_at        timestamptz,  -- set once, by the sweep that fired the warning
    breached_at      timestamptz,  -- set once, by the sweep or stop that saw the breach
    PRIMARY KEY (ticket_id, kind)
);
CREATE INDEX sla_clocks_warn ON sla_clocks (warn_at) WHERE running AND warned_at IS NULL;
CREATE INDEX sla_clocks_breach ON sla_clocks (deadline) WHERE running AND breached_at IS NULL;

-- +goose Down
DROP TABLE sla_clocks;
ALTER TABLE tickets DROP COLUMN category, DROP COLUMN impact, DROP COLUMN urgency, DROP COLUMN priority,
    DROP COLUMN tags, DROP COLUMN sla_policy, DROP COLUMN reopen_count;
