-- The delivery KPIs' rollups (internal/kpi, docs/kpis.md): the fold's
-- cursor over the event log, its working documents (per application and
-- environment, per running execution, per application), one rollup per
-- day, application and environment, and who was active on which day.
-- kpi_cursor has its one row once the fold first runs (KPICursorLock).
CREATE TABLE kpi_cursor (
    id         INTEGER PRIMARY KEY CHECK (id = 1),
    last_event INTEGER NOT NULL
);

CREATE TABLE kpi_doc (
    kind TEXT NOT NULL,
    key  TEXT NOT NULL,
    doc  BLOB NOT NULL,
    PRIMARY KEY (kind, key)
) WITHOUT ROWID;

CREATE TABLE kpi_day (
    day         TEXT NOT NULL, -- YYYY-MM-DD, UTC
    application TEXT NOT NULL,
    environment TEXT NOT NULL,
    counts      BLOB NOT NULL,
    vals        BLOB NOT NULL,
    event       INTEGER NOT NULL,
    PRIMARY KEY (day, application, environment)
) WITHOUT ROWID;

CREATE TABLE kpi_actor (
    day         TEXT NOT NULL,
    application TEXT NOT NULL,
    actor       TEXT NOT NULL,
    PRIMARY KEY (day, application, actor)
) WITHOUT ROWID;
