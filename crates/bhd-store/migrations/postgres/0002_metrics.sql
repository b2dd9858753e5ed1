-- Metrics: custom metric types, the points themselves (range-partitioned by month), daily
-- roll-ups, idempotency keys. Values are exact fixed-point integers: value_micros = value × 10^6.

CREATE TABLE metric_types (
    organization_id uuid NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
    name text NOT NULL,
    unit text NOT NULL,
    category text NOT NULL,
    kind text NOT NULL,
    good_direction text NOT NULL,
    description text NOT NULL DEFAULT '',
    created_at timestamptz NOT NULL,
    PRIMARY KEY (organization_id, name)
);

-- A point's identity is (organization, metric type, source, dimension, recorded_at): sending it
-- again replaces the value. Partitioned by month of recorded_at (UTC) so scans are bounded in
-- time and retention drops whole partitions. The key leads with organization_id (sharding).
CREATE TABLE business_metrics (
    organization_id uuid NOT NULL,
    metric_type text NOT NULL,
    source text NOT NULL,
    dimension text NOT NULL DEFAULT '',
    recorded_at timestamptz NOT NULL,
    value_micros bigint NOT NULL,
    category text NOT NULL,
    metadata jsonb NOT NULL DEFAULT '{}',
    ingested_at timestamptz NOT NULL,
    PRIMARY KEY (organization_id, metric_type, source, dimension, recorded_at)
) PARTITION BY RANGE (recorded_at);
CREATE INDEX business_metrics_series ON business_metrics (organization_id, metric_type, recorded_at DESC);

-- Creates the month's partition if absent. SECURITY DEFINER: the server's role (bhd_app) owns
-- nothing and may not run DDL; this function may, and only this.
CREATE FUNCTION bhd_ensure_metric_partition(month date) RETURNS void
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public AS $$
DECLARE
    start_at date := date_trunc('month', month)::date;
    name text := format('business_metrics_y%sm%s', to_char(start_at, 'YYYY'), to_char(start_at, 'MM'));
BEGIN
    IF to_regclass(name) IS NULL THEN
        EXECUTE format(
            'CREATE TABLE IF NOT EXISTS %I PARTITION OF business_metrics FOR VALUES FROM (%L) TO (%L)',
            name, start_at::timestamp AT TIME ZONE 'UTC', (start_at + interval '1 month')::timestamp AT TIME ZONE 'UTC');
    END IF;
EXCEPTION WHEN duplicate_table THEN
    NULL; -- created concurrently by another transaction
END
$$;
REVOKE ALL ON FUNCTION bhd_ensure_metric_partition(date) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION bhd_ensure_metric_partition(date) TO bhd_app;

-- Daily roll-ups by LOCAL day in the organization's time zone, maintained by ingest.
CREATE TABLE metric_daily (
    organization_id uuid NOT NULL,
    metric_type text NOT NULL,
    day date NOT NULL,
    sum_micros bigint NOT NULL,
    count bigint NOT NULL,
    last_at timestamptz NOT NULL,
    last_micros bigint NOT NULL,
    PRIMARY KEY (organization_id, metric_type, day)
);

CREATE TABLE idempotency_keys (
    organization_id uuid NOT NULL,
    key text NOT NULL,
    request_hash text NOT NULL,
    status integer NOT NULL,
    body text NOT NULL,
    created_at timestamptz NOT NULL,
    PRIMARY KEY (organization_id, key)
);

DO $$
DECLARE t text;
BEGIN
    FOREACH t IN ARRAY ARRAY['metric_types', 'business_metrics', 'metric_daily', 'idempotency_keys'] LOOP
        EXECUTE format('ALTER TABLE %I ENABLE ROW LEVEL SECURITY', t);
        EXECUTE format('ALTER TABLE %I FORCE ROW LEVEL SECURITY', t);
        EXECUTE format('CREATE POLICY tenant ON %I USING (organization_id = bhd_setting(''app.org_id'')::uuid) '
                       'WITH CHECK (organization_id = bhd_setting(''app.org_id'')::uuid)', t);
    END LOOP;
END
$$;

GRANT SELECT, INSERT, UPDATE, DELETE ON metric_types, business_metrics, metric_daily, idempotency_keys TO bhd_app;
