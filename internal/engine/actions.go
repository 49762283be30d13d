package engine

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/gennaker/gennaker/internal/model"
	"github.com/gennaker/gennaker/internal/stage"
	"github.com/gennaker/gennaker/internal/store"
)

// StartParams asks for a new execution of a stored pipeline.
type StartParams struct {
	Pipeline string
	// Spec is the stored pipeline named Pipeline when the caller has just
	// read it (nil: StartExecution reads it).
	Spec    *model.Pipeline
	Params  map[string]string
	Trigger model.Trigger
	Guard   Guard
}

// StartExecution creates an execution of a pipeline and starts its first
// stages, in one transaction.
func (e *Engine) StartExecution(ctx context.Context, p StartParams) (*model.Execution, error) {
	if p.Spec != nil && p.Spec.Name == p.Pipeline {
		return e.StartPipeline(ctx, *p.Spec, p.Params, p.Trigger, p.Guard)
	}
	pl, err := e.store.PipelineGet(ctx, p.Pipeline)
	if errors.Is(err, store.ErrNotFound) {
		return nil, fmt.Errorf("%w: pipeline %q does not exist: list pipelines with `gennaker pipelines` or apply its config with `gennaker apply -f DIR`", ErrBadRequest, p.Pipeline)
	}
	if err != nil {
		return nil, err
	}
	return e.StartPipeline(ctx, *pl, p.Params, p.Trigger, p.Guard)
}

// StartPipeline starts an execution of the given pipeline definition (stored
// or built for a one-off deploy).
func (e *Engine) StartPipeline(ctx context.Context, pl model.Pipeline, params map[string]string, trigger model.Trigger, guard Guard) (*model.Execution, error) {
	exec, _, err := e.start(ctx, pl, params, trigger, guard, false)
	return exec, err
}

// StartTriggered starts an execution for a trigger's delivery at most once:
// it claims (trigger.Name, trigger.DeliveryID) in the transaction that
// inserts the execution. When the delivery was claimed already nothing
// starts, and it returns the execution the earlier claim started (only its
// ID when that execution is gone) with duplicate set.
func (e *Engine) StartTriggered(ctx context.Context, pl model.Pipeline, params map[string]string, trigger model.Trigger, guard Guard) (exec *model.Execution, duplicate bool, err error) {
	if trigger.Name == "" || trigger.DeliveryID == "" {
		return nil, false, fmt.Errorf("%w: a triggered start needs the trigger's key and the delivery ID (trigger %q, delivery %q)", ErrBadRequest, trigger.Name, trigger.DeliveryID)
	}
	exec, dup, err := e.start(ctx, pl, params, trigger, guard, true)
	if err != nil || dup == "" {
		return exec, false, err
	}
	earlier, err := e.store.ExecutionGet(ctx, dup)
	if errors.Is(err, store.ErrNotFound) {
		return &model.Execution{ID: dup, Pipeline: pl.Name, Application: pl.Application}, true, nil
	}
	if err != nil {
		return nil, true, fmt.Errorf("trigger %s: delivery %s started execution %s already; reading it: %w", trigger.Name, trigger.DeliveryID, dup, err)
	}
	return earlier, true, nil
}

