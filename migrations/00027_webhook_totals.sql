-- +goose Up
-- Finished webhook deliveries (sent or given up) are pruned by serve's
-- retention job (webhook.Prune, after retention.webhook_deliveries_after),
-- so an endpoint's history can no longer be counted from
-- webhook_deliveries, and counting it there made every status call and
-- /metrics scrape read the desk's whole history. webhook_totals keeps it:
-- one row per endpoint name, changed by the same statement that records a
-- delivery as sent or given up, or an attempt as failed. A row outlives its
-- endpoint's removal from the configuration, so the counts never go back,
-- also when the endpoint returns. last_error is the latest failed
-- attempt's error; last_sent the latest delivery's time.
CREATE TABLE webhook_totals (
    endpoint   text PRIMARY KEY,
    sent       bigint NOT NULL DEFAULT 0,
    given_up   bigint NOT NULL DEFAULT 0,
    last_sent  timestamptz,
    last_error text NOT NULL DEFAULT ''
);
-- The history so far, read once; last_error as Backlogs read it before:
-- that of the newest delivery with one.
INSERT INTO webhook_totals (endpoint, sent, given_up, last_sent, last_error)
SELECT g.endpoint, g.sent, g.given_up, g.last_sent,
       coalesce((SELECT d.last_error FROM webhook_deliveries d WHERE d.endpoint = g.endpoint AND d.last_error <> ''
                 ORDER BY d.id DESC LIMIT 1), '')
FROM (SELECT endpoint, count(*) FILTER (WHERE status = 'sent') AS sent,
             count(*) FILTER (WHERE status = 'given_up') AS given_up,
             max(sent_at) FILTER (WHERE status = 'sent') AS last_sent
      FROM webhook_deliveries GROUP BY endpoint) g;

-- Pruning reads the oldest finished deliveries, and only those. status is
-- already in the queue's partial indexes and created_at never changes, so
-- this index makes no update lose HOT (a claim stays HOT).
CREATE INDEX webhook_deliveries_finished ON webhook_deliveries (created_at) WHERE status <> 'queued';

-- +goose Down
DROP INDEX webhook_deliveries_finished;
DROP TABLE webhook_totals;
