-- The outbox of execution changes. Its IDs are commit-ordered because every
-- insert runs under the commit-order lock (commit_order.go).

-- name: ChangeInsert
INSERT INTO change (execution_id, application, stage, status, at)
VALUES (@execution_id, @application, @stage, @status, @at)
RETURNING id;

-- name: ChangeList
SELECT id, execution_id, application, stage, status, at
FROM change WHERE id > @after_id ORDER BY id LIMIT @limit;

-- name: ChangeLast
SELECT coalesce(max(id), 0) FROM change;

-- name: ChangeDeleteBefore
DELETE FROM change WHERE at < @before;
