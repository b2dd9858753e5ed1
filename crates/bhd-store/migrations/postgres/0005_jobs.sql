-- The durable job queue (see crates/bhd-store/src/jobs.rs) and the bookkeeping of schedules.
-- Times are written by the server (its injected clock), never DEFAULT now().
--
-- A job is queued -> running (leased: locked_until, lock_token) -> done, or back to queued with
-- a backoff after a failure, or dead after max_attempts. Workers of every node claim with
-- FOR UPDATE SKIP LOCKED, so no two take the same job; a worker that dies mid-run loses its
-- lease and the job is claimed again once locked_until has passed.
--
-- No row-level security on jobs and job_schedules, on purpose: a worker must claim the jobs of
-- every tenant in one statement, and these tables hold no tenant business data: ids, a job
-- kind, a small JSON payload of ids and flags, timestamps and an error message. Handlers read
-- and write tenant data through the store, whose transactions set app.org_id as usual, so the
-- tenant boundary stays where the data is. The tables are not exposed to tenants through the
-- API; organization_id is there so an organization's jobs can be listed and go with it.
CREATE TABLE jobs (
    id uuid PRIMARY KEY,
    -- NULL only for system-wide jobs (a fan-out over every organization, queue upkeep).
    organization_id uuid REFERENCES organizations(id) ON DELETE CASCADE,
    kind text NOT NULL,
    payload jsonb NOT NULL DEFAULT '{}',
    state text NOT NULL CHECK (state IN ('queued', 'running', 'done', 'dead')),
    attempts integer NOT NULL DEFAULT 0 CHECK (attempts >= 0),
    max_attempts integer NOT NULL CHECK (max_attempts >= 1),
    run_at timestamptz NOT NULL,
    -- Debounced jobs are not postponed past this (first enqueue + the longest wait).
    latest_run_at timestamptz,
    locked_until timestamptz,
    lock_token uuid,
    last_error text,
    -- At most one QUEUED job per key (debounce); keys name their organization (score:{org}).
    dedupe_key text,
    created_at timestamptz NOT NULL,
    updated_at timestamptz NOT NULL,
    finished_at timestamptz,
    CHECK ((state = 'running') = (lock_token IS NOT NULL AND locked_until IS NOT NULL))
);
-- Claiming: queued jobs by due time, and running ones whose lease may have expired.
CREATE INDEX jobs_claim ON jobs (state, run_at);
CREATE UNIQUE INDEX jobs_dedupe ON jobs (dedupe_key) WHERE state = 'queued';
CREATE INDEX jobs_org ON jobs (organization_id, created_at);
CREATE INDEX jobs_finished ON jobs (finished_at) WHERE finished_at IS NOT NULL;

-- Schedules: the cadence (nightly at 03:00 UTC, hourly, ...) is code; the next run is stored
-- here, so that it survives restarts, and a run is taken by moving next_run_at with a
-- compare-and-set in the transaction that enqueues its job, so that of several nodes exactly
-- one enqueues it.
CREATE TABLE job_schedules (
    name text PRIMARY KEY,
    next_run_at timestamptz NOT NULL,
    last_run_at timestamptz,
    updated_at timestamptz NOT NULL
);

GRANT SELECT, INSERT, UPDATE, DELETE ON jobs, job_schedules TO bhd_app;

-- System jobs fan out over every organization (the nightly recomputation), which the server's
-- role may not list. This definer function answers the ids only. Under FORCE ROW LEVEL SECURITY
-- the policies apply to the function's owner too (unless a superuser), so it raises app.fanout
-- for its own query, which the policy below admits for any role but bhd_app itself.
CREATE POLICY job_fanout ON organizations FOR SELECT
    USING (bhd_setting('app.fanout') = 'on' AND current_user <> 'bhd_app');

CREATE FUNCTION bhd_organization_ids() RETURNS SETOF uuid
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public AS $$
BEGIN
    PERFORM set_config('app.fanout', 'on', true);
    RETURN QUERY SELECT o.id FROM organizations o ORDER BY o.id;
    PERFORM set_config('app.fanout', '', true);
END
$$;
REVOKE ALL ON FUNCTION bhd_organization_ids() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION bhd_organization_ids() TO bhd_app;
