-- The delivery KPIs' rollups (internal/kpi). Documents are opaque here.

-- name: KPICursorInit
INSERT INTO kpi_cursor (id, last_event) VALUES (1, 0) ON CONFLICT (id) DO NOTHING;

-- name: KPICursorLock
-- The row lock, held to the end of the transaction, makes one replica
-- fold each event; the others wait, then read the cursor it moved.
SELECT last_event FROM kpi_cursor WHERE id = 1 FOR UPDATE;

-- name: KPICursorSet
UPDATE kpi_cursor SET last_event = @event WHERE id = 1;

-- name: KPIDocGet
SELECT key, doc FROM kpi_doc WHERE kind = @kind AND key = ANY(@keys::text[]);

-- name: KPIDocList
SELECT key, doc FROM kpi_doc WHERE kind = @kind ORDER BY key;

-- name: KPIDocPut
INSERT INTO kpi_doc (kind, key, doc) VALUES (@kind, @key, @doc)
ON CONFLICT (kind, key) DO UPDATE SET doc = excluded.doc;

-- name: KPIDocDelete
DELETE FROM kpi_doc WHERE kind = @kind AND key = @key;

-- name: KPIDayGet
SELECT day, application, environment, counts, vals, event FROM kpi_day
WHERE (day, application, environment) IN (
    SELECT * FROM unnest(@days::text[], @applications::text[], @environments::text[]));

-- name: KPIDayPut
INSERT INTO kpi_day (day, application, environment, counts, vals, event)
VALUES (@day, @application, @environment, @counts, @vals, @event)
ON CONFLICT (day, application, environment) DO UPDATE
SET counts = excluded.counts, vals = excluded.vals, event = excluded.event;

-- name: KPIDayList
SELECT day, application, environment, counts, vals, event FROM kpi_day
WHERE day >= @from::text AND day < @to::text
  AND (@any_app::boolean OR application = ANY(@applications::text[]))
  AND (@any_env::boolean OR environment = ANY(@environments::text[]))
ORDER BY day, application, environment;

-- name: KPIDayChanged
SELECT day, application, environment, counts, vals, event FROM kpi_day
WHERE event > @after ORDER BY event LIMIT @limit;

-- name: KPIActorAdd
INSERT INTO kpi_actor (day, application, actor, event) VALUES (@day, @application, @actor, @event)
ON CONFLICT DO NOTHING;

-- name: KPIActorList
SELECT day, application, actor, event FROM kpi_actor
WHERE day >= @from::text AND day < @to::text ORDER BY day, application, actor;

-- name: KPIActorChanged
SELECT day, application, actor, event FROM kpi_actor
WHERE event > @after ORDER BY event, day, application, actor LIMIT @limit;
