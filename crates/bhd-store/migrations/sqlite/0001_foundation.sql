-- Foundation: organizations (tenants), users, memberships, invitations, API keys,
-- refresh-token families and the audit log.
-- Ids are UUIDs stored as 16-byte BLOBs; times are RFC 3339 TEXT in UTC, written by the server
-- (never DEFAULT CURRENT_TIMESTAMP: time is injected so that tests control it).
-- Every tenant table's key leads with organization_id, as on PostgreSQL.

CREATE TABLE organizations (
    id BLOB PRIMARY KEY,
    name TEXT NOT NULL,
    slug TEXT NOT NULL UNIQUE,
    plan TEXT NOT NULL DEFAULT 'free' CHECK (plan IN ('free', 'pro', 'enterprise')),
    industry TEXT NOT NULL DEFAULT 'general'
        CHECK (industry IN ('saas', 'ecommerce', 'services', 'retail', 'general')),
    currency TEXT NOT NULL DEFAULT 'USD',
    timezone TEXT NOT NULL DEFAULT 'UTC',
    fiscal_year_start_month INTEGER NOT NULL DEFAULT 1 CHECK (fiscal_year_start_month BETWEEN 1 AND 12),
    settings TEXT NOT NULL DEFAULT '{}',
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
) STRICT;

-- Users are global: one person may belong to several organizations.
CREATE TABLE users (
    id BLOB PRIMARY KEY,
    email TEXT NOT NULL UNIQUE, -- stored lower-cased by the server
    name TEXT NOT NULL,
    password_hash TEXT NOT NULL,
    created_at TEXT NOT NULL
) STRICT;

CREATE TABLE memberships (
    organization_id BLOB NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
    user_id BLOB NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    role TEXT NOT NULL CHECK (role IN ('owner', 'admin', 'member', 'viewer')),
    created_at TEXT NOT NULL,
    PRIMARY KEY (organization_id, user_id)
) STRICT;
CREATE INDEX memberships_user ON memberships (user_id);

-- Invitations for addresses that have no account yet; accepted at sign-up.
CREATE TABLE invitations (
    organization_id BLOB NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
    id BLOB NOT NULL,
    email TEXT NOT NULL,
    role TEXT NOT NULL CHECK (role IN ('owner', 'admin', 'member', 'viewer')),
    invited_by BLOB NOT NULL,
    created_at TEXT NOT NULL,
    accepted_at TEXT,
    PRIMARY KEY (organization_id, id)
) STRICT;
CREATE UNIQUE INDEX invitations_pending ON invitations (organization_id, email) WHERE accepted_at IS NULL;
CREATE INDEX invitations_email ON invitations (email) WHERE accepted_at IS NULL;

-- API keys: only a SHA-256 of the key is kept (keys are 256-bit random, so a fast hash is safe).
CREATE TABLE api_keys (
    organization_id BLOB NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
    id BLOB NOT NULL,
    name TEXT NOT NULL,
    prefix TEXT NOT NULL,
    key_hash TEXT NOT NULL UNIQUE,
    scopes TEXT NOT NULL, -- comma-separated scope names
    created_by BLOB,
    created_at TEXT NOT NULL,
    last_used_at TEXT,
    PRIMARY KEY (organization_id, id)
) STRICT;

-- Refresh tokens belong to a user's session, not to a tenant's data: the organization is the
-- one the session is signed in to. A family is one sign-in; rotation spends a token and issues
-- the next in the same family; presenting a spent token revokes the family.
CREATE TABLE refresh_tokens (
    id BLOB PRIMARY KEY,
    family_id BLOB NOT NULL,
    user_id BLOB NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    organization_id BLOB NOT NULL,
    token_hash TEXT NOT NULL UNIQUE,
    issued_at TEXT NOT NULL,
    expires_at TEXT NOT NULL,
    spent_at TEXT,
    revoked_at TEXT
) STRICT;
CREATE INDEX refresh_tokens_family ON refresh_tokens (family_id);

-- Security events. organization_id is NULL only for events that belong to no tenant
-- (a failed sign-in for an unknown email); no tenant can read those.
CREATE TABLE audit_log (
    id BLOB PRIMARY KEY,
    organization_id BLOB,
    actor_user_id BLOB,
    actor_api_key_id BLOB,
    action TEXT NOT NULL,
    target TEXT,
    ip TEXT,
    detail TEXT NOT NULL DEFAULT '{}',
    at TEXT NOT NULL
) STRICT;
CREATE INDEX audit_log_org ON audit_log (organization_id, id DESC);
