-- Stage timers and claims (see the SQLite store's migrations/005_stage_timer.sql).

-- name: StageClaim
-- One conditional write: the stage is active, due, and unclaimed, claimed
-- by this claimant or by the claim it takes over (@takeover: its own job's
-- earlier attempt), or claimed until no later than now. The version bump
-- makes any writer that read the stage before the claim lose. Under READ
-- COMMITTED a second claimant waits for the first's row lock, then checks
-- the WHERE again on the row as the first left it: one wins.
UPDATE stage
SET claimed_by = @claimant, claim_until = @until, queued_at = NULL, version = version + 1
WHERE execution_id = @execution_id AND name = @name
  AND status IN ('running', 'waiting')
  AND wake_at IS NOT NULL AND wake_at <= @now
  AND (claimed_by IS NULL OR claimed_by = @claimant OR claimed_by = @takeover::text
       OR claim_until IS NULL OR claim_until <= @now);

-- name: StageClaimExtend
-- The claim's holder renews it; the version stays, so the holder's own
-- guarded write of its result still matches.
UPDATE stage SET claim_until = @until
WHERE execution_id = @execution_id AND name = @name AND claimed_by = @claimant;

-- name: StageDue
-- Active stages due by @before that nobody holds at @now and that have no
-- job queued since @queued_before, soonest first.
SELECT execution_id, name, wake_at
FROM stage
WHERE status IN ('running', 'waiting') AND wake_at IS NOT NULL AND wake_at <= @before
  AND (claimed_by IS NULL OR claim_until IS NULL OR claim_until <= @now)
  AND (queued_at IS NULL OR queued_at <= @queued_before)
ORDER BY wake_at
LIMIT @limit;

-- name: StageReleaseClaims
-- Also forgets the jobs queued by the dead process (see the SQLite store).
UPDATE stage SET claimed_by = NULL, claim_until = NULL, queued_at = NULL
WHERE claimed_by IS NOT NULL OR queued_at IS NOT NULL;