// start starts an execution; with claim, only when the trigger's delivery
// was not claimed yet, else it returns the earlier claim's execution ID as
// dup and starts nothing.
func (e *Engine) start(ctx context.Context, pl model.Pipeline, params map[string]string, trigger model.Trigger, guard Guard, claim bool) (_ *model.Execution, dup string, _ error) {
	resolved, err := resolveParams(pl, params)
	if err != nil {
		return nil, "", err
	}
	if err := e.checkDeployParams(ctx, pl, resolved); err != nil {
		return nil, "", err
	}
	if pl, err = ResolveTemplates(pl, e.templateLookup(ctx)); err != nil {
		return nil, "", err
	}
	if trigger.Kind == "" {
		trigger.Kind = "manual"
	}
	if guard.Owner != "" && guard.Owner != trigger.Actor {
		trigger.Owner = guard.Owner
	}
	now := e.now().UTC()
	// The start is the execution's first change and counts as one (version
	// 1), so no reader ever sees version 0, which a control request's
	// Version reserves for "not given".
	exec := &model.Execution{
		ID: newExecutionID(now), Pipeline: pl.Name, Application: pl.Application,
		Status: model.ExecutionRunning, Params: resolved, Trigger: trigger, Spec: pl, CreatedAt: now, Version: 1,
	}
	for _, s := range pl.Stages {
		exec.Stages = append(exec.Stages, model.Stage{ExecutionID: exec.ID, Name: s.Name, Type: s.Type(), Status: model.StagePending})
	}
	// Eager start (eager.go): claim the first stage for this server.
	var started Started
	if e.reserveEager() {
		started = Started{Claim: starter(exec.ID).step(1), ClaimUntil: now.Add(e.cfg.ClaimTTL)}
	}
	var eff Effects
	err = e.store.InTx(ctx, func(ctx context.Context, tx store.Tx) error {
		dup = ""
		if claim {
			id, ok, err := tx.TriggerClaim(ctx, store.TriggerClaimParams{Key: trigger.Name, DeliveryID: trigger.DeliveryID, ExecutionID: exec.ID, At: now})
			if err != nil {
				return err
			}
			if !ok {
				dup = id
				return nil
			}
		}
		if err := guard.check(exec, nil); err != nil {
			return err
		}
		var err error
		if eff, err = Transition(exec, started, now); err != nil {
			return err
		}
		// The first stages are inserted as the start leaves them (running,
		// and claimed for an eager start), not inserted and then updated.
		if err := tx.ExecutionInsert(ctx, withStageWrites(exec, eff)); err != nil {
			return err
		}
		eff.inserted = true
		ev := model.Event{Kind: model.EventExecutionStarted, Detail: "pipeline " + pl.Name}
		fillEvent(&ev, exec, "", now)
		ev.Version, ev.Environment = resolved["version"], pl.SoleEnvironment()
		events := []model.Event{ev}
		// A person running a pipeline (gennaker run, the UI) or a deploy
		// (gennaker deploy) by hand is a manual step of the delivery
		// (docs/kpis.md, steps to deploy); a trigger's start is not.
		if trigger.Kind == "manual" || trigger.Kind == "deploy" {
			step := model.Event{Kind: model.EventManualStep, Action: "run", Detail: "ran pipeline " + pl.Name}
			fillEvent(&step, exec, "", now)
			events = append(events, step)
		}
		return e.commit(ctx, tx, exec, eff, &guard, events...)
	})
	if err != nil || dup != "" || eff.Inline == "" {
		if started.Claim != "" {
			e.releaseEager()
		}
	}
	if err != nil {
		return nil, "", fmt.Errorf("starting pipeline %s: %w", pl.Name, err)
	}
	if dup != "" {
		return nil, dup, nil
	}
	e.afterCommit(exec, eff)
	after := eff.appliedTo(exec)
	if eff.Inline != "" {
		go e.carryOn(starter(exec.ID), exec.ID, eff.Inline, cloneExecution(after))
	}
	return after, "", nil
}

// checkDeployParams refuses, before anything runs, a version that is not a
// safe token and env.NAME parameters the application does not let a deploy
// set (the deploy stage checks them again when it deploys).
func (e *Engine) checkDeployParams(ctx context.Context, pl model.Pipeline, params map[string]string) error {
	if v, ok := params["version"]; ok && v != "" {
		if err := model.CheckVersion(v); err != nil {
			return fmt.Errorf("%w: parameter version: %v", ErrBadRequest, err)
		}
	}
	env := model.DeployEnvFromParams(params)
	if len(env) == 0 {
		return nil
	}
	app, err := e.store.ApplicationGet(ctx, pl.Application)
	if err != nil {
		return err
	}
	if err := app.CheckDeployEnv(env); err != nil {
		return fmt.Errorf("%w: %v", ErrBadRequest, err)
	}
	return nil
}

// ResolveParams checks parameters against a pipeline's as a start would
// (declared, required, allowed values) and returns them with the
// defaults filled in; the error (ErrBadRequest) says what is wrong.
func ResolveParams(pl model.Pipeline, params map[string]string) (map[string]string, error) {
	return resolveParams(pl, params)
}

// resolveParams checks given parameters against the pipeline's and fills defaults.
func resolveParams(pl model.Pipeline, given map[string]string) (map[string]string, error) {
	out := map[string]string{}
	declared := map[string]bool{}
	var problems []string
	for _, p := range pl.Parameters {
		declared[p.Name] = true
		v, ok := given[p.Name]
		switch {
		case ok:
			out[p.Name] = v
		case p.Default != "":
			out[p.Name] = p.Default
		case p.Required:
			problems = append(problems, fmt.Sprintf("parameter %q is required: pass --param %s=VALUE", p.Name, p.Name))
		}
	}
	var unknown []string
	for k, v := range given {
		if !declared[k] {
			if k == "version" || k == model.ParamFix || strings.HasPrefix(k, "env.") {
				out[k] = v // deploy parameters every pipeline accepts
				continue
			}
			unknown = append(unknown, k)
		}
	}
	sort.Strings(unknown)
	for _, k := range unknown {
		names := make([]string, 0, len(declared))
		for n := range declared {
			names = append(names, n)
		}
		slices.Sort(names)
		has := "it declares none"
		if len(names) > 0 {
			has = "it has: " + strings.Join(names, ", ")
		}
		problems = append(problems, fmt.Sprintf("pipeline %s has no parameter %q (%s; version and env.NAME are always accepted)", pl.Name, k, has))
	}
	if len(problems) > 0 {
		return nil, fmt.Errorf("%w: %s", ErrBadRequest, strings.Join(problems, "; "))
	}
	return out, nil
}

// JudgeParams is a person's approve or reject of a waiting stage.
type JudgeParams struct {
	ExecutionID string
	Stage       string // optional when exactly one stage waits
	Decision    string // model.DecisionApprove or model.DecisionReject
	Actor       string
	Comment     string
	Guard       Guard
}

