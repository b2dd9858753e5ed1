-- Foundation: organizations (tenants), users, memberships, invitations, API keys,
-- refresh-token families and the audit log.
-- Times are written by the server (no DEFAULT now()): time is injected so tests control it.
-- Every tenant table's key leads with organization_id so the schema can be sharded by
-- organization (Citus-style) without change.

CREATE TABLE organizations (
    id uuid PRIMARY KEY,
    name text NOT NULL,
    slug text NOT NULL UNIQUE,
    plan text NOT NULL DEFAULT 'free' CHECK (plan IN ('free', 'pro', 'enterprise')),
    industry text NOT NULL DEFAULT 'general'
        CHECK (industry IN ('saas', 'ecommerce', 'services', 'retail', 'general')),
    currency text NOT NULL DEFAULT 'USD',
    timezone text NOT NULL DEFAULT 'UTC',
    fiscal_year_start_month integer NOT NULL DEFAULT 1 CHECK (fiscal_year_start_month BETWEEN 1 AND 12),
    settings jsonb NOT NULL DEFAULT '{}',
    created_at timestamptz NOT NULL,
    updated_at timestamptz NOT NULL
);

-- Users are global: one person may belong to several organizations.
CREATE TABLE users (
    id uuid PRIMARY KEY,
    email text NOT NULL UNIQUE, -- stored lower-cased by the server
    name text NOT NULL,
    password_hash text NOT NULL,
    created_at timestamptz NOT NULL
);

CREATE TABLE memberships (
    organization_id uuid NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
    user_id uuid NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    role text NOT NULL CHECK (role IN ('owner', 'admin', 'member', 'viewer')),
    created_at timestamptz NOT NULL,
    PRIMARY KEY (organization_id, user_id)
);
CREATE INDEX memberships_user ON memberships (user_id);

CREATE TABLE invitations (
    organization_id uuid NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
    id uuid NOT NULL,
    email text NOT NULL,
    role text NOT NULL CHECK (role IN ('owner', 'admin', 'member', 'viewer')),
    invited_by uuid NOT NULL,
    created_at timestamptz NOT NULL,
    accepted_at timestamptz,
    PRIMARY KEY (organization_id, id)
);
CREATE UNIQUE INDEX invitations_pending ON invitations (organization_id, email) WHERE accepted_at IS NULL;
CREATE INDEX invitations_email ON invitations (email) WHERE accepted_at IS NULL;

-- API keys: only a SHA-256 of the key is kept (keys are 256-bit random, so a fast hash is safe).
CREATE TABLE api_keys (
    organization_id uuid NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
    id uuid NOT NULL,
    name text NOT NULL,
    prefix text NOT NULL,
    key_hash text NOT NULL UNIQUE,
    scopes text NOT NULL, -- comma-separated scope names
    created_by uuid,
    created_at timestamptz NOT NULL,
    last_used_at timestamptz,
    PRIMARY KEY (organization_id, id)
);

-- Refresh tokens belong to a user's session, not to a tenant's data (see the SQLite twin).
CREATE TABLE refresh_tokens (
    id uuid PRIMARY KEY,
    family_id uuid NOT NULL,
    user_id uuid NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    organization_id uuid NOT NULL,
    token_hash text NOT NULL UNIQUE,
    issued_at timestamptz NOT NULL,
    expires_at timestamptz NOT NULL,
    spent_at timestamptz,
    revoked_at timestamptz
);
CREATE INDEX refresh_tokens_family ON refresh_tokens (family_id);

-- Security events; organization_id NULL only for events of no tenant (operators only).
CREATE TABLE audit_log (
    id uuid PRIMARY KEY,
    organization_id uuid,
    actor_user_id uuid,
    actor_api_key_id uuid,
    action text NOT NULL,
    target text,
    ip text,
    detail jsonb NOT NULL DEFAULT '{}',
    at timestamptz NOT NULL
);
CREATE INDEX audit_log_org ON audit_log (organization_id, id DESC);

-- Row-level security. The server runs its queries as the role bhd_app (it SETs ROLE on every
-- pooled connection when it may), which owns nothing, so the policies apply to it; FORCE makes
-- them apply to the tables' owner too. Each transaction sets app.org_id (and the narrower
-- app.user_id / app.email / app.key_hash / app.slug for the lookups a caller is entitled to);
-- with nothing set, every tenant table reads as empty.
DO $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'bhd_app') THEN
        CREATE ROLE bhd_app NOLOGIN;
    END IF;
EXCEPTION WHEN duplicate_object OR unique_violation THEN
    NULL; -- another database of this cluster created it at the same moment
END
$$;

CREATE FUNCTION bhd_setting(name text) RETURNS text LANGUAGE sql STABLE AS
$$ SELECT NULLIF(current_setting(name, true), '') $$;

ALTER TABLE organizations ENABLE ROW LEVEL SECURITY;
ALTER TABLE organizations FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant ON organizations
    USING (id = bhd_setting('app.org_id')::uuid
        OR slug = bhd_setting('app.slug')
        OR id IN (SELECT m.organization_id FROM memberships m WHERE m.user_id = bhd_setting('app.user_id')::uuid))
    WITH CHECK (id = bhd_setting('app.org_id')::uuid);

ALTER TABLE memberships ENABLE ROW LEVEL SECURITY;
ALTER TABLE memberships FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant ON memberships
    USING (organization_id = bhd_setting('app.org_id')::uuid OR user_id = bhd_setting('app.user_id')::uuid)
    WITH CHECK (organization_id = bhd_setting('app.org_id')::uuid);

ALTER TABLE invitations ENABLE ROW LEVEL SECURITY;
ALTER TABLE invitations FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant ON invitations
    USING (organization_id = bhd_setting('app.org_id')::uuid OR email = bhd_setting('app.email'))
    WITH CHECK (organization_id = bhd_setting('app.org_id')::uuid);

ALTER TABLE api_keys ENABLE ROW LEVEL SECURITY;
ALTER TABLE api_keys FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant ON api_keys
    USING (organization_id = bhd_setting('app.org_id')::uuid OR key_hash = bhd_setting('app.key_hash'))
    WITH CHECK (organization_id = bhd_setting('app.org_id')::uuid);

ALTER TABLE audit_log ENABLE ROW LEVEL SECURITY;
ALTER TABLE audit_log FORCE ROW LEVEL SECURITY;
-- Tenant-less events may be written by anyone but read by no tenant.
CREATE POLICY tenant ON audit_log
    USING (organization_id = bhd_setting('app.org_id')::uuid)
    WITH CHECK (organization_id IS NULL OR organization_id = bhd_setting('app.org_id')::uuid);

GRANT USAGE ON SCHEMA public TO bhd_app;
GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO bhd_app;
GRANT EXECUTE ON FUNCTION bhd_setting(text) TO bhd_app;
