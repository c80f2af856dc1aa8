-- +goose Up
-- An inbound message's text lives on its ticket message; the inbound row
-- keeps it only when there is none (ignored, quarantined, duplicate). The
-- listing finds it through this index.
CREATE INDEX messages_inbound ON messages (inbound_id) WHERE inbound_id IS NOT NULL;

-- +goose Down
DROP INDEX messages_inbound;
