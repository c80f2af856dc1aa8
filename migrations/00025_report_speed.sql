-- +goose Up
-- The reports on a large desk read what they count from indexes alone
-- (index-only scans), not from the tables' pages, where the rows they need
-- lie scattered among years of closed tickets and long messages.
--
-- The backlog: the open tickets by age with every column it groups by (this
-- one also serves the overview's count by queue and priority, so it
-- replaces tickets_open), and the running clocks' deadlines by ticket.
CREATE INDEX tickets_open_created ON tickets (created_at) INCLUDE (id, status, team, queue, priority, category, assignee)
    WHERE status IN ('new', 'open', 'pending');
DROP INDEX tickets_open;
CREATE INDEX sla_clocks_running_ticket ON sla_clocks (ticket_id) INCLUDE (deadline) WHERE running AND deadline IS NOT NULL;
-- The agents report: public agent replies by time, with the agent, and by
-- ticket; agents' resolutions by time, with the ticket and the agent
-- (replacing events_status_changes, which only it read); reopenings by
-- ticket.
DROP INDEX messages_agent_replies;
CREATE INDEX messages_agent_replies ON messages (created_at) INCLUDE (agent) WHERE agent <> '' AND visibility = 'public';
CREATE INDEX messages_agent_replies_ticket ON messages (ticket_id, created_at) WHERE agent <> '' AND visibility = 'public';
DROP INDEX events_status_changes;
CREATE INDEX events_resolutions ON events (at) INCLUDE (ticket_id, actor)
    WHERE kind = 'status.changed' AND detail->>'to' = 'resolved';
CREATE INDEX events_reopenings ON events (ticket_id, at)
    WHERE kind = 'status.changed' AND detail->>'from' = 'resolved' AND detail->>'to' = 'open';

-- +goose Down
DROP INDEX events_reopenings, events_resolutions, messages_agent_replies_ticket;
CREATE INDEX events_status_changes ON events (at) WHERE kind = 'status.changed';
DROP INDEX messages_agent_replies;
CREATE INDEX messages_agent_replies ON messages (created_at) WHERE agent <> '' AND visibility = 'public';
DROP INDEX sla_clocks_running_ticket;
CREATE INDEX tickets_open ON tickets (queue, priority) WHERE status IN ('new', 'open', 'pending');
DROP INDEX tickets_open_created;
