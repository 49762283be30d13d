package stage

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"strings"
	"time"

	"github.com/gennaker/gennaker/internal/analysis"
	"github.com/gennaker/gennaker/internal/model"
	"github.com/gennaker/gennaker/internal/store"
	"github.com/gennaker/gennaker/internal/strategy"
)

// Deploy rolls a version into an environment by a strategy's plan.
//
// On its first call it plans (strategy.PlanDeploy over the cluster as it is)
// and stores the plan with that snapshot; each later call executes one step
// and stores how far it got, so after a crash it resumes at the step it was
// in (steps are idempotent). When a step fails, analysis says no, or the
// execution is canceled, it plans an abort (strategy.PlanAbort) that puts
// traffic back where it was and removes what the deploy created, executes
// that, and fails with the reason.
type Deploy struct {
	Store   DeployStore
	Targets Targets
	// Judge is the first, threshold judge (analysis judge: threshold).
	Judge analysis.Judge
	// SampleJudge is the statistical judge (the default).
	SampleJudge analysis.SampleJudge
	// Sources give the statistical judge its metric sources.
	Sources Sources
	// Rollback marks the runner for rollback stages: it plans with
	// strategy.PlanRollback instead of PlanDeploy.
	Rollback bool
}

var _ Runner = (*Deploy)(nil)

// Phases of a deploy stage's state.
const (
	phaseRun   = "run"   // executing the plan
	phaseAbort = "abort" // executing the abort plan after a failure
)

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
	Abort       *strategy.Plan          `json:"abort,omitempty"`
	AbortNext   int                     `json:"abortNext,omitempty"`
	AbortErrors int                     `json:"abortErrors,omitempty"`
	FailReason  string                  `json:"failReason,omitempty"`
	Verdicts    []string                `json:"verdicts,omitempty"`
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
}

func leaseKey(app, env string) string { return "deploy/" + app + "/" + env }

func holderOf(in Input) store.LeaseHolder {
	return store.LeaseHolder{ExecutionID: in.Execution.ID, Stage: in.Stage.Name}
}

// leaseScope is the application and environment the stage works on.
func (d *Deploy) leaseScope(in Input) (app, env string) {
	if in.Execution == nil {
		return "", ""
	}
	return in.Execution.Application, in.Spec.Environment()
}

// waitForLease takes the lease on the stage's application and environment,
// or says whom the stage waits for. Deploys take turns in the order their
// executions started: an older execution that still has a deploy or
// rollback stage for the same environment ahead goes first, even if that
// stage has not started. A rollback waits only for stages already under
// way (a one-click rollback is refused while a deploy is, see
// deploy.Service.Rollback).
func (d *Deploy) waitForLease(ctx context.Context, in Input) (Result, bool) {
	app, env := d.leaseScope(in)
	if in.Canceled {
		return Failf("canceled before it started changing %s in %s", app, env), false
	}
	older, err := d.olderTurn(ctx, in, app, env)
	if err != nil {
		return Retry(err), false
	}
	reason, who := older.String(), older.exec
	if who == "" {
		holder, ok, err := d.Store.LeaseAcquire(ctx, leaseKey(app, env), holderOf(in))
		switch {
		case err != nil:
			return Retry(err), false
		case ok:
			return Result{}, true
		}
		reason, who = fmt.Sprintf("execution %s (stage %s) is changing %s in %s since %s", holder.ExecutionID, holder.Stage, app, env,
			holder.AcquiredAt.Local().Format("15:04:05")), holder.ExecutionID
	}
	reason = "waiting: " + reason + "; one deploy at a time, in the order executions started; `gennaker cancel " + who + "` stops it"
	r := Result{Outcome: Continue, At: in.Now.Add(leasePoll)}
	r.Output = mustJSON(deployOutput{Environment: env, Summary: reason})
	return r, false
}

// turn is an older execution's stage that goes first, and what that
// execution is doing now.
type turn struct {
	exec, stage   string
	status        model.StageStatus
	doing, doingS string // the execution's current stage and its status
}

func (t turn) String() string {
	if t.status == model.StagePending {
		return fmt.Sprintf("execution %s goes first: its stage %s will change this environment and has not started (the execution is at stage %s, %s)",
			t.exec, t.stage, t.doing, t.doingS)
	}
	return fmt.Sprintf("execution %s (stage %s, %s) is changing this environment", t.exec, t.stage, t.status)
}

