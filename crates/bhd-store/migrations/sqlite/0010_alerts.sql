-- Alerts (SQLite; times are RFC 3339 TEXT in UTC): rules on a metric or a score, the alerts they raise, the notification channels they
-- notify and the log of every delivery. Times are written by the server's clock.
--
-- A rule's definition (target, condition, severity, for-duration, cooldown, channels) is the
-- validated JSON of the domain's RuleSpec; the columns beside it are the evaluation's state.
-- Whether a rule has an open alert is not stored on the rule: it is the alert row itself, and
-- the partial unique index alerts_one_open makes "exactly one open alert per rule" a property of
-- the database, whichever node evaluates.
CREATE TABLE alert_rules (
    organization_id BLOB NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
    id BLOB NOT NULL,
    name TEXT NOT NULL,
    spec TEXT NOT NULL,
    is_default INTEGER NOT NULL DEFAULT 0,
    streak INTEGER NOT NULL DEFAULT 0 CHECK (streak >= 0),
    pending_since TEXT,
    last_triggered_at TEXT,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    PRIMARY KEY (organization_id, id)
) STRICT;

-- Default rules are created once per organization; deleting one does not bring it back.
CREATE TABLE alert_rule_seeds (
    organization_id BLOB PRIMARY KEY REFERENCES organizations(id) ON DELETE CASCADE,
    seeded_at TEXT NOT NULL
) STRICT;

-- rule_id has no foreign key: an alert outlives the rule that raised it (history is kept).
CREATE TABLE alerts (
    organization_id BLOB NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
    id BLOB NOT NULL,
    rule_id BLOB NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('active', 'acknowledged', 'resolved')),
    severity TEXT NOT NULL CHECK (severity IN ('low', 'medium', 'high', 'critical')),
    category TEXT NOT NULL,
    metric_type TEXT,
    target TEXT NOT NULL,
    title TEXT NOT NULL,
    description TEXT NOT NULL,
    -- Exact decimal strings, as the rule and the reading had them.
    threshold_value TEXT,
    current_value TEXT,
    triggered_at TEXT NOT NULL,
    acknowledged_at TEXT,
    acknowledged_by BLOB,
    resolved_at TEXT,
    resolved_by TEXT CHECK (resolved_by IN ('auto', 'user', 'rule_deleted')),
    updated_at TEXT NOT NULL,
    PRIMARY KEY (organization_id, id),
    CHECK ((status = 'resolved') = (resolved_at IS NOT NULL)),
    CHECK (status <> 'acknowledged' OR acknowledged_at IS NOT NULL)
) STRICT;
CREATE UNIQUE INDEX alerts_one_open ON alerts (organization_id, rule_id) WHERE status <> 'resolved';
CREATE INDEX alerts_by_status ON alerts (organization_id, status, triggered_at DESC);

-- Secrets (a Slack webhook URL, a webhook signing secret) are AES-256-GCM ciphertext bound to
-- the organization and channel ids; secret_hint is what the API shows instead.
CREATE TABLE notification_channels (
    organization_id BLOB NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
    id BLOB NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('email', 'slack', 'webhook')),
    name TEXT NOT NULL,
    config TEXT NOT NULL DEFAULT '{}',
    secret BLOB,
    secret_hint TEXT,
    created_at TEXT NOT NULL,
    PRIMARY KEY (organization_id, id)
) STRICT;

-- One row per (alert event, channel); the channel's name and kind are copied so that the log
-- stays readable after the channel is deleted.
CREATE TABLE alert_deliveries (
    organization_id BLOB NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
    id BLOB NOT NULL,
    alert_id BLOB NOT NULL,
    channel_id BLOB NOT NULL,
    channel_name TEXT NOT NULL,
    channel_kind TEXT NOT NULL,
    event TEXT NOT NULL CHECK (event IN ('alert.triggered', 'alert.resolved')),
    status TEXT NOT NULL CHECK (status IN ('pending', 'delivered', 'failed')),
    attempts INTEGER NOT NULL DEFAULT 0,
    last_error TEXT,
    response_status INTEGER,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    delivered_at TEXT,
    PRIMARY KEY (organization_id, id),
    FOREIGN KEY (organization_id, alert_id) REFERENCES alerts (organization_id, id) ON DELETE CASCADE
) STRICT;
CREATE INDEX alert_deliveries_alert ON alert_deliveries (organization_id, alert_id, created_at);
