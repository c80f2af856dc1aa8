-- +goose Up
-- The new content of each inbound message: its text without quoted
-- history and signatures, for rules and for notifications to agents.
ALTER TABLE messages ADD COLUMN new_text text NOT NULL DEFAULT '';
-- +goose StatementBegin
DO $$
BEGIN
    EXECUTE 'ALTER TABLE messages ALTER COLUMN new_text SET COMPRESSION lz4';
EXCEPTION WHEN OTHERS THEN -- no lz4 in this build, or PostgreSQL 13
    RAISE NOTICE 'lz4 is not available; new_text keeps the default compression';
END
$$;
-- +goose StatementEnd

-- +goose Down
ALTER TABLE messages DROP COLUMN new_text;
