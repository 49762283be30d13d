package engine

import (
	"context"
	"fmt"
	"sync"

	"github.com/gennaker/gennaker/internal/model"
)

// Eager start: the server that starts an execution claims its first stage
// in the start's transaction and makes that stage's steps itself, carrying
// on inline as a job does, instead of giving the stage a job that some
// worker then fetches, claims and reads. That saves the start's job insert
// and wake-up, the fetch, the claim and the read: about four of a
// five-stage execution's twenty-odd round trips to PostgreSQL (Temporal's
// eager workflow start is the same idea). Nothing else changes: the claim
// is stored with the start, so a server that dies with it leaves a stage
// whose claim expires (Config.ClaimTTL; dropped at start on a single
// node) and which the due scan then gives a job.
//
// At most Config.EagerStarts executions are carried on eagerly at once; past
// that, and before Start or after Stop, a start gives its stages jobs as
// before.
type eager struct {
	mu     sync.Mutex
	slots  chan struct{}
	wg     sync.WaitGroup
	ctx    context.Context // cancelled when Stop runs out of time
	cancel context.CancelFunc
}

// starter names the steps an execution's starting server makes:
// "start/EXECUTION/N" for the N-th.
type starter string

func (s starter) step(n int) string { return fmt.Sprintf("start/%s/%d", string(s), n) }

// startEager readies eager starts; Start calls it.
func (e *Engine) startEager() {
	e.eager.mu.Lock()
	defer e.eager.mu.Unlock()
	e.eager.ctx, e.eager.cancel = context.WithCancel(context.Background())
	if e.cfg.EagerStarts > 0 {
		e.eager.slots = make(chan struct{}, e.cfg.EagerStarts)
	}
}

// reserveEager takes a slot for an eager start, if one is free and the
// engine is running. The caller gives it back with releaseEager unless it
// hands it to carryOn.
func (e *Engine) reserveEager() bool {
	e.eager.mu.Lock()
	defer e.eager.mu.Unlock()
	if e.eager.slots == nil || e.stopping.Load() {
		return false
	}
	select {
	case e.eager.slots <- struct{}{}:
		e.eager.wg.Add(1)
		return true
	default:
		return false
	}
}

func (e *Engine) releaseEager() {
	<-e.eager.slots
	e.eager.wg.Done()
}

// carryOn makes the steps of the stage a start claimed for s, and of the
// stages they leave due at once, as a job does (Engine.carry), and gives
// its slot back. An error leaves the stage claimed: its claim expires and
// the due scan gives it a job, which makes the step again.
func (e *Engine) carryOn(s starter, execID, target string, snapshot *model.Execution) {
	defer e.releaseEager()
	ctx, cancel := context.WithTimeout(e.eager.ctx, jobTimeout)
	defer cancel()
	if err := e.carry(ctx, execID, target, s.step, snapshot, ""); err != nil {
		e.log.Warn("a step of a started execution failed; the stage is made again when its claim expires", "execution", execID, "stage", target, "err", err)
	}
}

// stopEager waits for the executions being carried on eagerly to finish
// their step; when ctx ends first, it cancels them (a step's result is
// still stored) and waits for them.
func (e *Engine) stopEager(ctx context.Context) {
	e.eager.mu.Lock() // no reserveEager from here on: stopping is set
	cancel := e.eager.cancel
	e.eager.mu.Unlock()
	if cancel == nil {
		return
	}
	done := make(chan struct{})
	go func() { e.eager.wg.Wait(); close(done) }()
	select {
	case <-done:
	case <-ctx.Done():
		cancel()
		<-done
	}
	cancel()
}
