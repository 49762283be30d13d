package engine

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/gennaker/gennaker/internal/model"
	"github.com/gennaker/gennaker/internal/stage"
	"github.com/gennaker/gennaker/internal/store"
)

// A person's canary controls, as Argo Rollouts users know them: promote
// (skip the remaining canary steps to the normal promotion), abort (stop
// the canary and return traffic to the stable version) and retry (run a
// failed or canceled execution again from a stage). Each is one guarded
// apply: checked against the execution under its lock, recorded with its
// audit entry and a delivery event naming the person.
//
// Each works once under retries of the same request: a caller passes the
// execution's Version it acted on, and a request whose action was recorded
// at or after that version changes nothing and succeeds.

// errAlreadyDone: the same request was applied already; nothing to change.
var errAlreadyDone = errors.New("already done")

// ControlParams is a person's promote or abort of a running canary stage.
type ControlParams struct {
	ExecutionID string
	// Stage is optional when exactly one canary stage is running.
	Stage    string
	Decision string // model.DecisionPromote or model.DecisionAbort
	Actor    string
	Comment  string
	// Version is the execution's version the caller saw (0: not given).
	Version int
	Guard   Guard
}

// Control records a promote or abort on a running canary stage and wakes
// it; the deploy acts on it at its next call. It reports false when the
// same request was applied already.
func (e *Engine) Control(ctx context.Context, p ControlParams) (bool, error) {
	if p.Decision != model.DecisionPromote && p.Decision != model.DecisionAbort {
		return false, fmt.Errorf("%w: decision must be promote or abort, not %q", ErrBadRequest, p.Decision)
	}
	_, _, err := e.apply(ctx, p.ExecutionID, nil, once, &p.Guard, func(ctx context.Context, tx store.Tx, exec *model.Execution) (Event, error) {
		st, err := controlStage(exec, p.Stage)
		if err != nil {
			return nil, err
		}
		if err := p.Guard.check(exec, st); err != nil {
			return nil, err
		}
		if j := st.Judgment; j != nil && j.Decision == p.Decision && p.Version != 0 && j.Version >= p.Version {
			return nil, errAlreadyDone
		}
		if exec.Status.Terminal() {
			return nil, fmt.Errorf("%w: execution %s is %s", ErrFinished, exec.ID, exec.Status)
		}
		return Controlled{Stage: st.Name, Judgment: model.Judgment{Decision: p.Decision, Actor: p.Actor, Comment: p.Comment, At: e.now()}}, nil
	})
	if errors.Is(err, errAlreadyDone) {
		return false, nil
	}
	return err == nil, err
}

// controlStage is the named stage, or the one canary deploy stage that
// is running or waiting.
func controlStage(exec *model.Execution, name string) (*model.Stage, error) {
	if name != "" {
		if st := findStage(exec, name); st != nil {
			return st, nil
		}
		return nil, fmt.Errorf("%w: execution %s has no stage %q", ErrBadRequest, exec.ID, name)
	}
	var found []*model.Stage
	for i := range exec.Stages {
		st := &exec.Stages[i]
		spec, _ := findSpec(exec, st.Name)
		if spec.Deploy != nil && spec.Deploy.Strategy.Type == model.StrategyCanary && (st.Status == model.StageRunning || st.Status == model.StageWaiting || st.Judgment.IsControl()) {
			found = append(found, st)
		}
	}
	switch len(found) {
	case 1:
		return found[0], nil
	case 0:
		return nil, fmt.Errorf("%w: execution %s has no running canary stage (%s)", ErrNotControllable, exec.ID, stageSummary(exec))
	}
	names := make([]string, len(found))
	for i, st := range found {
		names[i] = st.Name
	}
	return nil, fmt.Errorf("%w: execution %s has several canary stages (%s): name one with --stage", ErrBadRequest, exec.ID, strings.Join(names, ", "))
}

// controlled records a promote or abort on a canary stage that can take
// it now (stage.CheckControl) and wakes the stage.
func (t *transition) controlled(ev Controlled) error {
	st := t.stage(ev.Stage)
	spec, ok := findSpec(t.exec, ev.Stage)
	if st == nil || !ok {
		return fmt.Errorf("%w: execution %s has no stage %q", ErrBadRequest, t.exec.ID, ev.Stage)
	}
	if err := stage.CheckControl(*st, spec, ev.Judgment.Decision); err != nil {
		return err
	}
	j := ev.Judgment
	j.Version = t.orig.Version
	st.Judgment, st.Status, st.WakeAt = &j, model.StageRunning, &t.now
	t.dirty[st.Name] = true
	t.event(model.Event{Kind: model.EventManualStep, Action: j.Decision, Actor: j.Actor, Detail: controlDetail(j)}, st.Name)
	t.due(st, "", time.Time{})
	return nil
}

func controlDetail(j model.Judgment) string {
	what := "promoted the canary at once (skipping its remaining steps)"
	if j.Decision == model.DecisionAbort {
		what = "aborted the canary: traffic returns to the stable version"
	}
	if j.Comment != "" {
		what += ": " + j.Comment
	}
	return what
}

// RetryParams runs a failed or canceled execution again from a stage.
type RetryParams struct {
	ExecutionID string
	// Stage is optional: the first failed (else canceled) stage.
	Stage   string
	Actor   string
	Comment string
	// Version is the execution's version the caller saw (0: not given).
	Version int
	Guard   Guard
}

