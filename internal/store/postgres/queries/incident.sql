-- Incidents: written once, resolved at most once.

-- name: IncidentInsert
-- One conditional write: it returns the row only when it wrote it;
-- otherwise IncidentGet (a new snapshot) reads the stored one. A
-- concurrent insert of the same id waits for the first's transaction.
INSERT INTO incident (id, application, environment, title, source, started_at, resolved_at, opened_by, resolved_by, url, labels, recorded_at)
VALUES (@id, @application, @environment, @title, @source, @started_at, @resolved_at, @opened_by, @resolved_by, @url, @labels, @recorded_at)
ON CONFLICT (id) DO NOTHING
RETURNING id;

-- name: IncidentGet
SELECT id, application, environment, title, source, started_at, resolved_at, opened_by, resolved_by, url, labels, recorded_at
FROM incident WHERE id = @id;

-- name: IncidentList
-- Without a cursor @before_started_at is NULL and the row comparison is
-- left out; with one, PostgreSQL seeks into incident_started.
SELECT id, application, environment, title, source, started_at, resolved_at, opened_by, resolved_by, url, labels, recorded_at
FROM incident
WHERE (@application = '' OR application = @application)
  AND (cardinality(@applications::text[]) = 0 OR application = ANY(@applications::text[]))
  AND (@environment = '' OR environment = @environment)
  AND (NOT @open_only::boolean OR resolved_at IS NULL)
  AND (@before_started_at::timestamptz IS NULL OR (started_at, id) < (@before_started_at::timestamptz, @before_id::text))
ORDER BY started_at DESC, id DESC
LIMIT @limit;

-- name: IncidentResolve
-- The guarded transition: only an open incident is resolved. Concurrent
-- resolutions wait on the row; the later ones find it resolved.
UPDATE incident SET resolved_at = @at, resolved_by = @by
WHERE id = @id AND resolved_at IS NULL
RETURNING id;
