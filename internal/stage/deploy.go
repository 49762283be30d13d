package stage

import (
	"context"
	"fmt"
	"time"

	"github.com/gennaker/gennaker/internal/analysis"
	"github.com/gennaker/gennaker/internal/model"
	"github.com/gennaker/gennaker/internal/store"
	"github.com/gennaker/gennaker/internal/strategy"
)

// Deploy rolls a version into an environment by a strategy's plan.
//
// On its first call it plans (strategy.PlanDeploy over the cluster as it is)
// and stores the plan with that snapshot; each later call makes one step of
// the plan (at most one call to the target) and stores how far it got, so
// after a crash it resumes at the step it was in (steps are idempotent).
// When a step fails, analysis says no, or the execution is canceled, it
// plans an abort (strategy.PlanAbort) that puts traffic back where it was
// and removes what the deploy created, executes that, and fails with the
// reason.
//
// A deploy in waves (deploy.environments) runs in the same runner: its
// state holds one such deploy state per environment, and each call makes
// one step of one environment's deploy (deploy_waves.go, decided by
// deploy_waves_decide.go).
//
// The runner never writes the store: what it records about the cluster
// (server groups, analysis records) goes back to the engine as
// Result.Writes, committed with the stage's state. Which call does what is
// decided by pure functions (deploy_decide.go, deploy_interval.go,
// deploy_traffic.go); the rest of the files act on their decisions.
type Deploy struct {
	Store   DeployStore
	Targets Targets
	// Judge is the first, threshold judge (analysis judge: threshold).
	Judge analysis.Judge
	// SampleJudge is the statistical judge (the default).
	SampleJudge analysis.SampleJudge
	// Sources give the statistical judge its metric sources.
	Sources Sources
	// Web measures web checks; CheckJobs runs the Jobs of job checks (deploy_checks.go).
	Web       WebChecker
	CheckJobs CheckJobs
	// Rollback marks the runner for rollback stages: it plans with
	// strategy.PlanRollback instead of PlanDeploy.
	Rollback bool
	// SLOs read the error budget for the environment's sloPolicy
	// (deploy_slo.go); nil: the policy is not applied.
	SLOs SLOReader
	// SLOMaxAge is SLOGate.MaxAge for the policy.
	SLOMaxAge time.Duration
}

var _ Runner = (*Deploy)(nil)

// Phases of a deploy stage's state.
const (
	phaseRun   = "run"   // executing the plan
	phaseAbort = "abort" // planning, then executing the abort plan after a failure
)

// deployState is a deploy stage's progress, stored after every call.
type deployState struct {
	Phase       string                  `json:"phase"`
	Environment string                  `json:"environment"`
	Version     string                  `json:"version,omitempty"`
	Plan        strategy.Plan           `json:"plan"`
	Before      strategy.Cluster        `json:"before"`
	Next        int                     `json:"next"`
	Created     map[strategy.Ref]string `json:"created,omitempty"`
	StepStarted *time.Time              `json:"stepStarted,omitempty"`
	Analysis    *analysisState          `json:"analysis,omitempty"`
	AnalysisSeq int                     `json:"analysisSeq,omitempty"`
	// Abort is nil between the failure and the call that plans the abort.
	Abort       *strategy.Plan `json:"abort,omitempty"`
	AbortNext   int            `json:"abortNext,omitempty"`
	AbortErrors int            `json:"abortErrors,omitempty"`
	FailReason  string         `json:"failReason,omitempty"`
	// GaveUp is why the abort plan could not run to its end, once the
	// stage has replaced it with stopping the groups it started that take
	// no traffic (stopPlan): the stage then fails with this reason.
	GaveUp   string   `json:"gaveUp,omitempty"`
	Verdicts []string `json:"verdicts,omitempty"`
	// RouteSent is when a step last changed the traffic split, until the
	// target confirms traffic reached the groups it names; nothing else
	// happens meanwhile (moveConfirm).
	RouteSent *time.Time `json:"routeSent,omitempty"`
	// Manifests are what the target applied for each server group this
	// deploy started (ManifestRenderer), by group name.
	Manifests map[string]string `json:"manifests,omitempty"`
	// ControlAt is the time of the last promote or abort judgment the
	// deploy took (deploy_control.go), so it takes each one once.
	ControlAt *time.Time `json:"controlAt,omitempty"`
	// SLOGate is the environment's error-budget policy's hold and its
	// override (deploy_slo.go); SLOGateOutput what it showed.
	SLOGate       *sloHold       `json:"sloGate,omitempty"`
	SLOGateOutput *SLOGateOutput `json:"sloGateOutput,omitempty"`
}

