-- 010_slo: SQLite's 017. SLO evaluations (internal/slo/eval): each SLO's
-- latest status (JSON of model.SLOStatus), its history points, the front
-- doors' traffic per minute (kept for the longest SLO window), and the
-- evaluator's lease (one replica evaluates at a time: a conditional upsert).
CREATE TABLE slo_status (
    name        text PRIMARY KEY,
    application text NOT NULL,
    status      jsonb NOT NULL
);

CREATE TABLE slo_point (
    slo              text NOT NULL,
    at               bigint NOT NULL, -- Unix microseconds
    good             double precision NOT NULL,
    total            double precision NOT NULL,
    budget_remaining double precision NOT NULL,
    burn_rate        double precision NOT NULL,
    PRIMARY KEY (slo, at)
);

CREATE INDEX slo_point_age ON slo_point (at);

CREATE TABLE traffic_minute (
    application text NOT NULL,
    environment text NOT NULL,
    minute      bigint NOT NULL, -- Unix seconds of the minute's start
    requests    bigint NOT NULL CHECK (requests >= 0),
    errors      bigint NOT NULL CHECK (errors >= 0 AND errors <= requests),
    latency     bytea NOT NULL,  -- latency.EncodeMinute: sparse fine buckets
    PRIMARY KEY (application, environment, minute)
);

CREATE INDEX traffic_minute_age ON traffic_minute (minute);
-- An SLO over every environment reads an application's minutes by time.
CREATE INDEX traffic_minute_app ON traffic_minute (application, minute);

CREATE TABLE slo_lease (
    name       text PRIMARY KEY CHECK (name = 'evaluator'),
    holder     text NOT NULL,
    expires_at bigint NOT NULL -- Unix microseconds
);
