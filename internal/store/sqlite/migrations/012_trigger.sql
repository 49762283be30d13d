-- 012_trigger: pipeline triggers. trigger_firing claims each delivery of a
-- trigger (a webhook's delivery ID, a tag@digest, a commit, a tick) for the
-- one execution it started: the primary key makes a second start of the
-- same delivery impossible, and the claim commits with its execution.
-- trigger_state is a trigger's run-time state: paused, its source's cursor,
-- its last firing.
CREATE TABLE trigger_firing (
    trigger_key  TEXT NOT NULL CHECK (trigger_key <> ''),
    delivery_id  TEXT NOT NULL CHECK (delivery_id <> ''),
    execution_id TEXT NOT NULL CHECK (execution_id <> ''),
    fired_at     TEXT NOT NULL,
    PRIMARY KEY (trigger_key, delivery_id)
) STRICT;

CREATE TABLE trigger_state (
    trigger_key   TEXT PRIMARY KEY CHECK (trigger_key <> ''),
    paused        INTEGER NOT NULL DEFAULT 0 CHECK (paused IN (0, 1)),
    paused_by     TEXT NOT NULL DEFAULT '',
    paused_at     TEXT,
    -- cursor is the source's own JSON, opaque to the store.
    cursor        BLOB,
    last_fired_at TEXT,
    last_error    TEXT NOT NULL DEFAULT '',
    -- looked_at is when a polling source was last looked at (recorded
    -- when the outcome of a look changes, and at least every 10 minutes).
    looked_at     TEXT,
    updated_at    TEXT NOT NULL
) STRICT;
