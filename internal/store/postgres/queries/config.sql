-- Config kinds: applications, environments, pipelines, analysis templates,
-- teams and grants, stored as the jsonb of their model types.
--
-- ConfigApply writes each object with <Kind>Insert, which does nothing when
-- the name exists, then <Kind>Update, which writes only a spec that differs
-- from the stored one. jsonb reorders keys and normalizes numbers, so the
-- comparison is jsonb equality (the same document), never text equality.

-- name: ApplicationSpec
SELECT spec FROM application WHERE name = @name;

-- name: ApplicationInsert
INSERT INTO application (name, spec, created_at, updated_at)
VALUES (@name, @spec, @now, @now)
ON CONFLICT (name) DO NOTHING;

-- name: ApplicationUpdate
UPDATE application SET spec = @spec, updated_at = @now
WHERE name = @name AND spec IS DISTINCT FROM @spec::jsonb;

-- name: ApplicationList
-- A NULL @limit is no limit.
SELECT spec FROM application
WHERE (cardinality(@applications::text[]) = 0 OR name = ANY(@applications::text[]))
  AND name > @after
ORDER BY name
LIMIT @limit;

-- name: EnvironmentSpec
SELECT spec FROM environment WHERE name = @name;

-- name: EnvironmentInsert
INSERT INTO environment (name, spec, created_at, updated_at)
VALUES (@name, @spec, @now, @now)
ON CONFLICT (name) DO NOTHING;

-- name: EnvironmentUpdate
UPDATE environment SET spec = @spec, updated_at = @now
WHERE name = @name AND spec IS DISTINCT FROM @spec::jsonb;

-- name: EnvironmentList
SELECT spec FROM environment ORDER BY name;

-- name: PipelineSpec
SELECT spec FROM pipeline WHERE name = @name;

-- name: PipelineInsert
INSERT INTO pipeline (name, application, spec, created_at, updated_at)
VALUES (@name, @application, @spec, @now, @now)
ON CONFLICT (name) DO NOTHING;

-- name: PipelineUpdate
UPDATE pipeline SET application = @application, spec = @spec, updated_at = @now
WHERE name = @name AND (spec IS DISTINCT FROM @spec::jsonb OR application <> @application);

-- name: PipelineList
-- A NULL @limit is no limit.
SELECT spec FROM pipeline
WHERE (@application::text = '' OR application = @application)
  AND (cardinality(@applications::text[]) = 0 OR application = ANY(@applications::text[]))
  AND name > @after
ORDER BY name
LIMIT @limit;

-- name: AnalysisTemplateSpec
SELECT spec FROM analysis_template WHERE name = @name;

-- name: AnalysisTemplateInsert
INSERT INTO analysis_template (name, spec, created_at, updated_at)
VALUES (@name, @spec, @now, @now)
ON CONFLICT (name) DO NOTHING;

-- name: AnalysisTemplateUpdate
UPDATE analysis_template SET spec = @spec, updated_at = @now
WHERE name = @name AND spec IS DISTINCT FROM @spec::jsonb;

-- name: AnalysisTemplateList
SELECT spec FROM analysis_template ORDER BY name;

-- name: TeamSpec
SELECT spec FROM team WHERE name = @name;

-- name: TeamInsert
INSERT INTO team (name, spec, created_at, updated_at)
VALUES (@name, @spec, @now, @now)
ON CONFLICT (name) DO NOTHING;

-- name: TeamUpdate
UPDATE team SET spec = @spec, updated_at = @now
WHERE name = @name AND spec IS DISTINCT FROM @spec::jsonb;

-- name: TeamList
SELECT spec FROM team ORDER BY name;

-- name: GrantSpec
SELECT spec FROM access_grant WHERE name = @name;

-- name: GrantInsert
INSERT INTO access_grant (name, spec, created_at, updated_at)
VALUES (@name, @spec, @now, @now)
ON CONFLICT (name) DO NOTHING;

-- name: GrantUpdate
UPDATE access_grant SET spec = @spec, updated_at = @now
WHERE name = @name AND spec IS DISTINCT FROM @spec::jsonb;

-- name: GrantList
SELECT spec FROM access_grant ORDER BY name;

-- name: NotificationSpec
SELECT spec FROM notification WHERE name = @name;

-- name: NotificationInsert
INSERT INTO notification (name, spec, created_at, updated_at)
VALUES (@name, @spec, @now, @now)
ON CONFLICT (name) DO NOTHING;

-- name: NotificationUpdate
UPDATE notification SET spec = @spec, updated_at = @now
WHERE name = @name AND spec IS DISTINCT FROM @spec::jsonb;

-- name: NotificationList
SELECT spec FROM notification ORDER BY name;

-- name: SLOSpec
SELECT spec FROM slo_config WHERE name = @name;

-- name: SLOInsert
INSERT INTO slo_config (name, application, spec, created_at, updated_at)
VALUES (@name, @application, @spec, @now, @now)
ON CONFLICT (name) DO NOTHING;

-- name: SLOUpdate
UPDATE slo_config SET application = @application, spec = @spec, updated_at = @now
WHERE name = @name AND spec IS DISTINCT FROM @spec::jsonb;

-- name: SLOList
SELECT spec FROM slo_config ORDER BY name;

-- name: ConfigRevisionBump
INSERT INTO config_revision (id, revision) VALUES (1, 1)
ON CONFLICT (id) DO UPDATE SET revision = config_revision.revision + 1;

-- name: ConfigRevisionGet
SELECT coalesce(max(revision), 0) FROM config_revision;
