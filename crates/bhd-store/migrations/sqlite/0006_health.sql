-- Health scores and the insights of each calculation. History is kept: every calculation is a
-- new row of health_scores, and its insights point at it. Scores are stored as whole numbers
-- 0-100 (NULL: not enough data for that score); coverage and confidence as exact basis points
-- (0-10000); the full breakdown with every decimal is the JSON of the score (model_version
-- names the model that computed it). Times are RFC 3339 TEXT in UTC, like created_at elsewhere.

CREATE TABLE health_scores (
    organization_id BLOB NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
    id BLOB NOT NULL,
    overall INTEGER CHECK (overall BETWEEN 0 AND 100),
    financial INTEGER CHECK (financial BETWEEN 0 AND 100),
    customer INTEGER CHECK (customer BETWEEN 0 AND 100),
    operational INTEGER CHECK (operational BETWEEN 0 AND 100),
    growth INTEGER CHECK (growth BETWEEN 0 AND 100),
    risk INTEGER CHECK (risk BETWEEN 0 AND 100),
    coverage_bp INTEGER NOT NULL CHECK (coverage_bp BETWEEN 0 AND 10000),
    confidence_bp INTEGER CHECK (confidence_bp BETWEEN 0 AND 10000),
    model_version TEXT NOT NULL,
    breakdown TEXT NOT NULL,
    calculated_at TEXT NOT NULL,
    PRIMARY KEY (organization_id, id)
) STRICT;
CREATE INDEX health_scores_time ON health_scores (organization_id, calculated_at DESC);

CREATE TABLE insights (
    organization_id BLOB NOT NULL,
    id BLOB NOT NULL,
    score_id BLOB NOT NULL,
    kind TEXT NOT NULL,
    severity TEXT NOT NULL CHECK (severity IN ('info', 'low', 'medium', 'high', 'critical')),
    title TEXT NOT NULL,
    body TEXT NOT NULL,
    evidence TEXT NOT NULL DEFAULT '{}',
    metrics TEXT NOT NULL DEFAULT '[]',
    generated_at TEXT NOT NULL,
    PRIMARY KEY (organization_id, id),
    FOREIGN KEY (organization_id, score_id) REFERENCES health_scores (organization_id, id) ON DELETE CASCADE
) STRICT;
CREATE INDEX insights_score ON insights (organization_id, score_id);
