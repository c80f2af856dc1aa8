-- +goose Up
-- The first start and long downtime. A mailbox remembers the UIDNEXT its
-- folder had at the first successful SELECT (under that UIDVALIDITY):
-- messages below it were there before deskgate was connected. Mailboxes
-- synced before this migration have no such mail: their boundary is 0.
ALTER TABLE mailboxes ADD COLUMN first_uidvalidity bigint,
                      ADD COLUMN first_uidnext bigint;
UPDATE mailboxes SET first_uidvalidity = uidvalidity, first_uidnext = 0 WHERE uidvalidity <> 0;

-- How each captured message is handled, decided at capture: normal; quiet
-- (ticketed, but no automatic mail and no SLA clock); skip (recorded,
-- no ticket). handling_reason says which rule decided it and why.
ALTER TABLE inbound ADD COLUMN handling text NOT NULL DEFAULT 'normal'
                        CHECK (handling IN ('normal', 'quiet', 'skip')),
                    ADD COLUMN handling_reason text NOT NULL DEFAULT '';

-- +goose Down
ALTER TABLE inbound DROP COLUMN handling, DROP COLUMN handling_reason;
ALTER TABLE mailboxes DROP COLUMN first_uidvalidity, DROP COLUMN first_uidnext;
