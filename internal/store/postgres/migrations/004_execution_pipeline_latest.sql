-- The newest executions of a pipeline (ExecutionRecent: the last runs on the
-- UI's pipelines pages), with the ID as the tie-break of equal creation
-- times, read in order from the index: a pipeline's last runs cost a seek
-- and a few rows, however often it ran. It replaces execution_pipeline,
-- whose key it extends.
DROP INDEX execution_pipeline;
CREATE INDEX execution_pipeline_latest ON execution (pipeline, created_at DESC, id DESC);
