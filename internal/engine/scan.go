package engine

import (
	"context"
	"fmt"
	"time"

	"github.com/riverqueue/river"

	"github.com/gennaker/gennaker/internal/store"
)

// The due scan keeps the engine's promise that every active stage moves on:
// each stage stores when it is due (WakeAt), and every ScanInterval the scan
// gives a job to each stage whose time has come by more than one interval
// and that no worker holds. The usual path is faster (a job enqueued with
// the change, or an in-process timer on the dot); the scan covers what that
// path can lose: timers of a server that stopped, waits longer than
// maxTimer, a job River gave up on, a claim whose holder is gone.

// scanBatch caps the stages one scan nudges.
const scanBatch = 1000

// queuedJobLost is how long the due scan trusts the job enqueued with a
// stage's change (Stage.QueuedAt): a job in the queue is not lost, but one
// River gave up on after all its attempts is, and the scan replaces it.
const queuedJobLost = 15 * time.Minute

// queuedTrust is how long the due scan trusts a stage's queued job. With
// several replicas, one may die after its worker fetched the job and
// before the job claimed the stage: River rescues such a job only after
// RescueStuckJobsAfter (minutes), so the scan trusts it no longer than a
// claim (ClaimTTL) and gives the stage another job. A job queued behind
// others that is then replaced does no harm: one claim wins and the other
// job finds the stage held or moved on.
func (e *Engine) queuedTrust() time.Duration {
	if e.cfg.SingleNode {
		return queuedJobLost // a dead process's queued jobs are dropped at start
	}
	return min(queuedJobLost, e.cfg.ClaimTTL)
}

// scanLoop runs the due scan every ScanInterval until ctx ends.
func (e *Engine) scanLoop(ctx context.Context) {
	defer close(e.scanned)
	tick := time.NewTicker(e.cfg.ScanInterval)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
		// A stage due within the last interval is most likely being woken
		// by its job or timer right now; give those a moment.
		if err := e.scan(ctx, e.now().Add(-e.cfg.ScanInterval)); err != nil && ctx.Err() == nil {
			e.log.Warn("the due scan could not look for due stages; it tries again", "err", err, "in", e.cfg.ScanInterval)
		}
	}
}

// scan gives a job to every unheld active stage due by before, and sets
// in-process timers for those due between now and before.
func (e *Engine) scan(ctx context.Context, before time.Time) error {
	now := e.now()
	due, err := e.store.StageDue(ctx, store.StageDueParams{Now: now, Before: before, QueuedBefore: now.Add(-e.queuedTrust()), Limit: scanBatch})
	if err != nil {
		return err
	}
	var jobs []river.InsertManyParams
	for _, ref := range due {
		if ref.WakeAt.After(now) {
			e.wakeLater(ref.ExecutionID, ref.Stage, ref.WakeAt)
			continue
		}
		jobs = append(jobs, river.InsertManyParams{Args: stageArgs{ExecutionID: ref.ExecutionID, Stage: ref.Stage, Scanner: e.id}, InsertOpts: scanInsertOpts})
	}
	if len(jobs) == 0 {
		return nil
	}
	if err := e.queue.InsertMany(ctx, jobs); err != nil {
		return fmt.Errorf("giving %d due stages a job: %w", len(jobs), err)
	}
	e.log.Debug("due scan gave stages a job", "stages", len(jobs))
	return nil
}
