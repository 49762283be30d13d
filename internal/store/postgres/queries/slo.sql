-- SLO evaluations (see the migration that creates slo_status).

-- name: SLOStatusPut
INSERT INTO slo_status (name, application, status) VALUES (@name, @application, @status)
ON CONFLICT (name) DO UPDATE SET application = excluded.application, status = excluded.status;

-- name: SLOStatusGet
SELECT status FROM slo_status WHERE name = @name;

-- name: SLOStatusList
SELECT status FROM slo_status ORDER BY name;

-- name: SLOStatusDelete
DELETE FROM slo_status WHERE name = @name;

-- name: SLOPointDeleteOf
DELETE FROM slo_point WHERE slo = @name;

-- name: SLOPointAdd
-- A second copy of a point (same SLO and time) is ignored.
INSERT INTO slo_point (slo, at, good, total, budget_remaining, burn_rate)
VALUES (@slo, @at, @good, @total, @budget_remaining, @burn_rate)
ON CONFLICT DO NOTHING;

-- name: SLOPointList
SELECT slo, at, good, total, budget_remaining, burn_rate FROM slo_point
WHERE slo = @slo AND at >= @from AND at < @to
ORDER BY at DESC
LIMIT @limit;

-- name: SLOPointDeleteBefore
DELETE FROM slo_point WHERE at < @before;

-- name: TrafficMinutePut
-- A minute is recomputed whole from the stored seconds: the new row replaces.
INSERT INTO traffic_minute (application, environment, minute, requests, errors, latency)
VALUES (@application, @environment, @minute, @requests, @errors, @latency)
ON CONFLICT (application, environment, minute) DO UPDATE
SET requests = excluded.requests, errors = excluded.errors, latency = excluded.latency;

-- name: TrafficMinuteList
SELECT application, environment, minute, requests, errors, latency FROM traffic_minute
WHERE application = @application AND (@environment = '' OR environment = @environment)
  AND minute >= @from AND minute < @to
ORDER BY minute, environment;

-- name: TrafficMinuteDeleteBefore
DELETE FROM traffic_minute WHERE minute < @before;

-- name: TrafficSecondBetween
SELECT application, environment, server_group, second, requests, errors, sum_seconds, buckets FROM traffic_second
WHERE second >= @from AND second < @to
ORDER BY application, environment, second, server_group;

-- name: SLOLeaseAcquire
-- Free, expired or already the holder's: one conditional write.
INSERT INTO slo_lease (name, holder, expires_at) VALUES ('evaluator', @holder, @until)
ON CONFLICT (name) DO UPDATE SET holder = excluded.holder, expires_at = excluded.expires_at
WHERE slo_lease.holder = excluded.holder OR slo_lease.expires_at <= @now;
