-- Setup for pgbench-ingest.sql (run once, on a database migrated by cti-server):
-- 100 helper apps 00000000-0000-0000-0000-000000000001..100 and a sequence for seq numbers.
INSERT INTO apps (id, name, is_active, created_at, updated_at)
SELECT ('00000000-0000-0000-0000-' || lpad(n::text, 12, '0'))::uuid, 'pgbench ' || n, true, now(), now()
FROM generate_series(1, 100) AS n
ON CONFLICT DO NOTHING;
CREATE SEQUENCE IF NOT EXISTS pgbench_seq;
