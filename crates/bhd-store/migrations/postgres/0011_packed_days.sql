-- A read-optimised copy of the daily roll-ups of complete months, one row per (metric, local
-- month) holding the month's days as one bytea of day records. A 5-year day series read 1,826 rows of
-- metric_daily (about 45 heap and index pages, fillfactor 70 for HOT updates); packed, it reads
-- about 60 rows (about 10 pages) plus the daily rows of the months not packed yet (normally the
-- current one). metric_daily stays the source of truth: a packed row is only ever a copy of it,
-- dropped whenever a day of its month changes and rebuilt by the packing job.
--
-- Only complete months are packed (the job decides, with the time passed in), so the month
-- that is still receiving points is not repacked after every ingest.
--
-- `days` holds one 34-byte record per day that has a roll-up, ascending, each as PostgreSQL's
-- own binary send functions write them (big-endian): int2 day of the month, int8 sum_micros,
-- int8 count, int8 last_at (microseconds since 1970-01-01 UTC), int8 last_micros, i.e.
-- metric_daily's columns. One bytea rather than five arrays: arrays are sent element by
-- element (a send call and an allocation for each of ~150 per month), which made sending them
-- cost more than the rows they replace; a bytea is sent as one copy. One row (about 1.1 kB
-- for 31 days) stays below the 2 kB at which PostgreSQL would compress or move it out of line.
CREATE TABLE metric_days_packed (
    organization_id uuid NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
    metric_type text NOT NULL,
    month date NOT NULL,           -- the local month's first day
    days bytea NOT NULL,           -- the month's day records, as above
    PRIMARY KEY (organization_id, metric_type, month)
);

-- One day's record in `days` (see above): what packing concatenates, and what a read sends for
-- a day of a month not packed yet, so that the server decodes one shape. A plain SQL
-- expression, inlined by the planner.
CREATE FUNCTION bhd_day_record(day date, sum_micros bigint, count bigint, last_at timestamptz, last_micros bigint)
RETURNS bytea LANGUAGE sql STABLE PARALLEL SAFE AS $$
    SELECT int2send(extract(day FROM day)::int2) || int8send(sum_micros) || int8send(count)
        || int8send((extract(epoch FROM last_at) * 1000000)::int8) || int8send(last_micros)
$$;

-- Months whose packed row is missing or stale. Ingest adds the (metric, month) pairs whose days
-- it changed and deletes their packed rows, in its own transaction; the packing job takes the
-- complete ones, packs them and deletes them here.
CREATE TABLE metric_pack_pending (
    organization_id uuid NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
    metric_type text NOT NULL,
    month date NOT NULL,
    PRIMARY KEY (organization_id, metric_type, month)
);

-- Backfill: every month that already has daily roll-ups waits to be packed. metric_daily is
-- read with its policies lifted for this one statement (this transaction only; the migrations'
-- owner owns the table), so that a non-superuser owner sees every organization's rows.
ALTER TABLE metric_daily NO FORCE ROW LEVEL SECURITY;
INSERT INTO metric_pack_pending (organization_id, metric_type, month)
SELECT DISTINCT organization_id, metric_type, date_trunc('month', day)::date FROM metric_daily;
ALTER TABLE metric_daily FORCE ROW LEVEL SECURITY;

DO $$
DECLARE t text;
BEGIN
    FOREACH t IN ARRAY ARRAY['metric_days_packed', 'metric_pack_pending'] LOOP
        EXECUTE format('ALTER TABLE %I ENABLE ROW LEVEL SECURITY', t);
        EXECUTE format('ALTER TABLE %I FORCE ROW LEVEL SECURITY', t);
        EXECUTE format('CREATE POLICY tenant ON %I USING (organization_id = bhd_setting(''app.org_id'')::uuid) '
                       'WITH CHECK (organization_id = bhd_setting(''app.org_id'')::uuid)', t);
    END LOOP;
END
$$;
GRANT SELECT, INSERT, UPDATE, DELETE ON metric_days_packed, metric_pack_pending TO bhd_app;

-- Ingest's hook: the days of these (metric, month) pairs changed. Two statements, each with a
-- snapshot of its own (a VOLATILE function takes one per statement), in this order:
-- 1. the pending row is inserted or, if present, locked (DO UPDATE … WHERE false locks without
--    writing). A packing run that took the row (deleted it) holds it until it commits; this
--    waits for that, so
-- 2. the DELETE sees the packed row that run wrote from days read before ours committed, and
--    removes it. The packing job skips rows locked here (SKIP LOCKED), so it never packs a
--    month from days an uncommitted ingest is changing, and never waits on an ingest.
-- SECURITY INVOKER: row-level security applies as to the caller's own statements.
CREATE FUNCTION bhd_days_changed(org uuid, metrics text[], months date[]) RETURNS void
LANGUAGE plpgsql VOLATILE AS $$
BEGIN
    INSERT INTO metric_pack_pending (organization_id, metric_type, month)
    SELECT org, t.m, t.mo FROM unnest(metrics, months) AS t(m, mo)
    ON CONFLICT (organization_id, metric_type, month) DO UPDATE SET month = excluded.month WHERE false;
    DELETE FROM metric_days_packed p USING unnest(metrics, months) AS t(m, mo)
    WHERE p.organization_id = org AND p.metric_type = t.m AND p.month = t.mo;
END
$$;
REVOKE ALL ON FUNCTION bhd_days_changed(uuid, text[], date[]) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION bhd_days_changed(uuid, text[], date[]) TO bhd_app;

-- The packing job visits only organizations with complete months waiting, which the server's
-- role may not list across tenants: this definer function answers their ids (as
-- bhd_organization_ids() of 0005 does, raising app.fanout for the policy below).
CREATE POLICY pack_fanout ON metric_pack_pending FOR SELECT
    USING (bhd_setting('app.fanout') = 'on' AND current_user <> 'bhd_app');

CREATE FUNCTION bhd_pack_pending_organizations(before date) RETURNS SETOF uuid
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public AS $$
BEGIN
    PERFORM set_config('app.fanout', 'on', true);
    RETURN QUERY SELECT DISTINCT p.organization_id FROM metric_pack_pending p WHERE p.month < before ORDER BY 1;
    PERFORM set_config('app.fanout', '', true);
END
$$;
REVOKE ALL ON FUNCTION bhd_pack_pending_organizations(date) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION bhd_pack_pending_organizations(date) TO bhd_app;