// Judge records an approve or reject on a waiting stage and wakes it.
func (e *Engine) Judge(ctx context.Context, p JudgeParams) error {
	if p.Decision != model.DecisionApprove && p.Decision != model.DecisionReject {
		return fmt.Errorf("%w: decision must be approve or reject, not %q", ErrBadRequest, p.Decision)
	}
	_, _, err := e.apply(ctx, p.ExecutionID, nil, once, &p.Guard, func(ctx context.Context, tx store.Tx, exec *model.Execution) (Event, error) {
		if exec.Status.Terminal() {
			return nil, fmt.Errorf("%w: execution %s is %s", ErrFinished, exec.ID, exec.Status)
		}
		st, err := waitingStage(exec, p.Stage)
		if err != nil {
			return nil, err
		}
		if err := p.Guard.check(exec, st); err != nil {
			return nil, err
		}
		if spec, ok := findSpec(exec, st.Name); ok {
			if err := stage.CheckJudgment(*st, spec, p.Decision, p.Comment); err != nil {
				return nil, fmt.Errorf("%w: %v", ErrBadRequest, err)
			}
		}
		return Judged{Stage: st.Name, Judgment: model.Judgment{Decision: p.Decision, Actor: p.Actor, Comment: p.Comment, At: e.now()}}, nil
	})
	return err
}

func waitingStage(exec *model.Execution, name string) (*model.Stage, error) {
	var waiting []*model.Stage
	for i := range exec.Stages {
		st := &exec.Stages[i]
		if name != "" && st.Name != name {
			continue
		}
		if st.Status == model.StageWaiting {
			waiting = append(waiting, st)
		}
	}
	switch {
	case len(waiting) == 1:
		return waiting[0], nil
	case len(waiting) > 1:
		names := make([]string, len(waiting))
		for i, st := range waiting {
			names[i] = st.Name
		}
		return nil, fmt.Errorf("%w: execution %s has several stages waiting (%s): name one with --stage", ErrBadRequest, exec.ID, strings.Join(names, ", "))
	case name != "":
		if findStage(exec, name) == nil {
			return nil, fmt.Errorf("%w: execution %s has no stage %q", ErrBadRequest, exec.ID, name)
		}
		return nil, fmt.Errorf("%w: stage %q of execution %s is %s", ErrNotWaiting, name, exec.ID, findStage(exec, name).Status)
	default:
		return nil, fmt.Errorf("%w: execution %s (%s)%s", ErrNotWaiting, exec.ID, stageSummary(exec), notWaitingHint(exec))
	}
}

// notWaitingHint says, for an execution still running, how long to wait
// before a judgment can be given, and how to see when.
func notWaitingHint(exec *model.Execution) string {
	if exec.Status.Terminal() {
		return ""
	}
	hint := fmt.Sprintf(": wait until a stage waits for approval (follow it with `gennaker execution %s --watch`)", exec.ID)
	for _, st := range exec.Stages {
		if st.Status == model.StageRunning && st.WakeAt != nil {
			hint += fmt.Sprintf("; stage %s runs until about %s UTC", st.Name, st.WakeAt.UTC().Format("15:04:05"))
			break
		}
	}
	return hint
}

func stageSummary(exec *model.Execution) string {
	parts := make([]string, len(exec.Stages))
	for i, st := range exec.Stages {
		parts[i] = st.Name + " " + string(st.Status)
	}
	return strings.Join(parts, ", ")
}

// CancelParams asks to stop a running execution.
type CancelParams struct {
	ExecutionID string
	Actor       string
	Reason      string
	Guard       Guard
}

// Cancel ends a running execution: stages not started are canceled, stages
// in progress are woken to clean up (a deploy restores traffic) and end canceled.
func (e *Engine) Cancel(ctx context.Context, p CancelParams) error {
	_, _, err := e.apply(ctx, p.ExecutionID, nil, once, &p.Guard, func(ctx context.Context, tx store.Tx, exec *model.Execution) (Event, error) {
		if exec.Status.Terminal() {
			return nil, fmt.Errorf("%w: execution %s is %s", ErrFinished, exec.ID, exec.Status)
		}
		if err := p.Guard.check(exec, nil); err != nil {
			return nil, err
		}
		return Canceled{Actor: p.Actor, Reason: p.Reason}, nil
	})
	return err
}

func orSomeone(actor string) string {
	if actor == "" {
		return "someone"
	}
	return actor
}

// newExecutionID returns a readable, time-sortable ID such as 20261127-051502-a3f9c1d2e4b5.
func newExecutionID(now time.Time) string {
	var b [6]byte
	_, _ = rand.Read(b[:])
	return now.Format("20060102-150405") + "-" + hex.EncodeToString(b[:])
}

func jsonUnmarshal(raw []byte, v any) error {
	if len(raw) == 0 {
		return nil
	}
	return json.Unmarshal(raw, v)
}

// cloneExecution copies an execution deeply enough for advance to change its stages.
func cloneExecution(e *model.Execution) *model.Execution {
	c := *e
	c.Stages = append([]model.Stage(nil), e.Stages...)
	return &c
}
