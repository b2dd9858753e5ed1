-- Retention of raw metric points per plan. SECURITY DEFINER: the server's role (bhd_app) may
-- neither drop tables nor see every tenant; this function may, and does only this.
-- Arguments: the earliest instant each plan keeps. Monthly partitions wholly before the
-- horizon of every plan in use are dropped (a cheap metadata change); then, tenant by tenant
-- (setting app.org_id so the row-level-security policies admit it even when the owner is not a
-- superuser), the older points of shorter plans are deleted. Roll-ups are kept.
CREATE FUNCTION bhd_metric_retention(free_from timestamptz, pro_from timestamptz, enterprise_from timestamptz,
                                     OUT points_deleted bigint, OUT partitions_dropped integer)
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public AS $$
DECLARE
    keep_from timestamptz;
    part record;
    org record;
    horizon timestamptz;
    n bigint;
BEGIN
    points_deleted := 0;
    partitions_dropped := 0;
    SELECT MIN(CASE o.plan WHEN 'free' THEN free_from WHEN 'pro' THEN pro_from ELSE enterprise_from END)
      INTO keep_from FROM organizations o;
    IF keep_from IS NULL THEN
        RETURN; -- no organizations, nothing to keep or drop
    END IF;
    FOR part IN
        SELECT c.relname AS name,
               to_date(substring(c.relname FROM 'y(\d{4})m(\d{2})$'), 'YYYYMM') AS month
        FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid JOIN pg_class p ON p.oid = i.inhparent
        WHERE p.relname = 'business_metrics' AND c.relname ~ 'y\d{4}m\d{2}$'
    LOOP
        IF ((part.month + interval '1 month')::timestamp AT TIME ZONE 'UTC') <= keep_from THEN
            EXECUTE format('DROP TABLE %I', part.name);
            partitions_dropped := partitions_dropped + 1;
        END IF;
    END LOOP;
    FOR org IN SELECT o.id, o.plan FROM organizations o LOOP
        horizon := CASE org.plan WHEN 'free' THEN free_from WHEN 'pro' THEN pro_from ELSE enterprise_from END;
        IF horizon > keep_from THEN
            PERFORM set_config('app.org_id', org.id::text, true);
            DELETE FROM business_metrics WHERE organization_id = org.id AND recorded_at < horizon;
            GET DIAGNOSTICS n = ROW_COUNT;
            points_deleted := points_deleted + n;
        END IF;
    END LOOP;
    PERFORM set_config('app.org_id', '', true);
END
$$;
REVOKE ALL ON FUNCTION bhd_metric_retention(timestamptz, timestamptz, timestamptz) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION bhd_metric_retention(timestamptz, timestamptz, timestamptz) TO bhd_app;
