-- The outbox of execution changes (see migrations/006_change.sql).

-- name: ChangeInsert
INSERT INTO change (execution_id, application, stage, status, at)
VALUES (@execution_id, @application, @stage, @status, @at);

-- name: ChangeList
SELECT id, execution_id, application, stage, status, at
FROM change WHERE id > @after_id ORDER BY id LIMIT @limit;

-- name: ChangeLast
SELECT coalesce(max(id), 0) FROM change;

-- name: ChangeDeleteBefore
DELETE FROM change WHERE at < @before;
