-- 001_init: gennaker's tables. Times are UTC text in a fixed-width RFC 3339
-- form (2006-01-02T15:04:05.000000000Z), so they sort as text; JSON columns
-- hold documents of the model types.

CREATE TABLE application (
    name       TEXT PRIMARY KEY,
    spec       TEXT NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
) STRICT;

CREATE TABLE environment (
    name       TEXT PRIMARY KEY,
    spec       TEXT NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
) STRICT;

CREATE TABLE pipeline (
    name        TEXT PRIMARY KEY,
    application TEXT NOT NULL,
    spec        TEXT NOT NULL,
    created_at  TEXT NOT NULL,
    updated_at  TEXT NOT NULL
) STRICT;

CREATE INDEX pipeline_application ON pipeline (application);

CREATE TABLE execution (
    id          TEXT PRIMARY KEY,
    pipeline    TEXT NOT NULL,
    application TEXT NOT NULL,
    status      TEXT NOT NULL CHECK (status IN ('running', 'succeeded', 'failed', 'canceled')),
    reason      TEXT NOT NULL DEFAULT '',
    params      TEXT NOT NULL,
    trigger     TEXT NOT NULL,
    spec        TEXT NOT NULL,
    created_at  TEXT NOT NULL,
    ended_at    TEXT
) STRICT;

CREATE INDEX execution_created ON execution (created_at DESC, id DESC);
CREATE INDEX execution_application ON execution (application, created_at DESC);
CREATE INDEX execution_pipeline ON execution (pipeline, created_at DESC);

CREATE TABLE stage (
    execution_id TEXT NOT NULL REFERENCES execution (id) ON DELETE CASCADE,
    name         TEXT NOT NULL,
    position     INTEGER NOT NULL,
    type         TEXT NOT NULL,
    status       TEXT NOT NULL CHECK (status IN (
        'pending', 'running', 'waiting', 'succeeded', 'failed', 'failed_continue', 'skipped', 'canceled')),
    reason       TEXT NOT NULL DEFAULT '',
    -- version counts writes, for optimistic concurrency (see StageUpdate).
    version      INTEGER NOT NULL DEFAULT 0,
    attempt      INTEGER NOT NULL DEFAULT 0,
    state        TEXT,
    output       TEXT,
    judgment     TEXT,
    started_at   TEXT,
    ended_at     TEXT,
    deadline     TEXT,
    PRIMARY KEY (execution_id, name)
) STRICT;

-- event is the append-only delivery log the KPIs read.
CREATE TABLE event (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    time         TEXT NOT NULL,
    kind         TEXT NOT NULL,
    application  TEXT NOT NULL DEFAULT '',
    environment  TEXT NOT NULL DEFAULT '',
    version      TEXT NOT NULL DEFAULT '',
    execution_id TEXT NOT NULL DEFAULT '',
    stage        TEXT NOT NULL DEFAULT '',
    trigger      TEXT NOT NULL DEFAULT '',
    actor        TEXT NOT NULL DEFAULT '',
    commit_sha   TEXT NOT NULL DEFAULT '',
    commit_time  TEXT,
    action       TEXT NOT NULL DEFAULT '',
    detail       TEXT NOT NULL DEFAULT ''
) STRICT;

CREATE INDEX event_application ON event (application, environment, id);

CREATE TRIGGER event_no_update BEFORE UPDATE ON event
BEGIN
    SELECT RAISE(ABORT, 'event is append-only: events are never updated');
END;

CREATE TRIGGER event_no_delete BEFORE DELETE ON event
BEGIN
    SELECT RAISE(ABORT, 'event is append-only: events are never deleted');
END;

CREATE TABLE server_group (
    name         TEXT PRIMARY KEY,
    application  TEXT NOT NULL,
    environment  TEXT NOT NULL,
    sequence     INTEGER NOT NULL CHECK (sequence > 0),
    version      TEXT NOT NULL,
    role         TEXT NOT NULL CHECK (role IN ('production', 'canary', 'baseline')),
    status       TEXT NOT NULL CHECK (status IN ('creating', 'up', 'disabled', 'destroyed')),
    instances    INTEGER NOT NULL CHECK (instances >= 0),
    weight       INTEGER NOT NULL CHECK (weight BETWEEN 0 AND 100),
    env          TEXT NOT NULL,
    execution_id TEXT NOT NULL DEFAULT '',
    last_good    INTEGER NOT NULL DEFAULT 0 CHECK (last_good IN (0, 1)),
    rolled_back  INTEGER NOT NULL DEFAULT 0 CHECK (rolled_back IN (0, 1)),
    created_at   TEXT NOT NULL,
    updated_at   TEXT NOT NULL,
    UNIQUE (application, environment, sequence)
) STRICT;

CREATE TABLE analysis_record (
    execution_id TEXT NOT NULL,
    stage        TEXT NOT NULL,
    sequence     INTEGER NOT NULL,
    started_at   TEXT NOT NULL,
    ended_at     TEXT NOT NULL,
    outcome      TEXT NOT NULL,
    score        REAL NOT NULL,
    reason       TEXT NOT NULL DEFAULT '',
    measurements TEXT,
    verdict      TEXT,
    PRIMARY KEY (execution_id, stage, sequence),
    FOREIGN KEY (execution_id, stage) REFERENCES stage (execution_id, name) ON DELETE CASCADE
) STRICT;
