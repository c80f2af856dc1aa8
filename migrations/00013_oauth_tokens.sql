-- +goose Up
-- The delegated OAuth2 logins made by "deskgate auth login": one row per
-- mailbox name (or "smtp"). The refresh token and the current access token
-- are encrypted (AES-GCM, nonce first) with the desk secret whose id is
-- key_id; the access token is shared by every process of the desk.
CREATE TABLE oauth_tokens (
    name          text PRIMARY KEY,
    key_id        smallint NOT NULL,
    refresh_token bytea NOT NULL,
    access_token  bytea,
    access_expiry timestamptz,
    issued_at     timestamptz NOT NULL,
    updated_at    timestamptz NOT NULL DEFAULT now()
);

-- +goose Down
DROP TABLE oauth_tokens;
