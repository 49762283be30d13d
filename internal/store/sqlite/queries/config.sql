-- Config kinds: applications, environments, pipelines and analysis templates,
-- stored as the JSON of their model types.

-- name: ApplicationSpec
SELECT spec FROM application WHERE name = @name;

-- name: ApplicationInsert
INSERT INTO application (name, spec, created_at, updated_at)
VALUES (@name, @spec, @now, @now);

-- name: ApplicationUpdate
UPDATE application SET spec = @spec, updated_at = @now WHERE name = @name;

-- name: ApplicationList
SELECT spec FROM application ORDER BY name;

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
SELECT spec FROM pipeline
WHERE (@application = '' OR application = @application)
ORDER BY name;

-- name: AnalysisTemplateSpec
SELECT spec FROM analysis_template WHERE name = @name;

-- name: AnalysisTemplateInsert
INSERT INTO analysis_template (name, spec, created_at, updated_at)
VALUES (@name, @spec, @now, @now);

-- name: AnalysisTemplateUpdate
UPDATE analysis_template SET spec = @spec, updated_at = @now WHERE name = @name;

-- name: AnalysisTemplateList
SELECT spec FROM analysis_template ORDER BY name;