// deployOutput is what people and later stages see of a deploy.
type deployOutput struct {
	Summary      string                  `json:"summary"`
	Environment  string                  `json:"environment"`
	Version      string                  `json:"version,omitempty"`
	Step         int                     `json:"step"`
	Steps        int                     `json:"steps"`
	ServerGroups map[strategy.Ref]string `json:"serverGroups,omitempty"`
	Verdicts     []string                `json:"verdicts,omitempty"`
	Plan         []string                `json:"plan,omitempty"`
	// Traffic says, when the target splits traffic by replica counts and
	// the last traffic step's weight cannot be met with the instances,
	// what the split really is (strategy.Step.Shortfall).
	Traffic string `json:"traffic,omitempty"`
	// Manifests are the rendered manifests of each server group the deploy
	// started (Kubernetes), by group name: `gennaker manifests EXECUTION`.
	Manifests map[string]string `json:"manifests,omitempty"`
	// SLOGate is what the environment's error-budget policy decided:
	// held, passed, overridden (by whom, why), and how it narrowed the canary.
	SLOGate *SLOGateOutput `json:"sloGate,omitempty"`
}

// Run implements Runner. A deploy or rollback stage holds the lease on its
// application and environment from before it plans until it ends, so two
// executions never change one cluster at once: the later one waits. The
// lease needs no release: once its stage has ended, it is free.
func (d *Deploy) Run(ctx context.Context, in Input) Result {
	if in.Spec.Deploy.InWaves() && !d.Rollback {
		return d.runWaves(ctx, in)
	}
	var st deployState
	if err := DecodeState(in, &st); err != nil {
		return Failf("%v", err)
	}
	if st.Created == nil {
		st.Created = map[strategy.Ref]string{}
	}
	w, err := d.world(ctx, in)
	if err != nil {
		if st.Phase == "" {
			return Failf("%v", err)
		}
		return Retry(err).WithState(st)
	}
	if !in.Canceled {
		if next, move, why := applyControl(st, in.Stage.Judgment); move != controlNone {
			r := Again(in.Now, next)
			r.Output = d.output(next, w, why)
			return r
		}
	}
	switch nextMove(st, in.Canceled) {
	case movePlan:
		if reason := d.refused(in, w); reason != "" {
			return Failf("%s", reason)
		}
		held, look, ok := d.sloCheck(ctx, in, w, st)
		if !ok {
			return held
		}
		r, take := d.waitForLease(ctx, in)
		if take == nil {
			return r
		}
		// The plan commits only together with the lease.
		return d.plan(ctx, in, w, look).WithWrites(*take)
	case moveSucceed:
		return d.succeed(w, st)
	case moveStartAbort:
		st = startAbort(st, "canceled")
		r := Again(in.Now, st)
		r.Output = d.output(st, w, "rolling back: canceled")
		return r
	case movePlanAbort:
		return d.planAbort(ctx, in, w, st)
	case moveAbortStep:
		return d.abortStep(ctx, in, w, st)
	case moveAbortEnd:
		return d.abortEnd(w, st)
	case moveConfirm:
		return d.confirmTraffic(ctx, in, w, st)
	}
	return d.runStep(ctx, in, w, st)
}

