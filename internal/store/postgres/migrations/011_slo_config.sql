-- Resolved SLOs of the applied config (kind SLO: OpenSLO documents with
-- their references inlined, internal/config/openslo_resolve.go), stored as
-- the JSON of model.SLO like every other config kind. Applications'
-- shorthand SLOs are not stored: model.ConfigSLOs derives them.
CREATE TABLE slo_config (
    name        text PRIMARY KEY,
    application text NOT NULL,
    spec        jsonb NOT NULL,
    created_at  timestamptz NOT NULL,
    updated_at  timestamptz NOT NULL
);
