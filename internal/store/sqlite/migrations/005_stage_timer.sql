-- Every active stage carries its own timer and, while a worker makes one of
-- its steps, that worker's claim (see store.Queries.StageClaim):
--   wake_at      when the engine looks at the stage next (running: always;
--                waiting: when it waits until a time); the engine's due scan
--                gives a stage whose time has come a job, so no running
--                stage is ever left without one;
--   claimed_by   the worker making the stage's current step, so a second
--                wake-up of the same step does nothing (external calls
--                happen once);
--   claim_until  when an abandoned claim may be taken over;
--   queued_at    when a job was enqueued for it with the change that made it
--                due (cleared by the claim), so the due scan does not give a
--                second job to a stage whose job waits in a busy queue.
ALTER TABLE stage ADD COLUMN wake_at TEXT;
ALTER TABLE stage ADD COLUMN claimed_by TEXT;
ALTER TABLE stage ADD COLUMN claim_until TEXT;
ALTER TABLE stage ADD COLUMN queued_at TEXT;

-- Stages that were active before this version are due at once (a waiting
-- stage's runner says again how long it waits).
UPDATE stage SET wake_at = strftime('%Y-%m-%dT%H:%M:%S', 'now') || '.000000000Z' WHERE status IN ('running', 'waiting');

CREATE INDEX stage_due ON stage (wake_at) WHERE status IN ('running', 'waiting') AND wake_at IS NOT NULL;

-- The engine's apply bumps an execution's version under its lock, so a
-- worker whose snapshot has the current version need not read it again.
ALTER TABLE execution ADD COLUMN version INTEGER NOT NULL DEFAULT 0;
