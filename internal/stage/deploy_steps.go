package stage

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/gennaker/gennaker/internal/model"
	"github.com/gennaker/gennaker/internal/store"
	"github.com/gennaker/gennaker/internal/strategy"
)

type stepKind int

const (
	stepDone       stepKind = iota + 1 // the step is complete
	stepWait                           // call again at `at`
	stepWaitPerson                     // wait for approve/reject (or until `at`)
	stepFail                           // the deploy fails with `reason`
)

type stepOutcome struct {
	kind          stepKind
	at            time.Time
	reason        string
	clearJudgment bool
}

func done() stepOutcome { return stepOutcome{kind: stepDone} }
func waitUntil(t time.Time, why string) stepOutcome {
	return stepOutcome{kind: stepWait, at: t, reason: why}
}
func failStep(format string, args ...any) stepOutcome {
	return stepOutcome{kind: stepFail, reason: fmt.Sprintf(format, args...)}
}

// execute runs one plan step. Every step is idempotent: running it again
// after a crash reaches the same state without duplicating anything.
func (d *Deploy) execute(ctx context.Context, in Input, w world, st *deployState, step strategy.Step) stepOutcome {
	switch step.Action {
	case strategy.ActionCreate:
		return d.create(ctx, in, w, st, step)
	case strategy.ActionWaitHealthy:
		sg, err := d.group(ctx, st, step.Ref)
		if err != nil {
			return failStep("%v", err)
		}
		if err := w.target.WaitHealthy(ctx, *sg); err != nil {
			return failStep("server group %s did not become healthy: %v", sg.Name, err)
		}
		return done()
	case strategy.ActionSetTraffic:
		return d.setTraffic(ctx, w, st, step)
	case strategy.ActionDisable:
		return d.setStatus(ctx, w, st, step.Ref, model.ServerGroupDisabled)
	case strategy.ActionEnable:
		return d.setStatus(ctx, w, st, step.Ref, model.ServerGroupUp)
	case strategy.ActionResize:
		sg, err := d.group(ctx, st, step.Ref)
		if err != nil {
			return failStep("%v", err)
		}
		if err := w.target.Resize(ctx, *sg, w.app, step.Instances); err != nil {
			return failStep("resizing %s to %d instances: %v", sg.Name, step.Instances, err)
		}
		n := step.Instances
		if err := d.Store.ServerGroupUpdate(ctx, store.ServerGroupUpdateParams{Name: sg.Name, Instances: &n}); err != nil {
			return failStep("%v", err)
		}
		return done()
	case strategy.ActionDestroy:
		return d.destroy(ctx, w, st, step.Ref)
	case strategy.ActionPause:
		return d.pause(in, st, step)
	case strategy.ActionAnalysis:
		return d.analyze(ctx, in, w, st, step)
	case strategy.ActionMarkGood:
		return d.markGood(ctx, w, st, step.Ref)
	case strategy.ActionMarkRolledBack:
		sg, err := d.group(ctx, st, step.Ref)
		if err != nil {
			return failStep("%v", err)
		}
		yes := true
		if err := d.Store.ServerGroupUpdate(ctx, store.ServerGroupUpdateParams{Name: sg.Name, RolledBack: &yes}); err != nil {
			return failStep("%v", err)
		}
		return done()
	}
	return failStep("unknown plan step %q: this server is older than the plan; upgrade gennaker", step.Action)
}

// name resolves a plan Ref to a server group name.
func (st *deployState) name(ref strategy.Ref) string {
	if n, ok := st.Created[ref]; ok {
		return n
	}
	return string(ref)
}

func (d *Deploy) group(ctx context.Context, st *deployState, ref strategy.Ref) (*model.ServerGroup, error) {
	name := st.name(ref)
	sg, err := d.Store.ServerGroupGet(ctx, name)
	if err != nil {
		return nil, fmt.Errorf("server group %s (%s): %w", name, ref, err)
	}
	return sg, nil
}

