-- ConfigDelete: an application, environment or pipeline and the records
-- that belong to it, in one transaction. Each <Kind>Running lists a few
-- running executions that refuse the deletion; the deletes follow in the
-- order ConfigDelete runs them (children before what they name). Events
-- and audit entries are never deleted.

-- name: ApplicationRunning
-- FOR UPDATE holds the running executions, so none ends unseen meanwhile.
SELECT id FROM execution WHERE application = @name::text AND status = 'running' ORDER BY id LIMIT 5 FOR UPDATE;

-- name: EnvironmentRunning
SELECT e.id FROM execution e JOIN execution_environment ee ON ee.execution_id = e.id
WHERE ee.environment = @name::text AND e.status = 'running' ORDER BY e.id LIMIT 5 FOR UPDATE OF e;

-- name: PipelineRunning
SELECT id FROM execution WHERE pipeline = @name::text AND status = 'running' ORDER BY id LIMIT 5 FOR UPDATE;

-- name: ApplicationDeleteTriggers
-- Its triggers' state and claimed deliveries (keys APPLICATION/...), whose
-- executions go too.
DELETE FROM trigger_state WHERE substr(trigger_key, 1, length(@name::text) + 1) = @name::text || '/';

-- name: ApplicationDeleteFirings
DELETE FROM trigger_firing WHERE substr(trigger_key, 1, length(@name::text) + 1) = @name::text || '/';

-- name: ApplicationDeletePipelines
DELETE FROM pipeline WHERE application = @name::text RETURNING name;

-- name: ApplicationDeleteExecutions
-- Stages, analysis records and execution_environment rows go with them
-- (ON DELETE CASCADE).
DELETE FROM execution WHERE application = @name::text;

-- name: ApplicationDeleteServerGroups
DELETE FROM server_group WHERE application = @name::text;

-- name: ApplicationDeleteTraffic
DELETE FROM traffic_second WHERE application = @name::text;

-- name: ApplicationDeleteTrafficMinutes
DELETE FROM traffic_minute WHERE application = @name::text;

-- name: ApplicationDeleteSLOPoints
-- The history of its SLOs (the evaluator's, by the statuses naming it).
DELETE FROM slo_point WHERE slo IN (SELECT name FROM slo_status WHERE application = @name::text);

-- name: ApplicationDeleteSLOStatus
DELETE FROM slo_status WHERE application = @name::text;

-- name: ApplicationDeleteSLOs
DELETE FROM slo_config WHERE application = @name::text;

-- name: ApplicationDeleteLeases
DELETE FROM lease WHERE key LIKE 'deploy/' || @name::text || '/%';

-- name: ApplicationDeleteChanges
DELETE FROM change WHERE application = @name::text;

-- name: ApplicationDelete
DELETE FROM application WHERE name = @name::text;

-- name: EnvironmentDeleteServerGroups
DELETE FROM server_group WHERE environment = @name::text;

-- name: EnvironmentDeleteTraffic
DELETE FROM traffic_second WHERE environment = @name::text;

-- name: EnvironmentDeleteTrafficMinutes
DELETE FROM traffic_minute WHERE environment = @name::text;

-- name: EnvironmentDeleteLeases
DELETE FROM lease WHERE key LIKE 'deploy/%/' || @name::text;

-- name: EnvironmentDelete
DELETE FROM environment WHERE name = @name::text;

-- name: PipelineDeleteTriggers
-- Its triggers' state (keys APPLICATION/PIPELINE/...); the claimed
-- deliveries stay with the executions, the application's history.
DELETE FROM trigger_state
WHERE substr(trigger_key, 1, length(@name::text) + 2 + (SELECT length(application) FROM pipeline WHERE name = @name::text))
    = (SELECT application FROM pipeline WHERE name = @name::text) || '/' || @name::text || '/';

-- name: PipelineDelete
DELETE FROM pipeline WHERE name = @name::text;

-- name: ApplicationLock
SELECT 1 FROM application WHERE name = @name::text FOR UPDATE;

-- name: EnvironmentLock
SELECT 1 FROM environment WHERE name = @name::text FOR UPDATE;

-- name: PipelineLock
SELECT 1 FROM pipeline WHERE name = @name::text FOR UPDATE;

-- name: NotificationLock
SELECT 1 FROM notification WHERE name = @name::text FOR UPDATE;

-- name: NotificationRunning
-- A notification runs nothing: no execution holds up its deletion.
SELECT id FROM execution WHERE false;

-- name: NotificationDeleteDeliveries
DELETE FROM notify_delivery WHERE notification = @name::text;

-- name: NotificationDelete
DELETE FROM notification WHERE name = @name::text;

-- name: SLOLock
SELECT 1 FROM slo_config WHERE name = @name::text FOR UPDATE;

-- name: SLORunning
-- An SLO runs nothing: no execution holds up its deletion.
SELECT id FROM execution WHERE false;

-- name: SLODeleteStatus
DELETE FROM slo_status WHERE name = @name::text;

-- name: SLODeletePoints
DELETE FROM slo_point WHERE slo = @name::text;

-- name: SLODelete
DELETE FROM slo_config WHERE name = @name::text;