// runStep executes the plan's next step and stores what it means.
func (d *Deploy) runStep(ctx context.Context, in Input, w world, st deployState) Result {
	if st.StepStarted == nil {
		now := in.Now
		st.StepStarted = &now
	}
	out := d.execute(ctx, in, w, &st, st.Plan.Steps[st.Next])
	return d.afterOutcome(in, w, st, out)
}

// afterOutcome stores what a step's outcome means: the next step, a wait,
// an abort or the end. A step that routed is confirmed before the next.
func (d *Deploy) afterOutcome(in Input, w world, st deployState, out stepOutcome) Result {
	st, next := afterStep(st, out, d.Rollback || in.Spec.EffectiveOnFailure() == model.OnFailureRollback)
	if out.routed && (next == afterNext || next == afterWait) {
		now := in.Now
		st.RouteSent = &now
	}
	var r Result
	switch next {
	case afterNext:
		r = Again(in.Now, st)
		r.Output = d.output(st, w, "")
	case afterWait:
		r = Again(out.at, st)
		r.Output = d.output(st, w, out.reason)
	case afterPerson:
		r = Result{Outcome: WaitForPerson, At: out.at, Reason: out.reason, State: mustJSON(st), Output: d.output(st, w, out.reason)}
	case afterAbort:
		r = Again(in.Now, st)
		r.Output = d.output(st, w, "rolling back: "+out.reason)
	case afterLeave:
		reason := fmt.Sprintf("%s; left as it is (onFailure: %s): inspect it with `gennaker status %s`, roll back with `gennaker rollback %s --env %s`",
			out.reason, in.Spec.EffectiveOnFailure(), w.app.Name, w.app.Name, w.env.Name)
		r = Result{Outcome: Failed, Reason: reason, State: mustJSON(st), Output: d.output(st, w, reason)}
		r = r.WithEvents(model.Event{Kind: model.EventDeployFailed, Environment: w.env.Name, Version: st.Version, Detail: out.reason})
	}
	r.ClearJudgment = out.clearJudgment
	return r.WithWrites(out.writes...).WithEvents(out.events...)
}

// world is what a deploy acts on: the application, environment and target.
type world struct {
	app    model.Application
	env    model.Environment
	target Target
}

func (d *Deploy) world(ctx context.Context, in Input) (world, error) {
	var w world
	app, err := d.Store.ApplicationGet(ctx, in.Execution.Application)
	if err != nil {
		return w, fmt.Errorf("application %s: %w", in.Execution.Application, err)
	}
	envName := in.Spec.Environment()
	env, err := d.Store.EnvironmentGet(ctx, envName)
	if err != nil {
		return w, fmt.Errorf("environment %s: %w", envName, err)
	}
	t, err := d.Targets(*env)
	if err != nil {
		return w, err
	}
	return world{app: *app, env: *env, target: t}, nil
}

func (d *Deploy) cluster(ctx context.Context, w world, history bool) ([]model.ServerGroup, error) {
	return d.Store.ServerGroupList(ctx, store.ServerGroupListParams{Application: w.app.Name, Environment: w.env.Name, IncludeDestroyed: history})
}

