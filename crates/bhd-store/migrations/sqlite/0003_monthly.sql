-- Monthly roll-ups by LOCAL month in the organization's time zone, maintained by ingest like the
-- daily ones, so that a series over years (month, quarter and year buckets) reads a few dozen
-- rows instead of every day.
CREATE TABLE metric_monthly (
    organization_id BLOB NOT NULL,
    metric_type TEXT NOT NULL,
    month TEXT NOT NULL, -- YYYY-MM-01, the local month's first day
    sum_micros INTEGER NOT NULL,
    count INTEGER NOT NULL,
    last_at INTEGER NOT NULL,
    last_micros INTEGER NOT NULL,
    PRIMARY KEY (organization_id, metric_type, month)
) STRICT, WITHOUT ROWID;

INSERT INTO metric_monthly (organization_id, metric_type, month, sum_micros, count, last_at, last_micros)
SELECT d.organization_id, d.metric_type, substr(d.day, 1, 7) || '-01', SUM(d.sum_micros), SUM(d.count), MAX(d.last_at),
       (SELECT e.last_micros FROM metric_daily e WHERE e.organization_id = d.organization_id
          AND e.metric_type = d.metric_type AND substr(e.day, 1, 7) = substr(d.day, 1, 7)
        ORDER BY e.last_at DESC, e.last_micros DESC LIMIT 1)
FROM metric_daily d GROUP BY d.organization_id, d.metric_type, substr(d.day, 1, 7);
