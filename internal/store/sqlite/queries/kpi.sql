-- The delivery KPIs' rollups (internal/kpi). Documents are opaque here.

-- name: KPICursorInit
INSERT INTO kpi_cursor (id, last_event) VALUES (1, 0) ON CONFLICT (id) DO NOTHING;

-- name: KPICursorGet
SELECT last_event FROM kpi_cursor WHERE id = 1;

-- name: KPICursorSet
UPDATE kpi_cursor SET last_event = @event WHERE id = 1;

-- name: KPIDocGet
SELECT key, doc FROM kpi_doc WHERE kind = @kind AND key IN (SELECT value FROM json_each(@keys));

-- name: KPIDocList
SELECT key, doc FROM kpi_doc WHERE kind = @kind ORDER BY key;

-- name: KPIDocPut
INSERT INTO kpi_doc (kind, key, doc) VALUES (@kind, @key, @doc)
ON CONFLICT (kind, key) DO UPDATE SET doc = excluded.doc;

-- name: KPIDocDelete
DELETE FROM kpi_doc WHERE kind = @kind AND key = @key;

-- name: KPIDayGet
SELECT day, application, environment, counts, vals, event FROM kpi_day
WHERE day = @day AND application = @application AND environment = @environment;

-- name: KPIDayPut
INSERT INTO kpi_day (day, application, environment, counts, vals, event)
VALUES (@day, @application, @environment, @counts, @vals, @event)
ON CONFLICT (day, application, environment) DO UPDATE
SET counts = excluded.counts, vals = excluded.vals, event = excluded.event;

-- name: KPIDayList
SELECT day, application, environment, counts, vals, event FROM kpi_day
WHERE day >= @from AND day < @to
  AND (@any_app OR application IN (SELECT value FROM json_each(@applications)))
  AND (@any_env OR environment IN (SELECT value FROM json_each(@environments)))
ORDER BY day, application, environment;

-- name: KPIDayChanged
SELECT day, application, environment, counts, vals, event FROM kpi_day
WHERE event > @after ORDER BY event LIMIT @limit;

-- name: KPIActorAdd
INSERT INTO kpi_actor (day, application, actor, event) VALUES (@day, @application, @actor, @event)
ON CONFLICT DO NOTHING;

-- name: KPIActorList
SELECT day, application, actor, event FROM kpi_actor
WHERE day >= @from AND day < @to ORDER BY day, application, actor;

-- name: KPIActorChanged
SELECT day, application, actor, event FROM kpi_actor
WHERE event > @after ORDER BY event, day, application, actor LIMIT @limit;
