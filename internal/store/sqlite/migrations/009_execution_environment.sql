-- execution_environment lists the environments each execution may change
-- (its deploy and rollback stages': model.StageSpec.Environments), so "the
-- newest execution of this application in this environment" is one index
-- probe instead of decoding the specs of its recent executions.
-- ExecutionInsert writes the rows with the execution; this migration fills
-- them in for the executions stored before it.
CREATE TABLE execution_environment (
    execution_id TEXT NOT NULL REFERENCES execution (id) ON DELETE CASCADE,
    environment  TEXT NOT NULL,
    application  TEXT NOT NULL,
    created_at   TEXT NOT NULL,
    PRIMARY KEY (execution_id, environment)
) STRICT, WITHOUT ROWID;

CREATE INDEX execution_environment_latest ON execution_environment (application, environment, created_at DESC, execution_id DESC);

INSERT OR IGNORE INTO execution_environment (execution_id, environment, application, created_at)
SELECT e.id, env.value, e.application, e.created_at
FROM execution e, json_each(e.spec, '$.stages') st,
     json_each(coalesce(json_extract(st.value, '$.deploy.environments'),
                        json_array(coalesce(json_extract(st.value, '$.deploy.environment'),
                                            json_extract(st.value, '$.rollback.environment'))))) env
WHERE env.value IS NOT NULL AND env.value <> '';

-- The newest execution of an application, with the ID as the tie-break of
-- equal creation times, read from the index alone. It replaces
-- execution_application, whose key it extends.
DROP INDEX execution_application;
CREATE INDEX execution_application_latest ON execution (application, created_at DESC, id DESC);
