-- Incidents: written once, resolved at most once.

-- name: IncidentInsert
-- One conditional write: it returns the row only when it wrote it;
-- otherwise IncidentGet reads the stored one.
INSERT INTO incident (id, application, environment, title, source, started_at, resolved_at, opened_by, resolved_by, url, labels, recorded_at)
VALUES (@id, @application, @environment, @title, @source, @started_at, @resolved_at, @opened_by, @resolved_by, @url, @labels, @recorded_at)
ON CONFLICT (id) DO NOTHING
RETURNING id;

-- name: IncidentGet
SELECT id, application, environment, title, source, started_at, resolved_at, opened_by, resolved_by, url, labels, recorded_at
FROM incident WHERE id = @id;

-- name: IncidentList
-- The cursor (@before_started_at, @before_id) is always compared, so SQLite
-- seeks into incident_started; without a cursor it is ('~', ''): '~' sorts
-- after every stored time.
SELECT id, application, environment, title, source, started_at, resolved_at, opened_by, resolved_by, url, labels, recorded_at
FROM incident
WHERE (@application = '' OR application = @application)
  AND (json_array_length(@applications) = 0 OR application IN (SELECT value FROM json_each(@applications)))
  AND (@environment = '' OR environment = @environment)
  AND (NOT @open_only OR resolved_at IS NULL)
  AND (started_at, id) < (coalesce(@before_started_at, '~'), @before_id)
ORDER BY started_at DESC, id DESC
LIMIT @limit;

-- name: IncidentResolve
-- The guarded transition: only an open incident is resolved.
UPDATE incident SET resolved_at = @at, resolved_by = @by
WHERE id = @id AND resolved_at IS NULL
RETURNING id;
