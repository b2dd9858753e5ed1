-- Monthly roll-ups by LOCAL month in the organization's time zone, maintained by ingest like the
-- daily ones, so that a series over years (month, quarter and year buckets) reads a few dozen
-- rows instead of every day.
CREATE TABLE metric_monthly (
    organization_id uuid NOT NULL,
    metric_type text NOT NULL,
    month date NOT NULL, -- the local month's first day
    sum_micros bigint NOT NULL,
    count bigint NOT NULL,
    last_at timestamptz NOT NULL,
    last_micros bigint NOT NULL,
    PRIMARY KEY (organization_id, metric_type, month)
);

INSERT INTO metric_monthly (organization_id, metric_type, month, sum_micros, count, last_at, last_micros)
SELECT organization_id, metric_type, date_trunc('month', day)::date, SUM(sum_micros), SUM(count), MAX(last_at),
       (array_agg(last_micros ORDER BY last_at DESC, last_micros DESC))[1]
FROM metric_daily GROUP BY organization_id, metric_type, date_trunc('month', day)::date;

ALTER TABLE metric_monthly ENABLE ROW LEVEL SECURITY;
ALTER TABLE metric_monthly FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant ON metric_monthly USING (organization_id = bhd_setting('app.org_id')::uuid)
    WITH CHECK (organization_id = bhd_setting('app.org_id')::uuid);
GRANT SELECT, INSERT, UPDATE, DELETE ON metric_monthly TO bhd_app;
