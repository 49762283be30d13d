-- The append-only delivery log. There is deliberately no update or delete.
-- Its IDs are commit-ordered because every insert runs under the
-- commit-order lock (commit_order.go). An empty list filter (a text[] of
-- length 0) and a NULL since mean "any".

-- name: EventInsert
INSERT INTO event (time, kind, application, environment, version, execution_id, stage, trigger, actor, commit_sha, commit_time, action, detail)
VALUES (@time, @kind, @application, @environment, @version, @execution_id, @stage, @trigger, @actor, @commit_sha, @commit_time, @action, @detail)
RETURNING id;

-- name: EventList
SELECT id, time, kind, application, environment, version, execution_id, stage, trigger, actor, commit_sha, commit_time, action, detail
FROM event
WHERE (@application = '' OR application = @application)
  AND (cardinality(@applications::text[]) = 0 OR application = ANY(@applications::text[]))
  AND (@environment = '' OR environment = @environment)
  AND (cardinality(@kinds::text[]) = 0 OR kind = ANY(@kinds::text[]))
  AND id > @after_id
  AND (@since::timestamptz IS NULL OR time >= @since::timestamptz)
ORDER BY id
LIMIT @limit;

-- name: EventListNewest
SELECT * FROM (
    SELECT id, time, kind, application, environment, version, execution_id, stage, trigger, actor, commit_sha, commit_time, action, detail
    FROM event
    WHERE (@application = '' OR application = @application)
      AND (cardinality(@applications::text[]) = 0 OR application = ANY(@applications::text[]))
      AND (@environment = '' OR environment = @environment)
      AND (cardinality(@kinds::text[]) = 0 OR kind = ANY(@kinds::text[]))
      AND id > @after_id
      AND (@since::timestamptz IS NULL OR time >= @since::timestamptz)
    ORDER BY id DESC
    LIMIT @limit
) AS newest
ORDER BY id;
