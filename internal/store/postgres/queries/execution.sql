-- Executions and their stages. Lists of values (statuses, ids) are bound as
-- one text[] and compared with = ANY, so every query stays static.

-- name: ExecutionInsert
INSERT INTO execution (id, pipeline, application, status, reason, params, trigger, spec, created_at, ended_at, version)
VALUES (@id, @pipeline, @application, @status, @reason, @params, @trigger, @spec, @created_at, @ended_at, @version);

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
  AND (@trigger_kind = '' OR trigger->>'kind' = @trigger_kind)
  AND (@actor = '' OR trigger->>'actor' = @actor)
  AND (@since::timestamptz IS NULL OR created_at >= @since::timestamptz)
  AND (@until::timestamptz IS NULL OR created_at < @until::timestamptz)
  AND (@before_created_at::timestamptz IS NULL OR (created_at, id) < (@before_created_at::timestamptz, @before_id::text))
ORDER BY created_at DESC, id DESC
LIMIT @limit;

-- name: ExecutionRecent
-- The newest @per executions of each pipeline of @pipelines: one lateral
-- seek into execution_pipeline_latest per pipeline, however many are stored.
SELECT e.id, e.pipeline, e.application, e.status, e.reason, e.params, e.trigger, e.spec, e.created_at, e.ended_at, e.version
FROM (SELECT DISTINCT name FROM unnest(@pipelines::text[]) AS u(name)) p
CROSS JOIN LATERAL (
    SELECT id, pipeline, application, status, reason, params, trigger, spec, created_at, ended_at, version
    FROM execution WHERE pipeline = p.name
    ORDER BY created_at DESC, id DESC LIMIT @per) e
ORDER BY e.pipeline, e.created_at DESC, e.id DESC;

-- name: ExecutionSetStatus
UPDATE execution
SET status = @to, reason = @reason, ended_at = coalesce(@ended_at, ended_at)
WHERE id = @id AND status = ANY(@from::text[]);

-- name: ExecutionReopen
-- A retry: the ended execution runs again.
UPDATE execution
SET status = 'running', reason = '', ended_at = NULL
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

-- name: ExecutionEnvironmentInsert
INSERT INTO execution_environment (execution_id, environment, application, created_at)
VALUES (@execution_id, @environment, @application, @created_at);

-- name: ExecutionLatest
-- For each application of @applications, its newest execution; for each
-- pair of it and an environment of @environments, its newest execution that
-- may change that environment. Each lateral subquery is one seek into
-- execution_application_latest or execution_environment_latest, however
-- many executions are stored.
SELECT l.application, l.environment,
       e.id, e.pipeline, e.application, e.status, e.reason, e.params, e.trigger, e.spec, e.created_at, e.ended_at, e.version
FROM (
    SELECT a.name AS application, '' AS environment, x.id AS execution_id
    FROM unnest(@applications::text[]) AS a(name)
    CROSS JOIN LATERAL (
        SELECT id FROM execution WHERE application = a.name
        ORDER BY created_at DESC, id DESC LIMIT 1) x
    UNION ALL
    SELECT a.name, v.name, x.execution_id
    FROM unnest(@applications::text[]) AS a(name)
    CROSS JOIN unnest(@environments::text[]) AS v(name)
    CROSS JOIN LATERAL (
        SELECT execution_id FROM execution_environment WHERE application = a.name AND environment = v.name
        ORDER BY created_at DESC, execution_id DESC LIMIT 1) x
) l
JOIN execution e ON e.id = l.execution_id
ORDER BY l.application, l.environment;
