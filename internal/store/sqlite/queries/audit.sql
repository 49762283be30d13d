-- The hash-chained audit log. There is deliberately no update or delete (and
-- triggers refuse them). AuditList picks the query whose index fits its
-- filters: by actor, by application, or by ID alone.

-- name: AuditHead
SELECT hash FROM audit ORDER BY id DESC LIMIT 1;

-- name: AuditInsert
INSERT INTO audit (time, actor, source, action, object, application, outcome, detail, prev_hash, hash)
VALUES (@time, @actor, @source, @action, @object, @application, @outcome, @detail, @prev_hash, @hash)
RETURNING id;

-- name: AuditList
SELECT id, time, actor, source, action, object, application, outcome, detail, prev_hash, hash
FROM audit
WHERE id > @after_id
  AND (@since = '' OR time >= @since)
ORDER BY id
LIMIT @limit;

-- name: AuditListNewest
SELECT * FROM (
    SELECT id, time, actor, source, action, object, application, outcome, detail, prev_hash, hash
    FROM audit
    WHERE id > @after_id
      AND (@since = '' OR time >= @since)
    ORDER BY id DESC
    LIMIT @limit
)
ORDER BY id;

-- name: AuditListByActor
SELECT id, time, actor, source, action, object, application, outcome, detail, prev_hash, hash
FROM audit
WHERE actor = @actor
  AND (@application = '' OR application = @application)
  AND id > @after_id
  AND (@since = '' OR time >= @since)
ORDER BY id
LIMIT @limit;

-- name: AuditListByActorNewest
SELECT * FROM (
    SELECT id, time, actor, source, action, object, application, outcome, detail, prev_hash, hash
    FROM audit
    WHERE actor = @actor
      AND (@application = '' OR application = @application)
      AND id > @after_id
      AND (@since = '' OR time >= @since)
    ORDER BY id DESC
    LIMIT @limit
)
ORDER BY id;

-- name: AuditListByApplication
SELECT id, time, actor, source, action, object, application, outcome, detail, prev_hash, hash
FROM audit
WHERE application = @application
  AND id > @after_id
  AND (@since = '' OR time >= @since)
ORDER BY id
LIMIT @limit;

-- name: AuditListByApplicationNewest
SELECT * FROM (
    SELECT id, time, actor, source, action, object, application, outcome, detail, prev_hash, hash
    FROM audit
    WHERE application = @application
      AND id > @after_id
      AND (@since = '' OR time >= @since)
    ORDER BY id DESC
    LIMIT @limit
)
ORDER BY id;
