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

-- name: AuditInsert
-- Appends an entry to the chain's head, read here, after AuditLock (an
-- earlier statement of the same batch: this statement's snapshot is taken
-- once the lock is granted, so it sees every entry committed before).
-- The hash is model.AuditEntry.ChainHash computed here: sha256 of the
-- canonical JSON, whose first field is the previous hash ("prev", hex)
-- and whose rest (@tail) the store computed; so an append needs no round
-- trip to read the head and can go with a transaction's commit.
INSERT INTO audit (time, actor, source, action, object, application, outcome, detail, prev_hash, hash)
SELECT @time, @actor, @source, @action, @object, @application, @outcome, @detail, head.prev,
       encode(sha256(convert_to('{"prev":"' || head.prev || '"', 'UTF8') || @tail::bytea), 'hex')
FROM (SELECT coalesce((SELECT hash FROM audit ORDER BY id DESC LIMIT 1), '') AS prev) AS head
RETURNING id, prev_hash, hash;

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
