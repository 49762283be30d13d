-- The append-only delivery log. There is deliberately no update or delete.

-- name: EventInsert
INSERT INTO event (time, kind, application, environment, version, from_version, execution_id, stage, trigger, actor, commit_sha, commit_time, action, detail, ref)
VALUES (@time, @kind, @application, @environment, @version, @from_version, @execution_id, @stage, @trigger, @actor, @commit_sha, @commit_time, @action, @detail, @ref);

-- name: EventList
SELECT id, time, kind, application, environment, version, from_version, execution_id, stage, trigger, actor, commit_sha, commit_time, action, detail, ref
FROM event
WHERE (@application = '' OR application = @application)
  AND (json_array_length(@applications) = 0 OR application IN (SELECT value FROM json_each(@applications)))
  AND (@environment = '' OR environment = @environment)
  AND (json_array_length(@kinds) = 0 OR kind IN (SELECT value FROM json_each(@kinds)))
  AND id > @after_id
  AND id < @before_id
  AND (@since = '' OR time >= @since)
ORDER BY id
LIMIT @limit;

-- name: EventListNewest
SELECT * FROM (
    SELECT id, time, kind, application, environment, version, from_version, execution_id, stage, trigger, actor, commit_sha, commit_time, action, detail, ref
    FROM event
    WHERE (@application = '' OR application = @application)
      AND (json_array_length(@applications) = 0 OR application IN (SELECT value FROM json_each(@applications)))
      AND (@environment = '' OR environment = @environment)
      AND (json_array_length(@kinds) = 0 OR kind IN (SELECT value FROM json_each(@kinds)))
      AND id > @after_id
      AND id < @before_id
      AND (@since = '' OR time >= @since)
    ORDER BY id DESC
    LIMIT @limit
)
ORDER BY id;