// create records the new server group (once: a re-run finds the group this
// execution already recorded for the same role and version) and starts it.
func (d *Deploy) create(ctx context.Context, in Input, w world, st *deployState, step strategy.Step) stepOutcome {
	sg, err := d.findCreated(ctx, in, w, st, step)
	if err != nil {
		return failStep("%v", err)
	}
	if sg == nil {
		// The version goes into commands and images: refuse one that is not
		// a safe token, whoever planned it (a group recorded before the rule
		// may be redeployed by a rollback).
		if err := model.CheckVersion(step.Version); err != nil {
			hint := ""
			if step.Role == model.RoleBaseline {
				hint = " (a baseline runs the version that serves now, deployed before versions were checked: deploy with canary.baseline: false or another strategy this once)"
			}
			return failStep("cannot start the %s server group of %s: %v%s", step.Role, w.app.Name, err, hint)
		}
		env, err := d.envFor(ctx, in, w, st, step)
		if err != nil {
			return failStep("%v", err)
		}
		for attempt := 0; ; attempt++ {
			seq, err := d.Store.ServerGroupNextSequence(ctx, w.app.Name, w.env.Name)
			if err != nil {
				return failStep("%v", err)
			}
			sg = &model.ServerGroup{
				Name: model.ServerGroupName(w.app.Name, seq), Application: w.app.Name, Environment: w.env.Name,
				Sequence: seq, Version: step.Version, Role: step.Role, Status: model.ServerGroupCreating,
				Instances: step.Instances, Env: env, ExecutionID: in.Execution.ID,
			}
			err = d.Store.ServerGroupInsert(ctx, sg)
			if err == nil {
				break
			}
			if !errors.Is(err, store.ErrConflict) || attempt >= 5 {
				return failStep("recording server group %s: %v", sg.Name, err)
			}
		}
	}
	st.Created[step.Ref] = sg.Name
	if err := w.target.Ensure(ctx, *sg, w.app); err != nil {
		return failStep("starting server group %s: %v", sg.Name, err)
	}
	if sg.Status == model.ServerGroupCreating {
		up := model.ServerGroupUp
		if err := d.Store.ServerGroupUpdate(ctx, store.ServerGroupUpdateParams{Name: sg.Name, Status: &up, From: []model.ServerGroupStatus{model.ServerGroupCreating}}); err != nil {
			return failStep("%v", err)
		}
	}
	return done()
}

// envFor is the environment a new server group's instances run with: the
// deploy's own (deploy.env and env.NAME parameters) for the version being
// deployed, and for any other version (a canary's baseline, a rollback's
// redeploy) the environment that version ran with before, so a baseline is
// a true copy of what serves.
func (d *Deploy) envFor(ctx context.Context, in Input, w world, st *deployState, step strategy.Step) (map[string]string, error) {
	if !d.Rollback && step.Version == st.Version && step.Role != model.RoleBaseline {
		return deployEnv(in, w.app)
	}
	history, err := d.cluster(ctx, w, true)
	if err != nil {
		return nil, fmt.Errorf("reading the environment %s ran with: %w", step.Version, err)
	}
	var env map[string]string
	for _, sg := range history { // oldest first: the newest match wins
		if sg.Version == step.Version && sg.Role != model.RoleBaseline {
			env = sg.Env
		}
	}
	return env, nil
}

func (d *Deploy) findCreated(ctx context.Context, in Input, w world, st *deployState, step strategy.Step) (*model.ServerGroup, error) {
	if name, ok := st.Created[step.Ref]; ok {
		return d.Store.ServerGroupGet(ctx, name)
	}
	all, err := d.cluster(ctx, w, false)
	if err != nil {
		return nil, err
	}
	for i := range all {
		sg := all[i]
		if sg.ExecutionID == in.Execution.ID && sg.Role == step.Role && sg.Version == step.Version && !slices.Contains(mapValues(st.Created), sg.Name) {
			return &sg, nil
		}
	}
	return nil, nil
}

func mapValues(m map[strategy.Ref]string) []string {
	out := make([]string, 0, len(m))
	for _, v := range m {
		out = append(out, v)
	}
	return out
}

// setTraffic stores the new split (groups not named get 0) and applies it.
func (d *Deploy) setTraffic(ctx context.Context, w world, st *deployState, step strategy.Step) stepOutcome {
	want := map[string]int{}
	for ref, weight := range step.Weights {
		want[st.name(ref)] = weight
	}
	groups, err := d.cluster(ctx, w, false)
	if err != nil {
		return failStep("%v", err)
	}
	for _, sg := range groups {
		weight := want[sg.Name]
		if sg.Weight == weight {
			continue
		}
		if err := d.Store.ServerGroupUpdate(ctx, store.ServerGroupUpdateParams{Name: sg.Name, Weight: &weight}); err != nil {
			return failStep("%v", err)
		}
	}
	if err := d.syncRoutes(ctx, w); err != nil {
		return failStep("%v", err)
	}
	return done()
}

// syncRoutes applies the stored traffic split of the application in the
// environment to its front door. Server startup uses the same function.
func (d *Deploy) syncRoutes(ctx context.Context, w world) error {
	return SyncRoutes(ctx, d.Store, w.target, w.app, w.env)
}