// plan makes the stage's plan from the cluster as it is now.
func (d *Deploy) plan(ctx context.Context, in Input, w world, look *sloStep) Result {
	groups, err := d.cluster(ctx, w, false)
	if err != nil {
		return Retry(err)
	}
	cluster := strategy.Cluster{ServerGroups: groups}
	st := deployState{Phase: phaseRun, Environment: w.env.Name, Before: cluster, Created: map[strategy.Ref]string{}}
	var ev model.Event
	if d.Rollback {
		history, err := d.cluster(ctx, w, true)
		if err != nil {
			return Retry(err)
		}
		// The version comes from the same pure function the UI and CLI
		// preview the rollback with (strategy.RollbackTargetOf).
		target, err := strategy.RollbackTargetOf(cluster, history)
		if err == nil {
			st.Plan, err = strategy.PlanRollback(cluster, history)
		}
		if err != nil {
			return Failf("rollback of %s in %s: %v", w.app.Name, w.env.Name, err)
		}
		st.Version = target.Version
		ev = model.Event{Kind: model.EventDeployStarted, Environment: w.env.Name, Version: st.Version, Detail: "rollback"}
	} else {
		st.Version = resolveVersion(in)
		if st.Version == "" {
			return Failf("no version to deploy: pass --version (parameter \"version\") or set deploy.version in pipeline %s", in.Execution.Pipeline)
		}
		st.Plan, err = strategy.PlanDeploy(cluster, strategy.Request{Version: st.Version, Instances: w.app.Instances, Strategy: narrowed(in.Spec.Deploy.Strategy, look),
			SplitByReplicas: w.env.Target.SplitsByReplicas()})
		if err != nil {
			return Failf("planning the deploy of %s %s to %s: %v", w.app.Name, st.Version, w.env.Name, err)
		}
		ev = model.Event{Kind: model.EventDeployStarted, Environment: w.env.Name, Version: st.Version, Detail: string(in.Spec.Deploy.Strategy.Type)}
	}
	if look != nil {
		st.SLOGate, st.SLOGateOutput = &look.Hold, &look.Output
	}
	r := Again(in.Now, st).WithEvents(ev)
	summary := "planned " + fmt.Sprint(len(st.Plan.Steps)) + " steps"
	if look != nil && len(look.Output.Narrowed) > 0 {
		summary += " (canary " + look.Output.Narrowed[0] + ")"
	}
	r.Output = d.output(st, w, summary)
	r.ClearJudgment = look != nil && look.Consumed
	return r
}

// servingVersion is the version of the group that took the most traffic
// in c (the newest of equals), "" when none took any: what a rollback moves
// traffic away from, or what an aborted deploy returns it to.
func servingVersion(c strategy.Cluster) string {
	v, best, seq := "", 0, -1
	for _, sg := range c.ServerGroups {
		if sg.Status == model.ServerGroupDestroyed || sg.Weight <= 0 {
			continue
		}
		if sg.Weight > best || (sg.Weight == best && sg.Sequence > seq) {
			v, best, seq = sg.Version, sg.Weight, sg.Sequence
		}
	}
	return v
}

func (d *Deploy) succeed(w world, st deployState) Result {
	var summary string
	var ev model.Event
	if d.Rollback {
		summary = fmt.Sprintf("rolled back %s in %s to %s", w.app.Name, w.env.Name, st.Version)
		ev = model.Event{Kind: model.EventRolledBack, Environment: w.env.Name, Version: st.Version, FromVersion: servingVersion(st.Before), Detail: "one-click rollback"}
	} else {
		summary = fmt.Sprintf("%s %s takes all traffic in %s", w.app.Name, st.Version, w.env.Name)
		ev = model.Event{Kind: model.EventDeploySucceeded, Environment: w.env.Name, Version: st.Version}
	}
	r := Result{Outcome: Succeeded, Output: d.output(st, w, summary), State: mustJSON(st)}
	return r.WithEvents(ev)
}

func (d *Deploy) output(st deployState, w world, summary string) []byte {
	out := deployOutput{Environment: w.env.Name, Version: st.Version, Step: st.Next, Steps: len(st.Plan.Steps), ServerGroups: st.Created, Verdicts: st.Verdicts, Manifests: st.Manifests, SLOGate: st.SLOGateOutput}
	for i, s := range st.Plan.Steps {
		out.Plan = append(out.Plan, s.Why)
		if i < st.Next && s.Action == strategy.ActionSetTraffic {
			out.Traffic = s.Shortfall
		}
	}
	switch {
	case summary != "":
		out.Summary = summary
	case st.Next < len(st.Plan.Steps):
		// One numbering: the plan's, without the canary's own "step N: ".
		out.Summary = fmt.Sprintf("step %d/%d: %s", st.Next+1, len(st.Plan.Steps), canaryStepPrefix.ReplaceAllString(st.Plan.Steps[st.Next].Why, ""))
	}
	return mustJSON(out)
}
