-- ConfigDelete: an application, environment or pipeline and the records
-- that belong to it, in one transaction. Each <Kind>Running lists a few
-- running executions that refuse the deletion; the deletes follow in the
-- order ConfigDelete runs them (children before what they name). Events
-- and audit entries are never deleted.

-- name: ApplicationRunning
SELECT id FROM execution WHERE application = @name AND status = 'running' ORDER BY id LIMIT 5;

-- name: EnvironmentRunning
SELECT e.id FROM execution e JOIN execution_environment ee ON ee.execution_id = e.id
WHERE ee.environment = @name AND e.status = 'running' ORDER BY e.id LIMIT 5;

-- name: PipelineRunning
SELECT id FROM execution WHERE pipeline = @name AND status = 'running' ORDER BY id LIMIT 5;

-- name: ApplicationDeleteTriggers
-- Its triggers' state and claimed deliveries (keys APPLICATION/...), whose
-- executions go too.
DELETE FROM trigger_state WHERE substr(trigger_key, 1, length(@name) + 1) = @name || '/';

-- name: ApplicationDeleteFirings
DELETE FROM trigger_firing WHERE substr(trigger_key, 1, length(@name) + 1) = @name || '/';

-- name: ApplicationDeletePipelines
DELETE FROM pipeline WHERE application = @name RETURNING name;

-- name: ApplicationDeleteExecutions
-- Stages, analysis records and execution_environment rows go with them
-- (ON DELETE CASCADE).
DELETE FROM execution WHERE application = @name;

-- name: ApplicationDeleteServerGroups
DELETE FROM server_group WHERE application = @name;

-- name: ApplicationDeleteTraffic
DELETE FROM traffic_second WHERE application = @name;

-- name: ApplicationDeleteTrafficMinutes
DELETE FROM traffic_minute WHERE application = @name;

-- name: ApplicationDeleteSLOPoints
-- The history of its SLOs (the evaluator's, by the statuses naming it).
DELETE FROM slo_point WHERE slo IN (SELECT name FROM slo_status WHERE application = @name);

-- name: ApplicationDeleteSLOStatus
DELETE FROM slo_status WHERE application = @name;

-- name: ApplicationDeleteSLOs
DELETE FROM slo_config WHERE application = @name;

-- name: ApplicationDeleteLeases
DELETE FROM lease WHERE key LIKE 'deploy/' || @name || '/%';

-- name: ApplicationDeleteChanges
DELETE FROM change WHERE application = @name;

-- name: ApplicationDelete
DELETE FROM application WHERE name = @name;

-- name: EnvironmentDeleteServerGroups
DELETE FROM server_group WHERE environment = @name;

-- name: EnvironmentDeleteTraffic
DELETE FROM traffic_second WHERE environment = @name;

-- name: EnvironmentDeleteTrafficMinutes
DELETE FROM traffic_minute WHERE environment = @name;

-- name: EnvironmentDeleteLeases
DELETE FROM lease WHERE key LIKE 'deploy/%/' || @name;

-- name: EnvironmentDelete
DELETE FROM environment WHERE name = @name;

-- name: PipelineDeleteTriggers
-- Its triggers' state (keys APPLICATION/PIPELINE/...); the claimed
-- deliveries stay with the executions, the application's history.
DELETE FROM trigger_state
WHERE substr(trigger_key, 1, length(@name) + 2 + (SELECT length(application) FROM pipeline WHERE name = @name))
    = (SELECT application FROM pipeline WHERE name = @name) || '/' || @name || '/';

-- name: PipelineDelete
DELETE FROM pipeline WHERE name = @name;

-- name: NotificationRunning
-- A notification runs nothing: no execution holds up its deletion.
SELECT id FROM execution WHERE 0;

-- name: NotificationDeleteDeliveries
DELETE FROM notify_delivery WHERE notification = @name;

-- name: NotificationDelete
DELETE FROM notification WHERE name = @name;

-- name: SLORunning
-- An SLO runs nothing: no execution holds up its deletion.
SELECT id FROM execution WHERE 0;

-- name: SLODeleteStatus
DELETE FROM slo_status WHERE name = @name;

-- name: SLODeletePoints
DELETE FROM slo_point WHERE slo = @name;

-- name: SLODelete
DELETE FROM slo_config WHERE name = @name;
