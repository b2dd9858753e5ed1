-- The large JSON values written on every recalculation (a score's breakdown, usually 10-20 kB;
-- a forecast's evidence with its daily path) are compressed with LZ4 instead of PostgreSQL's
-- default pglz: pglz_compress alone was ~2 % of the machine in the nightly recomputation, and
-- LZ4 compresses several times faster and decompresses faster on every read of the latest
-- score. Only values written from now on change; existing ones stay readable as they are.
-- A PostgreSQL built without LZ4 keeps pglz (the migration does not fail there).
DO $$
BEGIN
    ALTER TABLE health_scores ALTER COLUMN breakdown SET COMPRESSION lz4;
    ALTER TABLE insights ALTER COLUMN evidence SET COMPRESSION lz4;
EXCEPTION WHEN feature_not_supported THEN
    RAISE NOTICE 'LZ4 is not available in this PostgreSQL build; keeping pglz';
END
$$;