// olderTurn finds the oldest running execution, started before in's, with
// a deploy or rollback stage for app in env that has not ended (for a
// rollback: that has started).
func (d *Deploy) olderTurn(ctx context.Context, in Input, app, env string) (turn, error) {
	execs, err := d.Store.ExecutionList(ctx, store.ExecutionListParams{Application: app, Statuses: []model.ExecutionStatus{model.ExecutionRunning}, Limit: 1000})
	if err != nil {
		return turn{}, err
	}
	me := in.Execution
	var found turn
	for _, e := range execs { // newest first: the last match is the oldest
		if e.ID == me.ID || !(e.CreatedAt.Before(me.CreatedAt) || (e.CreatedAt.Equal(me.CreatedAt) && e.ID < me.ID)) {
			continue
		}
		var t turn
		for _, rs := range e.Stages {
			if rs.Status == model.StageRunning || rs.Status == model.StageWaiting {
				t.doing, t.doingS = rs.Name, string(rs.Status)
			}
			spec, ok := e.Spec.Stage(rs.Name)
			if !ok || spec.Environment() != env || rs.Status.Terminal() || (d.Rollback && rs.Status == model.StagePending) {
				continue
			}
			if t.exec == "" {
				t.exec, t.stage, t.status = e.ID, rs.Name, rs.Status
			}
		}
		if t.exec != "" {
			found = t
		}
	}
	return found, nil
}

// leasePoll is how often a waiting deploy looks whether the lease is free.
const leasePoll = time.Second

// Run implements Runner. A deploy or rollback stage holds the lease on its
// application and environment from before it plans until it ends, so two
// executions never change one cluster at once: the later one waits. The
// lease needs no release: once its stage has ended, it is free.
func (d *Deploy) Run(ctx context.Context, in Input) Result {
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
	if st.Phase == "" {
		if reason := d.refused(in, w); reason != "" {
			return Failf("%s", reason)
		}
		if r, ok := d.waitForLease(ctx, in); !ok {
			return r
		}
		return d.plan(ctx, in, w)
	}
	if in.Canceled && st.Phase == phaseRun {
		return d.startAbort(ctx, in, w, st, "canceled")
	}
	if st.Phase == phaseAbort {
		return d.abortStep(ctx, in, w, st)
	}
	if st.Next >= len(st.Plan.Steps) {
		return d.succeed(in, w, st)
	}
	step := st.Plan.Steps[st.Next]
	if st.StepStarted == nil {
		now := in.Now
		st.StepStarted = &now
	}
	out := d.execute(ctx, in, w, &st, step)
	switch out.kind {
	case stepDone:
		st.Next++
		st.StepStarted, st.Analysis = nil, nil
		r := Again(in.Now, st)
		r.Output = d.output(st, w, "")
		r.ClearJudgment = out.clearJudgment
		return r
	case stepWait:
		r := Again(out.at, st)
		r.Output = d.output(st, w, out.reason)
		return r
	case stepWaitPerson:
		r := Result{Outcome: WaitForPerson, At: out.at, State: mustJSON(st), Output: d.output(st, w, out.reason)}
		return r
	default:
		if !d.Rollback && in.Spec.EffectiveOnFailure() != model.OnFailureRollback {
			// onFailure fail or continue: leave the cluster as it is, for a person to look at.
			reason := fmt.Sprintf("%s; left as it is (onFailure: %s): inspect it with `gennaker status %s`, roll back with `gennaker rollback %s --env %s`",
				out.reason, in.Spec.EffectiveOnFailure(), w.app.Name, w.app.Name, w.env.Name)
			r := Result{Outcome: Failed, Reason: reason, State: mustJSON(st), Output: d.output(st, w, reason), ClearJudgment: out.clearJudgment}
			return r.WithEvents(model.Event{Kind: model.EventDeployFailed, Environment: w.env.Name, Version: st.Version, Detail: out.reason})
		}
		r := d.startAbort(ctx, in, w, st, out.reason)
		r.ClearJudgment = out.clearJudgment
		return r
	}
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
func (d *Deploy) plan(ctx context.Context, in Input, w world) Result {
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
		st.Plan, err = strategy.PlanRollback(cluster, history)
		if err != nil {
			return Failf("rollback of %s in %s: %v", w.app.Name, w.env.Name, err)
		}
		st.Version = rollbackVersion(st.Plan, history)
		ev = model.Event{Kind: model.EventDeployStarted, Environment: w.env.Name, Version: st.Version, Detail: "rollback"}
	} else {
		st.Version = resolveVersion(in)
		if st.Version == "" {
			return Failf("no version to deploy: pass --version (parameter \"version\") or set deploy.version in pipeline %s", in.Execution.Pipeline)
		}
		st.Plan, err = strategy.PlanDeploy(cluster, strategy.Request{Version: st.Version, Instances: w.app.Instances, Strategy: in.Spec.Deploy.Strategy})
		if err != nil {
			return Failf("planning the deploy of %s %s to %s: %v", w.app.Name, st.Version, w.env.Name, err)
		}
		ev = model.Event{Kind: model.EventDeployStarted, Environment: w.env.Name, Version: st.Version, Detail: string(in.Spec.Deploy.Strategy.Type)}
	}
	r := Again(in.Now, st).WithEvents(ev)
	r.Output = d.output(st, w, "planned "+fmt.Sprint(len(st.Plan.Steps))+" steps")
	return r
}

