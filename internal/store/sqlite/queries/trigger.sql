-- Triggers: the deliveries that started executions, and each trigger's
-- run-time state.

-- name: TriggerClaim
-- One conditional write: the delivery is claimed unless it was already.
-- It returns the row only when it wrote it; otherwise TriggerFiringGet
-- says which execution the earlier claim started.
INSERT INTO trigger_firing (trigger_key, delivery_id, execution_id, fired_at)
VALUES (@key, @delivery_id, @execution_id, @at)
ON CONFLICT (trigger_key, delivery_id) DO NOTHING
RETURNING execution_id;

-- name: TriggerFiringGet
SELECT execution_id FROM trigger_firing WHERE trigger_key = @key AND delivery_id = @delivery_id;

-- name: TriggerStateGet
SELECT trigger_key, paused, paused_by, paused_at, cursor, last_fired_at, last_error, looked_at, updated_at
FROM trigger_state WHERE trigger_key = @key;

-- name: TriggerStateList
SELECT trigger_key, paused, paused_by, paused_at, cursor, last_fired_at, last_error, looked_at, updated_at
FROM trigger_state ORDER BY trigger_key;

-- name: TriggerPauseSet
INSERT INTO trigger_state (trigger_key, paused, paused_by, paused_at, updated_at)
VALUES (@key, @paused, @by, @at, @at)
ON CONFLICT (trigger_key) DO UPDATE
SET paused = excluded.paused, paused_by = excluded.paused_by, paused_at = excluded.paused_at,
    updated_at = excluded.updated_at;

-- name: TriggerCursorSet
INSERT INTO trigger_state (trigger_key, cursor, updated_at) VALUES (@key, @cursor, @now)
ON CONFLICT (trigger_key) DO UPDATE SET cursor = excluded.cursor, updated_at = excluded.updated_at;

-- name: TriggerFiredSet
-- A firing that started nothing keeps the last start's time.
-- A report of a look (@looked_at set) records when the source was looked at.
INSERT INTO trigger_state (trigger_key, last_fired_at, last_error, looked_at, updated_at)
VALUES (@key, @fired_at, @error, @looked_at, @now)
ON CONFLICT (trigger_key) DO UPDATE
SET last_fired_at = coalesce(excluded.last_fired_at, trigger_state.last_fired_at),
    looked_at = coalesce(excluded.looked_at, trigger_state.looked_at),
    last_error = excluded.last_error, updated_at = excluded.updated_at;
