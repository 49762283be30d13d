-- Executions and their stages. Lists of values (statuses, ids) are bound as
-- one JSON array and expanded with json_each, so every query stays static.

-- name: ExecutionInsert
INSERT INTO execution (id, pipeline, application, status, reason, params, trigger, spec, created_at, ended_at, version)
VALUES (@id, @pipeline, @application, @status, @reason, @params, @trigger, @spec, @created_at, @ended_at, @version);

-- name: ExecutionGet
SELECT id, pipeline, application, status, reason, params, trigger, spec, created_at, ended_at, version
FROM execution WHERE id = @id;

-- name: ExecutionList
-- The cursor (@before_created_at, @before_id) is always compared, so SQLite
-- seeks into execution_created instead of scanning it from the newest row.
-- Without a cursor it is ('~', ''): '~' sorts after every stored time.
SELECT id, pipeline, application, status, reason, params, trigger, spec, created_at, ended_at, version
FROM execution
WHERE (@application = '' OR application = @application)
  AND (json_array_length(@applications) = 0 OR application IN (SELECT value FROM json_each(@applications)))
  AND (@pipeline = '' OR pipeline = @pipeline)
  AND (json_array_length(@statuses) = 0 OR status IN (SELECT value FROM json_each(@statuses)))
  AND (@trigger_kind = '' OR json_extract(trigger, '$.kind') = @trigger_kind)
  AND (@actor = '' OR json_extract(trigger, '$.actor') = @actor)
  AND (@since = '' OR created_at >= @since)
  AND (@until = '' OR created_at < @until)
  AND (created_at, id) < (coalesce(@before_created_at, '~'), @before_id)
ORDER BY created_at DESC, id DESC
LIMIT @limit;

-- name: ExecutionRecent
-- The newest @per executions of each pipeline of @pipelines (a JSON array):
-- one seek into execution_pipeline_latest per pipeline, however many are stored.
SELECT e.id, e.pipeline, e.application, e.status, e.reason, e.params, e.trigger, e.spec, e.created_at, e.ended_at, e.version
FROM (SELECT DISTINCT value AS name FROM json_each(@pipelines)) p
JOIN execution e ON e.id IN (
    SELECT x.id FROM execution x WHERE x.pipeline = p.name
    ORDER BY x.created_at DESC, x.id DESC LIMIT @per)
ORDER BY e.pipeline, e.created_at DESC, e.id DESC;

-- name: ExecutionSetStatus
UPDATE execution
SET status = @to, reason = @reason, ended_at = coalesce(@ended_at, ended_at)
WHERE id = @id AND status IN (SELECT value FROM json_each(@from));

-- name: ExecutionReopen
-- A retry: the ended execution runs again.
UPDATE execution
SET status = 'running', reason = '', ended_at = NULL
WHERE id = @id AND status IN (SELECT value FROM json_each(@from));

-- name: ExecutionLock
-- Locks the execution for the rest of the transaction (the row lock on
-- PostgreSQL) and counts the change; the caller compares the version before
-- it with its snapshot's.
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
WHERE execution_id IN (SELECT value FROM json_each(@execution_ids))
ORDER BY execution_id, position;

-- name: StageUpdate
-- Guarded twice: the status must be one of @from and the version the one the
-- caller read, so of two workers that read the same stage only one writes.
UPDATE stage
SET status = @status, reason = @reason, version = version + 1, attempt = @attempt, state = @state, output = @output,
    judgment = @judgment, started_at = @started_at, ended_at = @ended_at, deadline = @deadline,
    wake_at = @wake_at, claimed_by = @claimed_by, claim_until = @claim_until, queued_at = @queued_at
WHERE execution_id = @execution_id AND name = @name AND version = @version
  AND status IN (SELECT value FROM json_each(@from));

-- name: StageStatus
SELECT status || ' at version ' || version FROM stage WHERE execution_id = @execution_id AND name = @name;

-- name: ExecutionEnvironmentInsert
INSERT INTO execution_environment (execution_id, environment, application, created_at)
VALUES (@execution_id, @environment, @application, @created_at);

-- name: ExecutionLatest
-- For each application of @applications (a JSON array), its newest
-- execution; for each pair of it and an environment of @environments, its
-- newest execution that may change that environment. Each correlated
-- subquery is one seek into execution_application_latest or
-- execution_environment_latest, however many executions are stored.
SELECT l.application, l.environment,
       e.id, e.pipeline, e.application, e.status, e.reason, e.params, e.trigger, e.spec, e.created_at, e.ended_at, e.version
FROM (
    SELECT a.value AS application, '' AS environment,
           (SELECT x.id FROM execution x WHERE x.application = a.value
            ORDER BY x.created_at DESC, x.id DESC LIMIT 1) AS execution_id
    FROM json_each(@applications) a
    UNION ALL
    SELECT a.value, v.value,
           (SELECT x.execution_id FROM execution_environment x WHERE x.application = a.value AND x.environment = v.value
            ORDER BY x.created_at DESC, x.execution_id DESC LIMIT 1)
    FROM json_each(@applications) a, json_each(@environments) v
) l
JOIN execution e ON e.id = l.execution_id
ORDER BY l.application, l.environment;
