package engine

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/riverqueue/river"

	"github.com/gennaker/gennaker/internal/model"
	"github.com/gennaker/gennaker/internal/stage"
	"github.com/gennaker/gennaker/internal/store"
)

// stageArgs is the durable job "look at this stage". Jobs are nudges: a
// job takes the stage's claim before it does anything (store.StageClaim),
// and a stage that is not due, or held by another worker, or has moved on,
// makes the job do nothing; so stale and duplicate jobs are harmless.
type stageArgs struct {
	ExecutionID string `json:"execution_id"`
	Stage       string `json:"stage"`
	// Scanner is set on the due scan's jobs to the engine that inserted
	// them: they are unique per stage and engine (at most one waits per
	// stage, however often the scan finds it due), and a job a dead server
	// left "running" does not block the jobs of the one that replaced it.
	Scanner string `json:"scanner,omitempty"`
}

func (stageArgs) Kind() string { return "gennaker_stage" }

type stageWorker struct {
	river.WorkerDefaults[stageArgs]
	engine *Engine
}

// lostWriteDelay is how long a step whose write lost a race waits before
// it is made again.
const lostWriteDelay = time.Second

// storeResultFor bounds how long a step keeps trying to store its result
// (a database locked by another process, failing writes) once its call is
// made; past it the job fails and the step is made again.
const storeResultFor = 5 * time.Minute

// defaultClaimTTL is how long a step's claim holds unless renewed
// (Config.ClaimTTL): the worker making the step renews it every third of
// that while the step runs, so only a worker that is gone (a replica
// killed, a machine lost) loses its claim, and another replica makes the
// step again about this long after.
const defaultClaimTTL = 20 * time.Second

// Work makes steps of a stage. When a step leaves a stage due at once (the
// next step of a deploy, or the one stage a finished stage started), the
// same transaction claims it for this job, which carries on with it, up to
// Config.Inline steps; the claim is stored, so the stage is never without
// someone to move it.
func (w *stageWorker) Work(ctx context.Context, job *river.Job[stageArgs]) error {
	e := w.engine
	c := claimant{job: job.ID, attempt: job.Attempt}
	target, takeover := job.Args.Stage, ""
	if job.Attempt > 1 {
		// An earlier attempt of this job failed: take back the step it held
		// (a stage it was carrying on inline is not the one in its args).
		name, claim, err := e.abandonedClaim(ctx, job.Args.ExecutionID, c)
		if err != nil {
			return err
		}
		if name != "" {
			target, takeover = name, claim
		}
	}
	return e.carry(ctx, job.Args.ExecutionID, target, c.step, nil, takeover)
}

// carry makes the steps of stage target, then of the stage each step
// leaves due at once (claimed for the next step in the same transaction),
// up to Config.Inline steps, the n-th under the claim named claim(n). It
// stops after a step that leaves nothing due at once, or once the engine
// stops. snapshot, when not nil, is the execution as the step that
// claimed target left it; takeover is a claim the first step takes back.
func (e *Engine) carry(ctx context.Context, execID, target string, claim func(n int) string, snapshot *model.Execution, takeover string) error {
	for n := 1; ; n++ {
		next := ""
		if n < e.cfg.Inline {
			next = claim(n + 1)
		}
		inline, after, err := e.step(ctx, execID, target, claim(n), next, snapshot, takeover)
		if err != nil || inline == "" || e.stopping.Load() || ctx.Err() != nil {
			return err
		}
		target, snapshot, takeover = inline, after, ""
	}
}

// claimant names a job's steps: "job/ID/ATTEMPT/N" for its N-th step.
type claimant struct {
	job     int64
	attempt int
}

func (c claimant) step(n int) string { return fmt.Sprintf("job/%d/%d/%d", c.job, c.attempt, n) }

// ofJob reports whether claim was taken by any attempt of c's job.
func (c claimant) ofJob(claim string) bool {
	return strings.HasPrefix(claim, fmt.Sprintf("job/%d/", c.job))
}

