-- +goose Up
-- The dashboard's sign-in: one-time links mailed to agents, and the
-- sessions they open. Only SHA-256 hashes of the random tokens are kept,
-- so a copy of the database signs nobody in.
CREATE TABLE dashboard_links (
    hash        bytea PRIMARY KEY,
    agent       text NOT NULL,         -- the configured address it was sent to, lower-cased
    created_at  timestamptz NOT NULL DEFAULT now(),
    expires_at  timestamptz NOT NULL,
    used_at     timestamptz            -- set once, by the POST that signed in
);

CREATE TABLE dashboard_sessions (
    hash        bytea PRIMARY KEY,
    agent       text NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now(),
    expires_at  timestamptz NOT NULL
);

-- +goose Down
DROP TABLE dashboard_sessions;
DROP TABLE dashboard_links;
