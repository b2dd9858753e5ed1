-- Metrics: custom metric types, the points themselves, daily roll-ups, idempotency keys.
-- Values are exact fixed-point integers: value_micros = value × 10^6 (no binary floating point).
-- recorded_at is stored as INTEGER microseconds since the Unix epoch (UTC) so that range scans
-- compare numbers, not text.

CREATE TABLE metric_types (
    organization_id BLOB NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    unit TEXT NOT NULL,
    category TEXT NOT NULL,
    kind TEXT NOT NULL,
    good_direction TEXT NOT NULL,
    description TEXT NOT NULL DEFAULT '',
    created_at TEXT NOT NULL,
    PRIMARY KEY (organization_id, name)
) STRICT;

-- A point's identity is (organization, metric type, source, dimension, recorded_at): sending it
-- again replaces the value. dimension is '' when the point has none.
CREATE TABLE business_metrics (
    organization_id BLOB NOT NULL,
    metric_type TEXT NOT NULL,
    source TEXT NOT NULL,
    dimension TEXT NOT NULL DEFAULT '',
    recorded_at INTEGER NOT NULL,
    value_micros INTEGER NOT NULL,
    category TEXT NOT NULL,
    metadata TEXT NOT NULL DEFAULT '{}',
    ingested_at INTEGER NOT NULL,
    PRIMARY KEY (organization_id, metric_type, source, dimension, recorded_at)
) STRICT, WITHOUT ROWID;
CREATE INDEX business_metrics_series ON business_metrics (organization_id, metric_type, recorded_at DESC);

-- Daily roll-ups per organization and metric, by LOCAL day in the organization's time zone,
-- kept in step with the points by the ingest transaction. Series over weeks, months and years
-- merge these (a local day lies wholly inside one week, month, quarter and year).
CREATE TABLE metric_daily (
    organization_id BLOB NOT NULL,
    metric_type TEXT NOT NULL,
    day TEXT NOT NULL, -- YYYY-MM-DD, local
    sum_micros INTEGER NOT NULL,
    count INTEGER NOT NULL,
    last_at INTEGER NOT NULL,
    last_micros INTEGER NOT NULL,
    PRIMARY KEY (organization_id, metric_type, day)
) STRICT, WITHOUT ROWID;

-- Answers to writes sent with an Idempotency-Key, replayed for the same key and body.
CREATE TABLE idempotency_keys (
    organization_id BLOB NOT NULL,
    key TEXT NOT NULL,
    request_hash TEXT NOT NULL,
    status INTEGER NOT NULL,
    body TEXT NOT NULL,
    created_at TEXT NOT NULL,
    PRIMARY KEY (organization_id, key)
) STRICT;
