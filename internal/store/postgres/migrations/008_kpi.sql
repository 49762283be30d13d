-- 008_kpi: SQLite's 015. The delivery KPIs' rollups (internal/kpi): the
-- fold's cursor (its row lock lets one replica fold each event), working
-- documents, one rollup per day, application and environment, and who was
-- active on which day.
-- kpi_cursor has its one row once the fold first runs (KPICursorLock).
CREATE TABLE kpi_cursor (
    id         integer PRIMARY KEY CHECK (id = 1),
    last_event bigint NOT NULL
);

CREATE TABLE kpi_doc (
    kind text NOT NULL,
    key  text NOT NULL,
    doc  bytea NOT NULL,
    PRIMARY KEY (kind, key)
);

CREATE TABLE kpi_day (
    day         date NOT NULL,
    application text NOT NULL,
    environment text NOT NULL,
    counts      bytea NOT NULL,
    vals        bytea NOT NULL,
    event       bigint NOT NULL,
    PRIMARY KEY (day, application, environment)
);

CREATE TABLE kpi_actor (
    day         date NOT NULL,
    application text NOT NULL,
    actor       text NOT NULL,
    PRIMARY KEY (day, application, actor)
);
