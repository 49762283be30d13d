-- River's tables, for the single-node recovery at start-up only
-- (store.Store.QueueResetOrphans): every other use of the queue goes
-- through River's API.

-- name: QueueResetOrphanedJobs
UPDATE river_job SET state = 'available', attempted_by = NULL WHERE state = 'running';

-- name: QueueResetLeader
DELETE FROM river_leader;
