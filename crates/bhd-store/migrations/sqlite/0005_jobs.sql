-- The durable job queue (see crates/bhd-store/src/jobs.rs) and the bookkeeping of schedules.
-- Times are INTEGER microseconds since the Unix epoch (UTC), written by the server's injected
-- clock, so that due-time and lease comparisons compare numbers, not text.
--
-- A job is queued -> running (leased: locked_until, lock_token) -> done, or back to queued with
-- a backoff after a failure, or dead after max_attempts. Claims run on the single writer
-- connection, which makes them atomic; one process polls (see the PostgreSQL twin for nodes).
CREATE TABLE jobs (
    id BLOB PRIMARY KEY,
    -- NULL only for system-wide jobs (a fan-out over every organization, queue upkeep).
    organization_id BLOB REFERENCES organizations(id) ON DELETE CASCADE,
    kind TEXT NOT NULL,
    payload TEXT NOT NULL DEFAULT '{}',
    state TEXT NOT NULL CHECK (state IN ('queued', 'running', 'done', 'dead')),
    attempts INTEGER NOT NULL DEFAULT 0 CHECK (attempts >= 0),
    max_attempts INTEGER NOT NULL CHECK (max_attempts >= 1),
    run_at INTEGER NOT NULL,
    -- Debounced jobs are not postponed past this (first enqueue + the longest wait).
    latest_run_at INTEGER,
    locked_until INTEGER,
    lock_token BLOB,
    last_error TEXT,
    -- At most one QUEUED job per key (debounce); keys name their organization (score:{org}).
    dedupe_key TEXT,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    finished_at INTEGER,
    CHECK ((state = 'running') = (lock_token IS NOT NULL AND locked_until IS NOT NULL))
) STRICT;
-- Claiming: queued jobs by due time, and running ones whose lease may have expired.
CREATE INDEX jobs_claim ON jobs (state, run_at);
CREATE UNIQUE INDEX jobs_dedupe ON jobs (dedupe_key) WHERE state = 'queued';
CREATE INDEX jobs_org ON jobs (organization_id, created_at);
CREATE INDEX jobs_finished ON jobs (finished_at) WHERE finished_at IS NOT NULL;

-- Schedules: the cadence is code; the next run is stored here so that it survives restarts,
-- and a run is taken by moving next_run_at (compare-and-set) in the transaction that enqueues
-- its job.
CREATE TABLE job_schedules (
    name TEXT PRIMARY KEY,
    next_run_at INTEGER NOT NULL,
    last_run_at INTEGER,
    updated_at INTEGER NOT NULL
) STRICT;
