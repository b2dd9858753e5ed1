-- Alerts: rules on a metric or a score, the alerts they raise, the notification channels they
-- notify and the log of every delivery. Times are written by the server's clock.
--
-- A rule's definition (target, condition, severity, for-duration, cooldown, channels) is the
-- validated JSON of the domain's RuleSpec; the columns beside it are the evaluation's state.
-- Whether a rule has an open alert is not stored on the rule: it is the alert row itself, and
-- the partial unique index alerts_one_open makes "exactly one open alert per rule" a property of
-- the database, whichever node evaluates.
CREATE TABLE alert_rules (
    organization_id uuid NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
    id uuid NOT NULL,
    name text NOT NULL,
    spec jsonb NOT NULL,
    is_default boolean NOT NULL DEFAULT false,
    streak integer NOT NULL DEFAULT 0 CHECK (streak >= 0),
    pending_since timestamptz,
    last_triggered_at timestamptz,
    created_at timestamptz NOT NULL,
    updated_at timestamptz NOT NULL,
    PRIMARY KEY (organization_id, id)
);

-- Default rules are created once per organization; deleting one does not bring it back.
CREATE TABLE alert_rule_seeds (
    organization_id uuid PRIMARY KEY REFERENCES organizations(id) ON DELETE CASCADE,
    seeded_at timestamptz NOT NULL
);

-- rule_id has no foreign key: an alert outlives the rule that raised it (history is kept).
CREATE TABLE alerts (
    organization_id uuid NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
    id uuid NOT NULL,
    rule_id uuid NOT NULL,
    status text NOT NULL CHECK (status IN ('active', 'acknowledged', 'resolved')),
    severity text NOT NULL CHECK (severity IN ('low', 'medium', 'high', 'critical')),
    category text NOT NULL,
    metric_type text,
    target jsonb NOT NULL,
    title text NOT NULL,
    description text NOT NULL,
    -- Exact decimal strings, as the rule and the reading had them.
    threshold_value text,
    current_value text,
    triggered_at timestamptz NOT NULL,
    acknowledged_at timestamptz,
    acknowledged_by uuid,
    resolved_at timestamptz,
    resolved_by text CHECK (resolved_by IN ('auto', 'user', 'rule_deleted')),
    updated_at timestamptz NOT NULL,
    PRIMARY KEY (organization_id, id),
    CHECK ((status = 'resolved') = (resolved_at IS NOT NULL)),
    CHECK (status <> 'acknowledged' OR acknowledged_at IS NOT NULL)
);
CREATE UNIQUE INDEX alerts_one_open ON alerts (organization_id, rule_id) WHERE status <> 'resolved';
CREATE INDEX alerts_by_status ON alerts (organization_id, status, triggered_at DESC);

-- Secrets (a Slack webhook URL, a webhook signing secret) are AES-256-GCM ciphertext bound to
-- the organization and channel ids; secret_hint is what the API shows instead.
CREATE TABLE notification_channels (
    organization_id uuid NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
    id uuid NOT NULL,
    kind text NOT NULL CHECK (kind IN ('email', 'slack', 'webhook')),
    name text NOT NULL,
    config jsonb NOT NULL DEFAULT '{}',
    secret bytea,
    secret_hint text,
    created_at timestamptz NOT NULL,
    PRIMARY KEY (organization_id, id)
);

-- One row per (alert event, channel); the channel's name and kind are copied so that the log
-- stays readable after the channel is deleted.
CREATE TABLE alert_deliveries (
    organization_id uuid NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
    id uuid NOT NULL,
    alert_id uuid NOT NULL,
    channel_id uuid NOT NULL,
    channel_name text NOT NULL,
    channel_kind text NOT NULL,
    event text NOT NULL CHECK (event IN ('alert.triggered', 'alert.resolved')),
    status text NOT NULL CHECK (status IN ('pending', 'delivered', 'failed')),
    attempts integer NOT NULL DEFAULT 0,
    last_error text,
    response_status integer,
    created_at timestamptz NOT NULL,
    updated_at timestamptz NOT NULL,
    delivered_at timestamptz,
    PRIMARY KEY (organization_id, id),
    FOREIGN KEY (organization_id, alert_id) REFERENCES alerts (organization_id, id) ON DELETE CASCADE
);
CREATE INDEX alert_deliveries_alert ON alert_deliveries (organization_id, alert_id, created_at);

DO $$
DECLARE t text;
BEGIN
    FOREACH t IN ARRAY ARRAY['alert_rules', 'alert_rule_seeds', 'alerts', 'notification_channels', 'alert_deliveries'] LOOP
        EXECUTE format('ALTER TABLE %I ENABLE ROW LEVEL SECURITY', t);
        EXECUTE format('ALTER TABLE %I FORCE ROW LEVEL SECURITY', t);
        EXECUTE format('CREATE POLICY tenant ON %I USING (organization_id = bhd_setting(''app.org_id'')::uuid) '
                       'WITH CHECK (organization_id = bhd_setting(''app.org_id'')::uuid)', t);
    END LOOP;
END
$$;

GRANT SELECT, INSERT, UPDATE, DELETE ON alert_rules, alert_rule_seeds, alerts, notification_channels, alert_deliveries TO bhd_app;