func rollbackVersion(p strategy.Plan, history []model.ServerGroup) string {
	for _, s := range p.Steps {
		if s.Action == strategy.ActionMarkGood {
			if s.Ref == strategy.RefNew {
				for _, c := range p.Steps {
					if c.Action == strategy.ActionCreate {
						return c.Version
					}
				}
			}
			for _, h := range history {
				if h.Name == string(s.Ref) {
					return h.Version
				}
			}
		}
	}
	return ""
}

// refused says why a deploy may not start, before it waits for its turn:
// its version is not a safe token, or it sets variables its application
// does not let a deploy set. It is "" for a deploy that may go on, and for
// rollbacks (they add no version and no variable).
func (d *Deploy) refused(in Input, w world) string {
	if d.Rollback {
		return ""
	}
	if v := resolveVersion(in); v != "" {
		if err := model.CheckVersion(v); err != nil {
			return fmt.Sprintf("the version from %s: %v", versionSource(in), err)
		}
	}
	if _, err := paramsEnv(in, w.app); err != nil {
		return err.Error()
	}
	return ""
}

// versionSource names where resolveVersion read the version, for messages.
func versionSource(in Input) string {
	if in.Spec.Deploy.Version != "" {
		return fmt.Sprintf("deploy.version %q of stage %s", in.Spec.Deploy.Version, in.Spec.Name)
	}
	return `the parameter "version"`
}

// resolveVersion reads deploy.version (with {{params.NAME}} placeholders) or the "version" parameter.
func resolveVersion(in Input) string {
	v := in.Spec.Deploy.Version
	if v == "" {
		return in.Execution.Params["version"]
	}
	return expandParams(v, in.Execution.Params)
}

func expandParams(s string, params map[string]string) string {
	for k, v := range params {
		s = strings.ReplaceAll(s, "{{params."+k+"}}", v)
		s = strings.ReplaceAll(s, "{{ params."+k+" }}", v)
	}
	return s
}

// paramsEnv is what the execution's env.NAME parameters set, refused unless
// app lets a deploy set each name. The stage asks when it starts (refused)
// and again when it creates the group (deployEnv), for a stage that planned
// before the rule or whose application changed since.
func paramsEnv(in Input, app model.Application) (map[string]string, error) {
	set := model.DeployEnvFromParams(in.Execution.Params)
	if err := app.CheckDeployEnv(set); err != nil {
		return nil, fmt.Errorf("this run's %sNAME parameters: %w", model.DeployEnvParam, err)
	}
	return set, nil
}

// deployEnv is the environment the new version's instances get: deploy.env
// (written by admins in config) plus paramsEnv.
func deployEnv(in Input, app model.Application) (map[string]string, error) {
	set, err := paramsEnv(in, app)
	if err != nil {
		return nil, err
	}
	out := map[string]string{}
	if in.Spec.Deploy != nil {
		for k, v := range in.Spec.Deploy.Env {
			out[k] = expandParams(v, in.Execution.Params)
		}
	}
	maps.Copy(out, set)
	if len(out) == 0 {
		return nil, nil
	}
	return out, nil
}

