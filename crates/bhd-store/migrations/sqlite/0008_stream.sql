-- The real-time stream (see crates/bhd-server/src/realtime): the recent-event log that
-- Last-Event-ID resumes from, and the spent stream tickets. As on PostgreSQL: the log keeps
-- the last events of each organization, stream_event_marks the highest id pruned per
-- organization, and ids increase across organizations (AUTOINCREMENT never reuses one).
CREATE TABLE stream_events (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    organization_id BLOB NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
    kind TEXT NOT NULL,
    data TEXT NOT NULL,
    created_at TEXT NOT NULL
) STRICT;
CREATE INDEX stream_events_org ON stream_events (organization_id, id);

CREATE TABLE stream_event_marks (
    organization_id BLOB PRIMARY KEY REFERENCES organizations(id) ON DELETE CASCADE,
    pruned_through INTEGER NOT NULL
) STRICT;

CREATE TABLE stream_ticket_uses (
    organization_id BLOB NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
    ticket_id BLOB NOT NULL,
    expires_at TEXT NOT NULL,
    PRIMARY KEY (organization_id, ticket_id)
) STRICT;
