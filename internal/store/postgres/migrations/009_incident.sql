-- 009_incident: SQLite's 016. Incidents (model.Incident): the id is the
-- caller's or derived from the alert, so a resend inserts nothing (ON
-- CONFLICT DO NOTHING; a concurrent insert of the same id waits for the
-- first and then does nothing); resolved_at is written once, while it is
-- NULL. Incidents are history, like events: no foreign key to the
-- application or environment, which may be deleted.
CREATE TABLE incident (
    id          text PRIMARY KEY,
    application text NOT NULL,
    environment text NOT NULL,
    title       text NOT NULL,
    source      text NOT NULL CHECK (source IN ('alertmanager', 'api')),
    started_at  timestamptz NOT NULL,
    resolved_at timestamptz CHECK (resolved_at IS NULL OR resolved_at >= started_at),
    opened_by   text NOT NULL DEFAULT '',
    resolved_by text NOT NULL DEFAULT '',
    url         text NOT NULL DEFAULT '',
    labels      jsonb,
    recorded_at timestamptz NOT NULL
);

CREATE INDEX incident_started ON incident (started_at, id);
CREATE INDEX incident_application ON incident (application, started_at, id);
