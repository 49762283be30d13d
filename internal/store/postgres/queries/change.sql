-- The outbox of execution changes. Its IDs are commit-ordered because every
-- insert runs under the commit-order lock (commit_order.go).

-- name: ChangeInsert
-- Takes the commit-order lock (commit_order.go) and inserts in one
-- statement: the row's identity value is drawn after the lock is granted.
INSERT INTO change (execution_id, application, stage, status, at)
SELECT @execution_id::text, @application::text, @stage::text, @status::text, @at::timestamptz
FROM (SELECT pg_advisory_xact_lock(7453012559749473650)) AS commit_order;

-- name: ChangeList
SELECT id, execution_id, application, stage, status, at
FROM change WHERE id > @after_id ORDER BY id LIMIT @limit;

-- name: ChangeLast
SELECT coalesce(max(id), 0) FROM change;

-- name: ChangeDeleteBefore
DELETE FROM change WHERE at < @before;
