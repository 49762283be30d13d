-- The append-only delivery log. There is deliberately no update or delete.
-- Its IDs are commit-ordered because every insert runs under the
-- commit-order lock (commit_order.go). An empty list filter (a text[] of
-- length 0) and a NULL since mean "any".

-- name: EventInsert
-- Takes the commit-order lock (commit_order.go) and inserts in one
-- statement: the row's identity value is drawn after the lock is granted.
INSERT INTO event (time, kind, application, environment, version, from_version, execution_id, stage, trigger, actor, commit_sha, commit_time, action, detail, ref)
SELECT @time::timestamptz, @kind::text, @application::text, @environment::text, @version::text, @from_version::text, @execution_id::text, @stage::text,
       @trigger::text, @actor::text, @commit_sha::text, @commit_time::timestamptz, @action::text, @detail::text, @ref::text
FROM (SELECT pg_advisory_xact_lock(7453012559749473650)) AS commit_order;

-- name: EventList
SELECT id, time, kind, application, environment, version, from_version, execution_id, stage, trigger, actor, commit_sha, commit_time, action, detail, ref
FROM event
WHERE (@application = '' OR application = @application)
  AND (cardinality(@applications::text[]) = 0 OR application = ANY(@applications::text[]))
  AND (@environment = '' OR environment = @environment)
  AND (cardinality(@kinds::text[]) = 0 OR kind = ANY(@kinds::text[]))
  AND id > @after_id
  AND id < @before_id
  AND (@since::timestamptz IS NULL OR time >= @since::timestamptz)
ORDER BY id
LIMIT @limit;

-- name: EventListNewest
SELECT * FROM (
    SELECT id, time, kind, application, environment, version, from_version, execution_id, stage, trigger, actor, commit_sha, commit_time, action, detail, ref
    FROM event
    WHERE (@application = '' OR application = @application)
      AND (cardinality(@applications::text[]) = 0 OR application = ANY(@applications::text[]))
      AND (@environment = '' OR environment = @environment)
      AND (cardinality(@kinds::text[]) = 0 OR kind = ANY(@kinds::text[]))
      AND id > @after_id
      AND id < @before_id
      AND (@since::timestamptz IS NULL OR time >= @since::timestamptz)
    ORDER BY id DESC
    LIMIT @limit
) AS newest
ORDER BY id;
