-- SLO evaluations (internal/slo/eval, docs/slos.md): each SLO's latest
-- status (the evaluator's JSON of model.SLOStatus), its history points for
-- burn-down charts, the front doors' traffic per minute (the front-door
-- SLI, kept for the longest SLO window), and the evaluator's lease (one
-- replica evaluates at a time).
CREATE TABLE slo_status (
    name        TEXT PRIMARY KEY,
    application TEXT NOT NULL,
    status      TEXT NOT NULL -- JSON of model.SLOStatus
) STRICT;

CREATE TABLE slo_point (
    slo              TEXT NOT NULL,
    at               INTEGER NOT NULL, -- Unix microseconds
    good             REAL NOT NULL,
    total            REAL NOT NULL,
    budget_remaining REAL NOT NULL,
    burn_rate        REAL NOT NULL,
    PRIMARY KEY (slo, at)
) STRICT, WITHOUT ROWID;

CREATE INDEX slo_point_age ON slo_point (at);

CREATE TABLE traffic_minute (
    application TEXT NOT NULL,
    environment TEXT NOT NULL,
    minute      INTEGER NOT NULL, -- Unix seconds of the minute's start
    requests    INTEGER NOT NULL CHECK (requests >= 0),
    errors      INTEGER NOT NULL CHECK (errors >= 0 AND errors <= requests),
    latency     BLOB NOT NULL,    -- latency.EncodeMinute: sparse fine buckets
    PRIMARY KEY (application, environment, minute)
) STRICT, WITHOUT ROWID;

CREATE INDEX traffic_minute_age ON traffic_minute (minute);
-- An SLO over every environment reads an application's minutes by time.
CREATE INDEX traffic_minute_app ON traffic_minute (application, minute);

CREATE TABLE slo_lease (
    name       TEXT PRIMARY KEY CHECK (name = 'evaluator'),
    holder     TEXT NOT NULL,
    expires_at INTEGER NOT NULL -- Unix microseconds
) STRICT;
