-- traffic_second keeps the local front door's per-second traffic of each
-- server group (the statistical judge's front-door samples), flushed from
-- memory every few seconds, so an analysis interval that spans a restart of
-- the server is judged on all its data. Kept two hours.
CREATE TABLE traffic_second (
    application  TEXT NOT NULL,
    environment  TEXT NOT NULL,
    server_group TEXT NOT NULL,
    second       INTEGER NOT NULL, -- Unix seconds
    requests     INTEGER NOT NULL,
    errors       INTEGER NOT NULL,
    sum_seconds  REAL NOT NULL,
    buckets      TEXT NOT NULL,    -- JSON array of counts per latency bucket
    PRIMARY KEY (application, environment, server_group, second)
) STRICT, WITHOUT ROWID;

CREATE INDEX traffic_second_age ON traffic_second (second);