// abandonedClaim finds the stage of the execution that an earlier attempt
// of c's job held, if any.
func (e *Engine) abandonedClaim(ctx context.Context, execID string, c claimant) (string, string, error) {
	var exec *model.Execution
	err := retryBriefly(ctx, func() error {
		var err error
		exec, err = e.store.ExecutionGet(ctx, execID)
		return err
	})
	if errors.Is(err, store.ErrNotFound) {
		return "", "", nil
	}
	if err != nil {
		return "", "", err
	}
	for _, st := range exec.Stages {
		if c.ofJob(st.ClaimedBy) {
			return st.Name, st.ClaimedBy, nil
		}
	}
	return "", "", nil
}

// step makes one step of a stage: it claims the stage, reads the execution
// (unless held, the execution as this job's last step left it, says the
// stage was claimed for this step already), calls the stage's runner once,
// and applies the result. It returns the stage claimed for next, which the
// caller carries on with, and the execution as this step left it.
func (e *Engine) step(ctx context.Context, execID, name, claim, next string, held *model.Execution, takeover string) (string, *model.Execution, error) {
	exec := held
	if exec == nil {
		// Both are safe to repeat: a claim whose answer was lost is this
		// claimant's already, and the claim succeeds again.
		var ok bool
		err := retryBriefly(ctx, func() error {
			now := e.now()
			var err error
			ok, err = e.store.StageClaim(ctx, store.StageClaimParams{ExecutionID: execID, Stage: name, Claimant: claim, Takeover: takeover, Now: now, Until: now.Add(e.cfg.ClaimTTL)})
			return err
		})
		if err != nil {
			return "", nil, fmt.Errorf("execution %s stage %s: claiming the step: %w", execID, name, err)
		}
		if !ok {
			return "", nil, nil // not due, held by another worker, or moved on
		}
		err = retryBriefly(ctx, func() error {
			var err error
			exec, err = e.store.ExecutionGet(ctx, execID)
			return err
		})
		if errors.Is(err, store.ErrNotFound) {
			e.log.Warn("job for an execution that does not exist; dropping it", "execution", execID)
			return "", nil, nil
		}
		if err != nil {
			return "", nil, fmt.Errorf("execution %s stage %s: reading it: %w", execID, name, err)
		}
	}
	st := findStage(exec, name)
	if st == nil || st.ClaimedBy != claim {
		return "", nil, nil
	}
	stopRenewing := e.renewClaim(ctx, execID, name, claim)
	res := e.run(ctx, cloneExecution(exec), st)
	// The call is made: its result is stored even when the job is being
	// stopped or timed out, or a restart would make the call again.
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), storeResultFor)
	defer cancel()
	defer stopRenewing()
	ev := StepDone{Stage: name, Claim: claim, Version: st.Version, Result: res, NextClaim: next, ClaimUntil: e.now().Add(e.cfg.ClaimTTL)}
	prepare := func(context.Context, store.Tx, *model.Execution) (Event, error) { return ev, nil }
	eff, after, err := e.apply(ctx, execID, exec, untilStored, nil, prepare)
	var lost *writeLostError
	if errors.As(err, &lost) {
		// A write of the runner's lost a race (a name taken, a lease or a
		// guarded status moved): the step is made again from the state it
		// started from, after lostWriteDelay, so a runner whose write always
		// loses (a bug) makes one step a second, not one after another.
		e.log.Debug("a write of the stage lost a race; making the step again", "execution", execID, "stage", name, "err", err)
		ev.Result = stage.Result{Outcome: stage.Continue, At: e.now().Add(lostWriteDelay)}
		eff, after, err = e.apply(ctx, execID, nil, untilStored, nil, prepare)
	}
	if err != nil {
		return "", nil, fmt.Errorf("execution %s stage %s: storing the result: %w", execID, name, err)
	}
	if eff.Dropped != "" {
		e.log.Debug("step result not applied", "execution", execID, "stage", name, "why", eff.Dropped)
		after = nil // a retry after a lost answer: read the execution again
	}
	return eff.Inline, after, nil
}

