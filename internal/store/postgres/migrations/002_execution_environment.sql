-- 002_execution_environment: SQLite's 009. execution_environment lists the
-- environments each execution may change (its deploy and rollback stages':
-- model.StageSpec.Environments), so "the newest execution of this
-- application in this environment" is one index probe instead of decoding
-- the specs of its recent executions. ExecutionInsert writes the rows with
-- the execution; this migration fills them in for those stored before it.
CREATE TABLE execution_environment (
    execution_id text NOT NULL REFERENCES execution (id) ON DELETE CASCADE,
    environment  text NOT NULL,
    application  text NOT NULL,
    created_at   timestamptz NOT NULL,
    PRIMARY KEY (execution_id, environment)
);

CREATE INDEX execution_environment_latest ON execution_environment (application, environment, created_at DESC, execution_id DESC);

INSERT INTO execution_environment (execution_id, environment, application, created_at)
SELECT DISTINCT e.id, env.name, e.application, e.created_at
FROM execution e
CROSS JOIN LATERAL jsonb_array_elements(e.spec -> 'stages') AS st(value)
CROSS JOIN LATERAL (
    SELECT jsonb_array_elements_text(st.value -> 'deploy' -> 'environments')
    UNION ALL SELECT st.value -> 'deploy' ->> 'environment'
    UNION ALL SELECT st.value -> 'rollback' ->> 'environment'
) AS env(name)
WHERE env.name IS NOT NULL AND env.name <> ''
ON CONFLICT DO NOTHING;

-- The newest execution of an application, with the ID as the tie-break of
-- equal creation times, read from the index alone. It replaces
-- execution_application, whose key it extends.
DROP INDEX execution_application;
CREATE INDEX execution_application_latest ON execution (application, created_at DESC, id DESC);
