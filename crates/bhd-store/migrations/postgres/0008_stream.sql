-- The real-time stream (see crates/bhd-server/src/realtime): the recent-event log that
-- Last-Event-ID resumes from, and the spent stream tickets.
--
-- stream_events keeps the last events of each organization (the server prunes to a bound as
-- it appends); stream_event_marks remembers, per organization, the highest id pruned, so that
-- a client resuming from before it is told to resync instead of silently missing events.
-- Ids come from one sequence: they increase across organizations and nodes.
CREATE TABLE stream_events (
    organization_id uuid NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
    id bigserial NOT NULL,
    kind text NOT NULL,
    data jsonb NOT NULL,
    created_at timestamptz NOT NULL,
    PRIMARY KEY (organization_id, id)
);

CREATE TABLE stream_event_marks (
    organization_id uuid PRIMARY KEY REFERENCES organizations(id) ON DELETE CASCADE,
    pruned_through bigint NOT NULL
);

-- A stream ticket is a signed token (organization, caller, expiry, a random id); spending it
-- records its id here, and a second spend finds it. Rows are deleted once expired.
CREATE TABLE stream_ticket_uses (
    organization_id uuid NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
    ticket_id uuid NOT NULL,
    expires_at timestamptz NOT NULL,
    PRIMARY KEY (organization_id, ticket_id)
);

DO $$
DECLARE t text;
BEGIN
    FOREACH t IN ARRAY ARRAY['stream_events', 'stream_event_marks', 'stream_ticket_uses'] LOOP
        EXECUTE format('ALTER TABLE %I ENABLE ROW LEVEL SECURITY', t);
        EXECUTE format('ALTER TABLE %I FORCE ROW LEVEL SECURITY', t);
        EXECUTE format('CREATE POLICY tenant ON %I USING (organization_id = bhd_setting(''app.org_id'')::uuid) '
                       'WITH CHECK (organization_id = bhd_setting(''app.org_id'')::uuid)', t);
    END LOOP;
END
$$;

GRANT SELECT, INSERT, UPDATE, DELETE ON stream_events, stream_event_marks, stream_ticket_uses TO bhd_app;
GRANT USAGE ON SEQUENCE stream_events_id_seq TO bhd_app;

-- Roll-up rows are updated in place on every ingest that touches their day or month. Room left
-- on each page lets PostgreSQL update them as heap-only tuples (no new index entry per update),
-- which roughly halves the cost of merging a batch into the roll-ups.
ALTER TABLE metric_daily SET (fillfactor = 70);
ALTER TABLE metric_monthly SET (fillfactor = 70);