// renewClaim keeps this worker's claim on a stage alive while its step
// runs and its result is stored, renewing it every third of the claim's
// TTL; the returned func stops it. A renewal that finds the claim gone
// (another worker took over after the database was out of reach for a
// whole TTL) stops renewing: the step's result then loses its guarded
// write, and the step is made by the new holder.
func (e *Engine) renewClaim(ctx context.Context, execID, name, claim string) func() {
	ctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	done := make(chan struct{})
	go func() {
		defer close(done)
		tick := time.NewTicker(e.cfg.ClaimTTL / 3)
		defer tick.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-tick.C:
			}
			ok, err := e.store.StageClaimExtend(ctx, store.StageClaimExtendParams{
				ExecutionID: execID, Stage: name, Claimant: claim, Until: e.now().Add(e.cfg.ClaimTTL),
			})
			switch {
			case err != nil && ctx.Err() == nil:
				e.log.Warn("could not renew a step's claim; trying again", "execution", execID, "stage", name, "err", err)
			case err == nil && !ok:
				return // the result was stored, or another worker has the stage
			}
		}
	}()
	return func() { cancel(); <-done }
}

// run calls the stage's runner once, under the stage's deadline; past the
// deadline it calls it canceled (so a deploy undoes itself) and the result
// is a failure "timed out after ...".
func (e *Engine) run(ctx context.Context, exec *model.Execution, st *model.Stage) stage.Result {
	spec, ok := findSpec(exec, st.Name)
	if !ok {
		return stage.Result{Outcome: stage.Failed, Reason: "the execution's pipeline snapshot has no stage " + st.Name}
	}
	runner := e.runners[st.Type]
	if runner == nil {
		return stage.Result{Outcome: stage.Failed, Reason: fmt.Sprintf("this server cannot run stages of type %q: upgrade gennaker or change the pipeline", st.Type)}
	}
	now := e.now()
	in := stage.Input{Execution: exec, Stage: st, Spec: spec, Now: now, Canceled: exec.Status.Terminal()}
	timedOut := st.Deadline != nil && !now.Before(*st.Deadline)
	if timedOut {
		in.Canceled = true
	}
	runCtx := ctx
	if st.Deadline != nil && !timedOut {
		var cancel context.CancelFunc
		runCtx, cancel = context.WithDeadline(ctx, *st.Deadline)
		defer cancel()
	}
	res := runSafely(runCtx, runner, in)
	if timedOut && (res.Outcome == stage.Failed || res.Outcome == stage.Succeeded) {
		reason := fmt.Sprintf("timed out after %s (stage timeout)", spec.Timeout)
		if res.Outcome == stage.Failed && res.Reason != "" && res.Reason != "canceled" {
			reason += ": " + res.Reason // what the stage was waiting on, in its words
		}
		res = stage.Result{Outcome: stage.Failed, Reason: reason, State: res.State, Output: res.Output, Events: res.Events, Writes: res.Writes}
	}
	return res
}

