-- Bookkeeping for gennaker's own migrations (River keeps its own table,
-- river_migration). Every statement here runs under the migration lock.

-- name: MigrationLock
-- Session-level, held on Migrate's own connection until it has applied
-- gennaker's and River's migrations: 7450482578914239858 is 'gennaker' in
-- ASCII. Closing the connection releases it too.
SELECT pg_advisory_lock(7450482578914239858);

-- name: MigrationUnlock
SELECT pg_advisory_unlock(7450482578914239858);

-- name: MigrationCreateTable
CREATE TABLE IF NOT EXISTS gennaker_migration (
    version    integer PRIMARY KEY,
    name       text NOT NULL,
    applied_at timestamptz NOT NULL
);

-- name: MigrationApplied
SELECT version FROM gennaker_migration ORDER BY version;

-- name: MigrationRecord
INSERT INTO gennaker_migration (version, name, applied_at) VALUES (@version, @name, now());
