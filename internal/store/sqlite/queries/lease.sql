-- Leases: one stage at a time per key (see LeaseAcquire).

-- name: LeaseGet
SELECT l.execution_id, l.stage, l.acquired_at,
       coalesce((SELECT s.status FROM stage s WHERE s.execution_id = l.execution_id AND s.name = l.stage), '')
FROM lease l WHERE l.key = @key;

-- name: LeaseSet
INSERT INTO lease (key, execution_id, stage, acquired_at) VALUES (@key, @execution_id, @stage, @now)
ON CONFLICT (key) DO UPDATE SET execution_id = excluded.execution_id, stage = excluded.stage, acquired_at = excluded.acquired_at;
