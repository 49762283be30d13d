-- Analysis templates: named canary analysis configs (kind AnalysisTemplate)
-- that canary steps name with templateRef.
CREATE TABLE analysis_template (
    name       TEXT PRIMARY KEY,
    spec       TEXT NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
) STRICT;