// SyncRoutes applies the stored split (up groups, with their weights; the
// canary-role group takes header-routed canary requests) to a target.
func SyncRoutes(ctx context.Context, s DeployStore, t Target, app model.Application, env model.Environment) error {
	groups, err := s.ServerGroupList(ctx, store.ServerGroupListParams{Application: app.Name, Environment: env.Name})
	if err != nil {
		return err
	}
	var routes []Route
	for _, sg := range groups {
		if sg.Status != model.ServerGroupUp {
			continue
		}
		routes = append(routes, Route{ServerGroup: sg.Name, Weight: sg.Weight, Canary: sg.Role == model.RoleCanary})
	}
	if err := t.Route(ctx, app, env, routes); err != nil {
		return fmt.Errorf("routing traffic of %s in %s: %w", app.Name, env.Name, err)
	}
	return nil
}

func (d *Deploy) setStatus(ctx context.Context, w world, st *deployState, ref strategy.Ref, status model.ServerGroupStatus) stepOutcome {
	sg, err := d.group(ctx, st, ref)
	if err != nil {
		return failStep("%v", err)
	}
	p := store.ServerGroupUpdateParams{Name: sg.Name, Status: &status}
	if status == model.ServerGroupDisabled {
		zero := 0
		p.Weight = &zero
	}
	if err := d.Store.ServerGroupUpdate(ctx, p); err != nil {
		return failStep("%v", err)
	}
	if err := d.syncRoutes(ctx, w); err != nil {
		return failStep("%v", err)
	}
	return done()
}

func (d *Deploy) destroy(ctx context.Context, w world, st *deployState, ref strategy.Ref) stepOutcome {
	sg, err := d.group(ctx, st, ref)
	if err != nil {
		return failStep("%v", err)
	}
	if sg.Status == model.ServerGroupDestroyed {
		return done()
	}
	zero, disabled := 0, model.ServerGroupDisabled
	if err := d.Store.ServerGroupUpdate(ctx, store.ServerGroupUpdateParams{Name: sg.Name, Weight: &zero, Status: &disabled}); err != nil {
		return failStep("%v", err)
	}
	if err := d.syncRoutes(ctx, w); err != nil {
		return failStep("%v", err)
	}
	if err := w.target.Destroy(ctx, *sg); err != nil {
		return failStep("destroying %s: %v", sg.Name, err)
	}
	destroyed := model.ServerGroupDestroyed
	if err := d.Store.ServerGroupUpdate(ctx, store.ServerGroupUpdateParams{Name: sg.Name, Status: &destroyed}); err != nil {
		return failStep("%v", err)
	}
	return done()
}

func (d *Deploy) markGood(ctx context.Context, w world, st *deployState, ref strategy.Ref) stepOutcome {
	target := st.name(ref)
	groups, err := d.cluster(ctx, w, true)
	if err != nil {
		return failStep("%v", err)
	}
	no, yes, prod := false, true, model.RoleProduction
	for _, sg := range groups {
		if sg.LastGood && sg.Name != target {
			if err := d.Store.ServerGroupUpdate(ctx, store.ServerGroupUpdateParams{Name: sg.Name, LastGood: &no}); err != nil {
				return failStep("%v", err)
			}
		}
	}
	if err := d.Store.ServerGroupUpdate(ctx, store.ServerGroupUpdateParams{Name: target, LastGood: &yes, Role: &prod}); err != nil {
		return failStep("%v", err)
	}
	// A promoted canary is production now: header routing to "canary" ends.
	if err := d.syncRoutes(ctx, w); err != nil {
		return failStep("%v", err)
	}
	return done()
}

// pause waits for the step's duration from when the step started, or for a
// person when it has none.
func (d *Deploy) pause(in Input, st *deployState, step strategy.Step) stepOutcome {
	if step.Pause.D() > 0 {
		until := st.StepStarted.Add(step.Pause.D())
		if in.Now.Before(until) {
			return waitUntil(until, fmt.Sprintf("paused for %s (until %s)", step.Pause, until.Local().Format("15:04:05")))
		}
		return done()
	}
	if j := in.Stage.Judgment; j != nil {
		if j.Decision == model.DecisionApprove {
			return stepOutcome{kind: stepDone, clearJudgment: true}
		}
		return stepOutcome{kind: stepFail, clearJudgment: true, reason: "canary rejected at a pause by " + orSomeone(j.Actor) + commentSuffix(j.Comment)}
	}
	return stepOutcome{kind: stepWaitPerson, reason: "paused: approve to go on (gennaker approve " + in.Execution.ID + "), reject to roll back"}
}

func commentSuffix(c string) string {
	if c == "" {
		return ""
	}
	return ": " + c
}
