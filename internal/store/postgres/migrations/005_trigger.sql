-- 005_trigger: pipeline triggers. trigger_firing claims each delivery of a
-- trigger (a webhook's delivery ID, a tag@digest, a commit, a tick) for the
-- one execution it started: the primary key makes a second start of the
-- same delivery impossible, and the claim commits with its execution.
-- trigger_state is a trigger's run-time state: paused, its source's cursor,
-- its last firing.
CREATE TABLE trigger_firing (
    trigger_key  text NOT NULL CHECK (trigger_key <> ''),
    delivery_id  text NOT NULL CHECK (delivery_id <> ''),
    execution_id text NOT NULL CHECK (execution_id <> ''),
    fired_at     timestamptz NOT NULL,
    PRIMARY KEY (trigger_key, delivery_id)
);

CREATE TABLE trigger_state (
    trigger_key   text PRIMARY KEY CHECK (trigger_key <> ''),
    paused        boolean NOT NULL DEFAULT false,
    paused_by     text NOT NULL DEFAULT '',
    paused_at     timestamptz,
    -- cursor is the source's own JSON, opaque to the store.
    cursor        bytea,
    last_fired_at timestamptz,
    last_error    text NOT NULL DEFAULT '',
    -- looked_at is when a polling source was last looked at (recorded
    -- when the outcome of a look changes, and at least every 10 minutes).
    looked_at     timestamptz,
    updated_at    timestamptz NOT NULL
);
