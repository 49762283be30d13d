-- Bookkeeping for gennaker's own migrations (River keeps its own table).

-- name: MigrationCreateTable
CREATE TABLE IF NOT EXISTS gennaker_migration (
    version    INTEGER PRIMARY KEY,
    name       TEXT NOT NULL,
    applied_at TEXT NOT NULL
) STRICT;

-- name: MigrationApplied
SELECT version FROM gennaker_migration ORDER BY version;

-- name: MigrationRecord
INSERT INTO gennaker_migration (version, name, applied_at) VALUES (@version, @name, @applied_at);
