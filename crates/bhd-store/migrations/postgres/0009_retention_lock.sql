-- Retention run by several nodes at once (each runs the hourly upkeep) raced: both listed the
-- same old partition and the second DROP failed. Runs now take a transaction-level advisory
-- lock, so they follow one another, and a partition already gone is skipped. Otherwise as 0007.
CREATE OR REPLACE FUNCTION bhd_metric_retention(free_from timestamptz, pro_from timestamptz, enterprise_from timestamptz,
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
    PERFORM pg_advisory_xact_lock(hashtext('bhd_metric_retention'));
    PERFORM set_config('app.fanout', 'on', true);
    SELECT MIN(CASE o.plan WHEN 'free' THEN free_from WHEN 'pro' THEN pro_from ELSE enterprise_from END)
      INTO keep_from FROM organizations o;
    IF keep_from IS NULL THEN
        PERFORM set_config('app.fanout', '', true);
        RETURN; -- no organizations, nothing to keep or drop
    END IF;
    FOR part IN
        SELECT c.relname AS name,
               to_date(substring(c.relname FROM 'y(\d{4}m\d{2})$'), 'YYYY"m"MM') AS month
        FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid JOIN pg_class p ON p.oid = i.inhparent
        WHERE p.relname = 'business_metrics' AND c.relname ~ 'y\d{4}m\d{2}$'
    LOOP
        IF ((part.month + interval '1 month')::timestamp AT TIME ZONE 'UTC') <= keep_from
           AND to_regclass(quote_ident(part.name)) IS NOT NULL THEN
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
    PERFORM set_config('app.fanout', '', true);
END
$$;