func (d *Deploy) succeed(in Input, w world, st deployState) Result {
	var summary string
	var ev model.Event
	if d.Rollback {
		summary = fmt.Sprintf("rolled back %s in %s to %s", w.app.Name, w.env.Name, st.Version)
		ev = model.Event{Kind: model.EventRolledBack, Environment: w.env.Name, Version: st.Version, Detail: "one-click rollback"}
	} else {
		summary = fmt.Sprintf("%s %s takes all traffic in %s", w.app.Name, st.Version, w.env.Name)
		ev = model.Event{Kind: model.EventDeploySucceeded, Environment: w.env.Name, Version: st.Version}
	}
	r := Result{Outcome: Succeeded, Output: d.output(st, w, summary), State: mustJSON(st)}
	return r.WithEvents(ev)
}

func (d *Deploy) output(st deployState, w world, summary string) []byte {
	out := deployOutput{Environment: w.env.Name, Version: st.Version, Step: st.Next, Steps: len(st.Plan.Steps), ServerGroups: st.Created, Verdicts: st.Verdicts}
	for _, s := range st.Plan.Steps {
		out.Plan = append(out.Plan, s.Why)
	}
	switch {
	case summary != "":
		out.Summary = summary
	case st.Next < len(st.Plan.Steps):
		out.Summary = fmt.Sprintf("step %d/%d: %s", st.Next+1, len(st.Plan.Steps), st.Plan.Steps[st.Next].Why)
	}
	return mustJSON(out)
}

// startAbort switches to the abort plan: traffic back to what served before,
// and what this deploy created removed.
func (d *Deploy) startAbort(ctx context.Context, in Input, w world, st deployState, reason string) Result {
	groups, err := d.cluster(ctx, w, false)
	if err != nil {
		return Retry(err).WithState(st)
	}
	var abort strategy.Plan
	if d.Rollback {
		abort = strategy.Plan{} // a failed rollback leaves traffic where it is; its reason says what to do
	} else {
		abort = strategy.PlanAbort(st.Before, strategy.Cluster{ServerGroups: groups}, st.Created)
	}
	st.Phase, st.Abort, st.AbortNext, st.FailReason = phaseAbort, &abort, 0, reason
	st.StepStarted, st.Analysis = nil, nil
	r := Again(in.Now, st)
	r.Output = d.output(st, w, "rolling back: "+reason)
	return r
}

func (d *Deploy) abortStep(ctx context.Context, in Input, w world, st deployState) Result {
	if st.AbortNext >= len(st.Abort.Steps) {
		evs := []model.Event{{Kind: model.EventDeployFailed, Environment: w.env.Name, Version: st.Version, Detail: st.FailReason}}
		reason := st.FailReason
		if len(st.Abort.Steps) > 0 {
			if len(strategy.Servings(st.Before)) > 0 {
				reason += "; rolled back automatically: traffic is back on the previous server group"
			} else {
				reason += "; rolled back automatically: nothing served before, so the new server group was removed"
			}
			evs = append(evs, model.Event{Kind: model.EventRolledBack, Environment: w.env.Name, Version: st.Version, Detail: "automatic: " + st.FailReason})
		}
		r := Result{Outcome: Failed, Reason: reason, State: mustJSON(st), Output: d.output(st, w, reason)}
		return r.WithEvents(evs...)
	}
	step := st.Abort.Steps[st.AbortNext]
	out := d.execute(ctx, in, w, &st, step)
	switch out.kind {
	case stepDone:
		st.AbortNext++
		st.AbortErrors = 0
	case stepFail:
		st.AbortErrors++
		if st.AbortErrors >= 3 {
			reason := fmt.Sprintf("%s; rolling back failed too at %q: %s: fix the cause and run `gennaker rollback %s --env %s`", st.FailReason, step.Why, out.reason, w.app.Name, w.env.Name)
			return Result{Outcome: Failed, Reason: reason, State: mustJSON(st)}.WithEvents(model.Event{Kind: model.EventDeployFailed, Environment: w.env.Name, Version: st.Version, Detail: reason})
		}
		return Again(in.Now.Add(time.Duration(st.AbortErrors)*time.Second), st)
	default:
		// Abort plans have no waits; a wait here is a wait-healthy in progress.
		return Again(out.at, st)
	}
	r := Again(in.Now, st)
	r.Output = d.output(st, w, "rolling back: "+st.FailReason)
	return r
}

var errNoFrontDoor = errors.New("no front door")
