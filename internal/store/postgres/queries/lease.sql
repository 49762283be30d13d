-- Leases: one stage at a time per key (see LeaseAcquire).

-- name: LeaseAcquire
-- One conditional write: the lease goes to @execution_id/@stage when the key
-- is free, already theirs (acquired_at is kept), or held by a stage that has
-- ended or no longer exists. It returns the row only when it wrote it, that
-- is when the caller holds the lease; otherwise LeaseHolder says who does.
--
-- Under READ COMMITTED, of concurrent callers one inserts (or updates) the
-- row; the others wait on it, then PostgreSQL evaluates the WHERE on the
-- row's latest version, whose holder's stage is running: they write nothing.
INSERT INTO lease (key, execution_id, stage, acquired_at) VALUES (@key, @execution_id, @stage, @now)
ON CONFLICT (key) DO UPDATE
SET execution_id = excluded.execution_id,
    stage = excluded.stage,
    acquired_at = CASE WHEN lease.execution_id = excluded.execution_id AND lease.stage = excluded.stage
                       THEN lease.acquired_at ELSE excluded.acquired_at END
WHERE (lease.execution_id = excluded.execution_id AND lease.stage = excluded.stage)
   OR NOT EXISTS (SELECT 1 FROM stage s
                  WHERE s.execution_id = lease.execution_id AND s.name = lease.stage
                    AND s.status NOT IN ('succeeded', 'failed', 'failed_continue', 'skipped', 'canceled'))
RETURNING execution_id, stage, acquired_at;

-- name: LeaseHolder
SELECT execution_id, stage, acquired_at FROM lease WHERE key = @key;

-- name: LeaseGet
-- The holder, only while its stage has not ended.
SELECT l.execution_id, l.stage, l.acquired_at FROM lease l
WHERE l.key = @key
  AND EXISTS (SELECT 1 FROM stage s
              WHERE s.execution_id = l.execution_id AND s.name = l.stage
                AND s.status NOT IN ('succeeded', 'failed', 'failed_continue', 'skipped', 'canceled'));
