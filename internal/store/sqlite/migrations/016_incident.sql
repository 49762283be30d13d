-- Incidents (model.Incident): periods when an application misbehaved in an
-- environment, opened by Alertmanager or the incident API. The id is the
-- caller's or derived from the alert, so a resend inserts nothing (ON
-- CONFLICT DO NOTHING); resolved_at is written once, while it is NULL.
-- Incidents are history, like events: deleting an application or an
-- environment leaves them (no foreign key).
CREATE TABLE incident (
    id          TEXT PRIMARY KEY,
    application TEXT NOT NULL,
    environment TEXT NOT NULL,
    title       TEXT NOT NULL,
    source      TEXT NOT NULL CHECK (source IN ('alertmanager', 'api')),
    started_at  TEXT NOT NULL,
    resolved_at TEXT CHECK (resolved_at IS NULL OR resolved_at >= started_at),
    opened_by   TEXT NOT NULL DEFAULT '',
    resolved_by TEXT NOT NULL DEFAULT '',
    url         TEXT NOT NULL DEFAULT '',
    labels      TEXT,
    recorded_at TEXT NOT NULL
) STRICT;

CREATE INDEX incident_started ON incident (started_at, id);
CREATE INDEX incident_application ON incident (application, started_at, id);