// applyOutcome turns a runner's result into the stage's next record. It is
// pure: the stage, the spec and the result in, the new stage out.
func applyOutcome(next *model.Stage, spec model.StageSpec, res stage.Result, now time.Time, stopping bool, wakeAt *time.Time) {
	end := func(status model.StageStatus, reason string) {
		next.Status, next.Reason, next.EndedAt = status, reason, &now
	}
	switch res.Outcome {
	case stage.Succeeded:
		end(model.StageSucceeded, res.Reason)
	case stage.Failed:
		switch {
		case stopping:
			end(model.StageCanceled, "canceled: "+res.Reason)
		case spec.EffectiveOnFailure() == model.OnFailureContinue:
			end(model.StageFailedContinue, res.Reason)
		default:
			end(model.StageFailed, res.Reason)
		}
	case stage.Continue:
		next.Status = model.StageRunning
		*wakeAt = res.At
		if wakeAt.Before(now) {
			*wakeAt = now
		}
	case stage.WaitForPerson:
		next.Status = model.StageWaiting
		*wakeAt = res.At
	case stage.Transient:
		if next.Attempt <= spec.Retries {
			delay := Backoff(next.Attempt)
			next.Reason = fmt.Sprintf("attempt %d failed: %s; retrying in %s", next.Attempt, res.Reason, delay)
			next.Attempt++
			next.Status = model.StageRunning
			*wakeAt = now.Add(delay)
		} else {
			reason := res.Reason
			if next.Attempt > 1 {
				reason = fmt.Sprintf("failed after %d attempts: %s", next.Attempt, res.Reason)
			}
			failed := stage.Result{Outcome: stage.Failed, Reason: reason}
			applyOutcome(next, spec, failed, now, stopping, wakeAt)
		}
	default:
		end(model.StageFailed, fmt.Sprintf("internal error: stage runner returned no outcome (%d)", res.Outcome))
	}
}

// Backoff is the delay before retry attempt n+1: 1s, 2s, 4s ... capped at 1m.
func Backoff(attempt int) time.Duration {
	if attempt < 1 {
		attempt = 1
	}
	d := time.Second << min(attempt-1, 6)
	return min(d, time.Minute)
}

func fillEvent(ev *model.Event, exec *model.Execution, stageName string, now time.Time) {
	if ev.Time.IsZero() {
		ev.Time = now
	}
	if ev.Application == "" {
		ev.Application = exec.Application
	}
	if ev.ExecutionID == "" {
		ev.ExecutionID = exec.ID
	}
	if ev.Stage == "" {
		ev.Stage = stageName
	}
	if ev.Version == "" && ev.Kind != model.EventRolledBack {
		ev.Version = exec.Params["version"]
	}
	if ev.Environment == "" {
		ev.Environment = exec.Spec.SoleEnvironment()
	}
	if ev.Trigger == "" {
		ev.Trigger = exec.Trigger.Kind
	}
	if ev.Actor == "" {
		ev.Actor = exec.Trigger.Actor
	}
	if ev.CommitSHA == "" {
		ev.CommitSHA = exec.Trigger.CommitSHA
		ev.CommitTime = exec.Trigger.CommitTime
	}
}

func findStage(exec *model.Execution, name string) *model.Stage {
	for i := range exec.Stages {
		if exec.Stages[i].Name == name {
			return &exec.Stages[i]
		}
	}
	return nil
}

func findSpec(exec *model.Execution, name string) (model.StageSpec, bool) {
	for _, s := range exec.Spec.Stages {
		if s.Name == name {
			return s, true
		}
	}
	return model.StageSpec{}, false
}

// runSafely runs a stage runner and turns a panic into a failed stage with
// the panic as its reason, so one bug cannot wedge an execution.
func runSafely(ctx context.Context, r stage.Runner, in stage.Input) (res stage.Result) {
	defer func() {
		if p := recover(); p != nil {
			res = stage.Result{Outcome: stage.Failed, Reason: fmt.Sprintf("internal error in the %s stage (a gennaker bug, please report it): %v", in.Stage.Type, p)}
		}
	}()
	return r.Run(ctx, in)
}

// briefRetries bounds retryBriefly: past it the job fails, and River runs
// it again after Backoff.
const briefRetries = 10 * time.Second

// retryBriefly calls fn until it succeeds, fails with ErrNotFound, ctx ends
// or briefRetries pass, waiting 10 ms doubling to 1 s between calls, so a
// database that is locked or failing for a moment does not fail the job.
func retryBriefly(ctx context.Context, fn func() error) error {
	delay, start := 10*time.Millisecond, time.Now()
	for {
		err := fn()
		if err == nil || errors.Is(err, store.ErrNotFound) || time.Since(start) > briefRetries {
			return err
		}
		select {
		case <-ctx.Done():
			return err
		case <-time.After(delay):
		}
		delay = min(2*delay, time.Second)
	}
}
