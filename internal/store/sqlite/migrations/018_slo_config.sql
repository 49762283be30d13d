-- Resolved SLOs of the applied config (kind SLO: OpenSLO documents with
-- their references inlined, internal/config/openslo_resolve.go), stored as
-- the JSON of model.SLO like every other config kind. Applications'
-- shorthand SLOs are not stored: model.ConfigSLOs derives them.
CREATE TABLE slo_config (
    name        TEXT PRIMARY KEY,
    application TEXT NOT NULL,
    spec        TEXT NOT NULL,
    created_at  TEXT NOT NULL,
    updated_at  TEXT NOT NULL
) STRICT;
