-- The commit-order lock: see commit_order.go.

-- name: CommitOrderLock
-- Transaction-level, held until the transaction commits or rolls back, and
-- re-entrant within it. 7453012559749473650 is 'gnkorder' in ASCII (the
-- migration lock is 'gennaker', the audit chain's 'gnkaudit').
SELECT pg_advisory_xact_lock(7453012559749473650);
