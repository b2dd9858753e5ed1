-- Health scores and the insights of each calculation. History is kept: every calculation is a
-- new row of health_scores, and its insights point at it. Scores are stored as whole numbers
-- 0-100 (NULL: not enough data for that score); coverage and confidence as exact basis points
-- (0-10000); the full breakdown with every decimal is the JSON of the score (model_version
-- names the model that computed it).

CREATE TABLE health_scores (
    organization_id uuid NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
    id uuid NOT NULL,
    overall smallint CHECK (overall BETWEEN 0 AND 100),
    financial smallint CHECK (financial BETWEEN 0 AND 100),
    customer smallint CHECK (customer BETWEEN 0 AND 100),
    operational smallint CHECK (operational BETWEEN 0 AND 100),
    growth smallint CHECK (growth BETWEEN 0 AND 100),
    risk smallint CHECK (risk BETWEEN 0 AND 100),
    coverage_bp integer NOT NULL CHECK (coverage_bp BETWEEN 0 AND 10000),
    confidence_bp integer CHECK (confidence_bp BETWEEN 0 AND 10000),
    model_version text NOT NULL,
    breakdown jsonb NOT NULL,
    calculated_at timestamptz NOT NULL,
    PRIMARY KEY (organization_id, id)
);
CREATE INDEX health_scores_time ON health_scores (organization_id, calculated_at DESC);

CREATE TABLE insights (
    organization_id uuid NOT NULL,
    id uuid NOT NULL,
    score_id uuid NOT NULL,
    kind text NOT NULL,
    severity text NOT NULL CHECK (severity IN ('info', 'low', 'medium', 'high', 'critical')),
    title text NOT NULL,
    body text NOT NULL,
    evidence jsonb NOT NULL DEFAULT '{}',
    metrics jsonb NOT NULL DEFAULT '[]',
    generated_at timestamptz NOT NULL,
    PRIMARY KEY (organization_id, id),
    FOREIGN KEY (organization_id, score_id) REFERENCES health_scores (organization_id, id) ON DELETE CASCADE
);
CREATE INDEX insights_score ON insights (organization_id, score_id);

DO $$
DECLARE t text;
BEGIN
    FOREACH t IN ARRAY ARRAY['health_scores', 'insights'] LOOP
        EXECUTE format('ALTER TABLE %I ENABLE ROW LEVEL SECURITY', t);
        EXECUTE format('ALTER TABLE %I FORCE ROW LEVEL SECURITY', t);
        EXECUTE format('CREATE POLICY tenant ON %I USING (organization_id = bhd_setting(''app.org_id'')::uuid) '
                       'WITH CHECK (organization_id = bhd_setting(''app.org_id'')::uuid)', t);
    END LOOP;
END
$$;

GRANT SELECT, INSERT, UPDATE, DELETE ON health_scores, insights TO bhd_app;
