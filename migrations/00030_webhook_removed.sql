-- +goose Up
-- An endpoint removed from webhooks: used to leave its queued deliveries
-- queued for ever: no sender runs for it, pruning keeps queued rows, and
-- status and /metrics list configured endpoints only. webhook.Sync now
-- gives them up when it removes an endpoint; this gives up those left
-- behind before, as Sync does (the reason in last_error, before the last
-- attempt's error; counted in the endpoint's totals), so that retention
-- prunes them. An endpoint is configured if and only if serve's last Sync
-- wrote it to webhook_endpoints, and the trigger queues deliveries only
-- for those, so every queued delivery of another endpoint is one of these.
WITH g AS (
    UPDATE webhook_deliveries d SET status = 'given_up', lease_owner = NULL, lease_until = NULL,
        last_error = 'endpoint removed from the configuration'
                     || CASE WHEN d.last_error = '' THEN '' ELSE '; last attempt: ' || d.last_error END
    WHERE d.status = 'queued' AND NOT EXISTS (SELECT 1 FROM webhook_endpoints e WHERE e.name = d.endpoint)
    RETURNING d.endpoint
)
INSERT INTO webhook_totals AS t (endpoint, given_up) SELECT endpoint, count(*) FROM g GROUP BY endpoint
ON CONFLICT (endpoint) DO UPDATE SET given_up = t.given_up + EXCLUDED.given_up;

-- +goose Down
-- Nothing is undone: queued again, these deliveries would wait for ever
-- once more, and those given up since by Sync or a sender cannot be told
-- apart from them.