// Retry runs a failed or canceled execution again from one of its failed
// or canceled stages: that stage, every other failed or canceled stage and
// every stage not run because of them are pending again, the execution is
// running, and the stages whose needs are met start (a deploy plans anew
// from the cluster as it is). It reports false when the same request was
// applied already.
func (e *Engine) Retry(ctx context.Context, p RetryParams) (bool, error) {
	_, _, err := e.apply(ctx, p.ExecutionID, nil, once, &p.Guard, func(ctx context.Context, tx store.Tx, exec *model.Execution) (Event, error) {
		if p.Stage != "" && findStage(exec, p.Stage) == nil {
			return nil, fmt.Errorf("%w: execution %s has no stage %q", ErrBadRequest, exec.ID, p.Stage)
		}
		// The guard sees the stage named, else the one a retry would take
		// (nil when there is none: the check is then on the whole run).
		if err := p.Guard.check(exec, guardStage(exec, p.Stage)); err != nil {
			return nil, err
		}
		if p.Version != 0 && exec.Version != p.Version {
			if !exec.Status.Terminal() || retriedSince(exec, p.Version) {
				return nil, errAlreadyDone // run again since the caller looked
			}
			return nil, fmt.Errorf("%w: execution %s changed since version %d (it is at version %d, %s): look at it again, then retry with its current version",
				ErrNotControllable, exec.ID, p.Version, exec.Version, exec.Status)
		}
		st, err := retryStage(exec, p.Stage)
		if err != nil {
			return nil, err
		}
		return Retried{Stage: st.Name, Actor: p.Actor, Comment: p.Comment}, nil
	})
	if errors.Is(err, errAlreadyDone) {
		return false, nil
	}
	return err == nil, err
}

// retryStage is the stage a retry runs again from: the named one, else the
// first failed one, else the first canceled one. It checks both the
// execution and the stage ended badly.
func retryStage(exec *model.Execution, name string) (*model.Stage, error) {
	if exec.Status != model.ExecutionFailed && exec.Status != model.ExecutionCanceled {
		return nil, fmt.Errorf("%w: execution %s is %s: retry runs a failed or canceled execution again", ErrNotControllable, exec.ID, exec.Status)
	}
	if name != "" {
		st := findStage(exec, name)
		if st == nil {
			return nil, fmt.Errorf("%w: execution %s has no stage %q", ErrBadRequest, exec.ID, name)
		}
		if !retryable(*st) {
			return nil, fmt.Errorf("%w: stage %q of execution %s is %s: retry runs a failed or canceled stage again", ErrNotControllable, name, exec.ID, st.Status)
		}
		return st, nil
	}
	for _, want := range []model.StageStatus{model.StageFailed, model.StageCanceled} {
		for i := range exec.Stages {
			if exec.Stages[i].Status == want {
				return &exec.Stages[i], nil
			}
		}
	}
	return nil, fmt.Errorf("%w: execution %s has no failed or canceled stage (%s)", ErrNotControllable, exec.ID, stageSummary(exec))
}

// guardStage is the stage named, else the first failed or canceled one, or nil.
func guardStage(exec *model.Execution, name string) *model.Stage {
	if name != "" {
		return findStage(exec, name)
	}
	for i := range exec.Stages {
		if retryable(exec.Stages[i]) {
			return &exec.Stages[i]
		}
	}
	return nil
}

// retriedSince reports a retry recorded at or after execution version v.
func retriedSince(exec *model.Execution, v int) bool {
	for _, st := range exec.Stages {
		if j := st.Judgment; j != nil && j.Decision == model.DecisionRetry && j.Version >= v {
			return true
		}
	}
	return false
}

func retryable(st model.Stage) bool {
	return st.Status == model.StageFailed || st.Status == model.StageCanceled
}

// notRunBecauseOfFailure reports a stage Decide skipped because a stage
// before it failed (not one whose `if:` was false).
func notRunBecauseOfFailure(st model.Stage) bool {
	return st.Status == model.StageSkipped && strings.HasPrefix(st.Reason, "not run: ")
}

// retried makes the execution run again from ev.Stage: see Engine.Retry.
func (t *transition) retried(ev Retried) error {
	st := t.stage(ev.Stage)
	if st == nil {
		return fmt.Errorf("%w: execution %s has no stage %q", ErrBadRequest, t.exec.ID, ev.Stage)
	}
	if _, err := retryStage(t.exec, ev.Stage); err != nil {
		return err
	}
	for i := range t.exec.Stages {
		s := &t.exec.Stages[i]
		if !retryable(*s) && !notRunBecauseOfFailure(*s) {
			continue
		}
		*s = model.Stage{ExecutionID: s.ExecutionID, Name: s.Name, Type: s.Type, Status: model.StagePending, Version: s.Version}
		t.dirty[s.Name] = true
	}
	st.Judgment = &model.Judgment{Decision: model.DecisionRetry, Actor: ev.Actor, Comment: ev.Comment, At: t.now, Version: t.orig.Version}
	t.exec.Status, t.exec.Reason, t.exec.EndedAt = model.ExecutionRunning, "", nil
	t.eff.Reopen = true
	detail := "ran the execution again from stage " + ev.Stage
	if ev.Comment != "" {
		detail += ": " + ev.Comment
	}
	t.event(model.Event{Kind: model.EventManualStep, Action: "retry", Actor: ev.Actor, Detail: detail}, ev.Stage)
	return t.advance("", time.Time{})
}
