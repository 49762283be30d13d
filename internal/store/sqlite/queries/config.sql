-- Config kinds: applications, environments, pipelines, analysis templates,
-- teams and grants, stored as the JSON of their model types.

-- name: ApplicationSpec
SELECT spec FROM application WHERE name = @name;

-- name: ApplicationInsert
INSERT INTO application (name, spec, created_at, updated_at)
VALUES (@name, @spec, @now, @now);

-- name: ApplicationUpdate
UPDATE application SET spec = @spec, updated_at = @now WHERE name = @name;

-- name: ApplicationList
-- A @limit of -1 is no limit.
SELECT spec FROM application
WHERE (json_array_length(@applications) = 0 OR name IN (SELECT value FROM json_each(@applications)))
  AND name > @after
ORDER BY name
LIMIT @limit;

-- name: EnvironmentSpec
SELECT spec FROM environment WHERE name = @name;

-- name: EnvironmentInsert
INSERT INTO environment (name, spec, created_at, updated_at)
VALUES (@name, @spec, @now, @now);

-- name: EnvironmentUpdate
UPDATE environment SET spec = @spec, updated_at = @now WHERE name = @name;

-- name: EnvironmentList
SELECT spec FROM environment ORDER BY name;

-- name: PipelineSpec
SELECT spec FROM pipeline WHERE name = @name;

-- name: PipelineInsert
INSERT INTO pipeline (name, application, spec, created_at, updated_at)
VALUES (@name, @application, @spec, @now, @now);

-- name: PipelineUpdate
UPDATE pipeline SET application = @application, spec = @spec, updated_at = @now WHERE name = @name;

-- name: PipelineList
-- A @limit of -1 is no limit.
SELECT spec FROM pipeline
WHERE (@application = '' OR application = @application)
  AND (json_array_length(@applications) = 0 OR application IN (SELECT value FROM json_each(@applications)))
  AND name > @after
ORDER BY name
LIMIT @limit;

-- name: AnalysisTemplateSpec
SELECT spec FROM analysis_template WHERE name = @name;

-- name: AnalysisTemplateInsert
INSERT INTO analysis_template (name, spec, created_at, updated_at)
VALUES (@name, @spec, @now, @now);

-- name: AnalysisTemplateUpdate
UPDATE analysis_template SET spec = @spec, updated_at = @now WHERE name = @name;

-- name: AnalysisTemplateList
SELECT spec FROM analysis_template ORDER BY name;

-- name: TeamSpec
SELECT spec FROM team WHERE name = @name;

-- name: TeamInsert
INSERT INTO team (name, spec, created_at, updated_at)
VALUES (@name, @spec, @now, @now);

-- name: TeamUpdate
UPDATE team SET spec = @spec, updated_at = @now WHERE name = @name;

-- name: TeamList
SELECT spec FROM team ORDER BY name;

-- name: GrantSpec
SELECT spec FROM access_grant WHERE name = @name;

-- name: GrantInsert
INSERT INTO access_grant (name, spec, created_at, updated_at)
VALUES (@name, @spec, @now, @now);

-- name: GrantUpdate
UPDATE access_grant SET spec = @spec, updated_at = @now WHERE name = @name;

-- name: GrantList
SELECT spec FROM access_grant ORDER BY name;

-- name: NotificationSpec
SELECT spec FROM notification WHERE name = @name;

-- name: NotificationInsert
INSERT INTO notification (name, spec, created_at, updated_at)
VALUES (@name, @spec, @now, @now);

-- name: NotificationUpdate
UPDATE notification SET spec = @spec, updated_at = @now WHERE name = @name;

-- name: NotificationList
SELECT spec FROM notification ORDER BY name;

-- name: SLOSpec
SELECT spec FROM slo_config WHERE name = @name;

-- name: SLOInsert
INSERT INTO slo_config (name, application, spec, created_at, updated_at)
VALUES (@name, @application, @spec, @now, @now);

-- name: SLOUpdate
UPDATE slo_config SET application = @application, spec = @spec, updated_at = @now WHERE name = @name;

-- name: SLOList
SELECT spec FROM slo_config ORDER BY name;

-- name: ConfigRevisionBump
INSERT INTO config_revision (id, revision) VALUES (1, 1)
ON CONFLICT (id) DO UPDATE SET revision = config_revision.revision + 1;

-- name: ConfigRevisionGet
SELECT coalesce(max(revision), 0) FROM config_revision;
