-- Executions and their stages. Lists of values (statuses, ids) are bound as
-- one text[] and compared with = ANY, so every query stays static.

-- name: ExecutionInsert
INSERT INTO execution (id, pipeline, application, status, reason, params, trigger, spec, created_at, ended_at)
VALUES (@id, @pipeline, @application, @status, @reason, @params, @trigger, @spec, @created_at, @ended_at);

-- name: ExecutionGet
SELECT id, pipeline, application, status, reason, params, trigger, spec, created_at, ended_at, version
FROM execution WHERE id = @id;

-- name: ExecutionList
-- Without a cursor @before_created_at is NULL and the row comparison is
-- left out; with one, PostgreSQL seeks into execution_created.
SELECT id, pipeline, application, status, reason, params, trigger, spec, created_at, ended_at, version
FROM execution
WHERE (@application = '' OR application = @application)
  AND (cardinality(@applications::text[]) = 0 OR application = ANY(@applications::text[]))
  AND (@pipeline = '' OR pipeline = @pipeline)
  AND (cardinality(@statuses::text[]) = 0 OR status = ANY(@statuses::text[]))
  AND (@before_created_at::timestamptz IS NULL OR (created_at, id) < (@before_created_at::timestamptz, @before_id::text))
ORDER BY created_at DESC, id DESC
LIMIT @limit;

-- name: ExecutionSetStatus
UPDATE execution
SET status = @to, reason = @reason, ended_at = coalesce(@ended_at, ended_at)
WHERE id = @id AND status = ANY(@from::text[]);

-- name: ExecutionLock
-- Locks the execution's row for the rest of the transaction and counts the
-- change; the caller compares the version before it with its snapshot's.
UPDATE execution SET version = version + 1 WHERE id = @id RETURNING version - 1;

-- name: ExecutionStatus
SELECT status FROM execution WHERE id = @id;

-- name: StageInsert
INSERT INTO stage (execution_id, name, position, type, status, reason, version, attempt, state, output, judgment, started_at, ended_at, deadline,
                   wake_at, claimed_by, claim_until, queued_at)
VALUES (@execution_id, @name, @position, @type, @status, @reason, @version, @attempt, @state, @output, @judgment, @started_at, @ended_at, @deadline,
        @wake_at, @claimed_by, @claim_until, @queued_at);

-- name: StageGet
SELECT execution_id, name, type, status, reason, version, attempt, state, output, judgment, started_at, ended_at, deadline,
       wake_at, claimed_by, claim_until, queued_at
FROM stage WHERE execution_id = @execution_id AND name = @name;

-- name: StageListByExecutions
SELECT execution_id, name, type, status, reason, version, attempt, state, output, judgment, started_at, ended_at, deadline,
       wake_at, claimed_by, claim_until, queued_at
FROM stage
WHERE execution_id = ANY(@execution_ids::text[])
ORDER BY execution_id, position;

-- name: StageUpdate
-- Guarded twice: the status must be one of @from and the version the one the
-- caller read, so of two workers that read the same stage only one writes.
UPDATE stage
SET status = @status, reason = @reason, version = version + 1, attempt = @attempt, state = @state, output = @output,
    judgment = @judgment, started_at = @started_at, ended_at = @ended_at, deadline = @deadline,
    wake_at = @wake_at, claimed_by = @claimed_by, claim_until = @claim_until, queued_at = @queued_at
WHERE execution_id = @execution_id AND name = @name AND version = @version
  AND status = ANY(@from::text[]);

-- name: StageStatus
SELECT status || ' at version ' || version FROM stage WHERE execution_id = @execution_id AND name = @name;
