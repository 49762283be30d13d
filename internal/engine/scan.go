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
// gives a job to each stage whose time has come by more than scanGrace and
// that no worker holds, and arms in-process timers for the stages due
// within maxTimer. The usual path needs no scan: a job enqueued with the
// change wakes the workers at once (Queue.Wake), and an in-process timer,
// armed when the change commits, wakes a stage that waits on the dot. The
// scan covers what that path can lose: timers of a server that stopped,
// waits longer than maxTimer, a job River gave up on, a claim whose holder
// is gone. So on a single node it is a slow safety net (30s); with several
// replicas it also finds a dead replica's expired claims, and runs every
// ClaimTTL/8 (1s to 30s): a dead replica's steps move on within
// ClaimTTL plus an eighth of it.

// scanGrace is how long past its WakeAt a stage is left to the job or timer
// that is most likely waking it right now.
const scanGrace = time.Second

// defaultScanInterval is Config.ScanInterval's default.
func defaultScanInterval(singleNode bool, claimTTL time.Duration) time.Duration {
	if singleNode {
		return 30 * time.Second
	}
	return min(max(claimTTL/8, time.Second), 30*time.Second)
}

// scanBatch caps the stages one scan nudges.
const scanBatch = 1000

// queuedJobLost is how long the due scan trusts the job enqueued with a
// stage's change (Stage.QueuedAt) on a single node: a job in the queue is
// not lost, but one River gave up on after all its attempts is, and the
// scan replaces it. (A crashed predecessor's jobs are forgotten at start.)
const queuedJobLost = 15 * time.Minute

// queuedBefore is when a stage's job must have been enqueued for the scan
// to give the stage another. With several replicas a queued job holds its
// stage as a claim does, and as briefly: a replica that died after River
// handed it the job, before the job claimed the stage, leaves the job
// running in River's table until River rescues it (RescueStuckJobsAfter,
// 20 minutes), so the scan trusts it only for ClaimTTL. A second job is
// harmless: the stage's claim lets one of them make the step.
func (e *Engine) queuedBefore(now time.Time) time.Time {
	if e.cfg.SingleNode {
		return now.Add(-queuedJobLost)
	}
	return now.Add(-e.cfg.ClaimTTL)
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
		if err := e.scan(ctx, e.now().Add(-scanGrace)); err != nil && ctx.Err() == nil {
			e.log.Warn("the due scan could not look for due stages; it tries again", "err", err, "in", e.cfg.ScanInterval)
		}
	}
}

// scan gives a job to every unheld active stage due by overdue, and sets
// in-process timers for those due between now and maxTimer from now.
func (e *Engine) scan(ctx context.Context, overdue time.Time) error {
	now := e.now()
	due, err := e.store.StageDue(ctx, store.StageDueParams{Now: now, Before: now.Add(maxTimer), QueuedBefore: e.queuedBefore(now), Limit: scanBatch})
	if err != nil {
		return err
	}
	var jobs []river.InsertManyParams
	for _, ref := range due {
		if ref.WakeAt.After(now) {
			e.wakeLater(ref.ExecutionID, ref.Stage, ref.WakeAt)
			continue
		}
		if ref.WakeAt.After(overdue) {
			continue // its job or timer is most likely on it
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
