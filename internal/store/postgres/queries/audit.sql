-- The hash-chained audit log. There is deliberately no update or delete (and
-- triggers refuse them). AuditList picks the query whose index fits its
-- filters: by actor, by application, or by ID alone.

-- name: AuditLock
-- Serializes appends: the audit_chain trigger's lock (7453012499670264180 is
-- 'gnkaudit' in ASCII), taken before the head is read and held to commit.
-- Under it no other append reads the head, draws an ID or commits, so the
-- chain never forks and IDs are in chain and commit order: a reader
-- following id > N never skips an entry committed later.
SELECT pg_advisory_xact_lock(7453012499670264180);

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
  AND (@since::timestamptz IS NULL OR time >= @since)
ORDER BY id
LIMIT @limit;

-- name: AuditListNewest
SELECT * FROM (
    SELECT id, time, actor, source, action, object, application, outcome, detail, prev_hash, hash
    FROM audit
    WHERE id > @after_id
      AND (@since::timestamptz IS NULL OR time >= @since)
    ORDER BY id DESC
    LIMIT @limit
) AS newest
ORDER BY id;

-- name: AuditListByActor
SELECT id, time, actor, source, action, object, application, outcome, detail, prev_hash, hash
FROM audit
WHERE actor = @actor
  AND (@application::text = '' OR application = @application)
  AND id > @after_id
  AND (@since::timestamptz IS NULL OR time >= @since)
ORDER BY id
LIMIT @limit;

-- name: AuditListByActorNewest
SELECT * FROM (
    SELECT id, time, actor, source, action, object, application, outcome, detail, prev_hash, hash
    FROM audit
    WHERE actor = @actor
      AND (@application::text = '' OR application = @application)
      AND id > @after_id
      AND (@since::timestamptz IS NULL OR time >= @since)
    ORDER BY id DESC
    LIMIT @limit
) AS newest
ORDER BY id;

-- name: AuditListByApplication
SELECT id, time, actor, source, action, object, application, outcome, detail, prev_hash, hash
FROM audit
WHERE application = @application
  AND id > @after_id
  AND (@since::timestamptz IS NULL OR time >= @since)
ORDER BY id
LIMIT @limit;

-- name: AuditListByApplicationNewest
SELECT * FROM (
    SELECT id, time, actor, source, action, object, application, outcome, detail, prev_hash, hash
    FROM audit
    WHERE application = @application
      AND id > @after_id
      AND (@since::timestamptz IS NULL OR time >= @since)
    ORDER BY id DESC
    LIMIT @limit
) AS newest
ORDER BY id;
