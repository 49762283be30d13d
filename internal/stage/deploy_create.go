package stage

import (
	"context"
	"errors"
	"fmt"
	"slices"

	"github.com/gennaker/gennaker/internal/model"
	"github.com/gennaker/gennaker/internal/store"
	"github.com/gennaker/gennaker/internal/strategy"
)

// create starts a new server group in two calls, so that the group is on
// record before anything runs. The first call picks its name and returns
// its record (status creating) as a write, with the name in the state; if
// another deploy took the name first, the engine runs the call again and
// it picks the next. The second call asks the target to start the group
// and records it up. A call made again after a crash finds the recorded
// group and starts it (Ensure is idempotent).
func (d *Deploy) create(ctx context.Context, in Input, w world, st *deployState, step strategy.Step) stepOutcome {
	sg, err := d.findCreated(ctx, in, w, st, step)
	if err != nil {
		return failStep("%v", err)
	}
	if sg == nil {
		return d.recordGroup(ctx, in, w, st, step)
	}
	st.Created[step.Ref] = sg.Name
	if err := w.target.Ensure(ctx, *sg, w.app); err != nil {
		return failStep("starting server group %s: %v", sg.Name, err)
	}
	if r, ok := w.target.(ManifestRenderer); ok {
		if text, err := r.Manifests(*sg, w.app); err == nil {
			if st.Manifests == nil {
				st.Manifests = map[string]string{}
			}
			st.Manifests[sg.Name] = text
		}
	}
	if sg.Status != model.ServerGroupCreating {
		return done()
	}
	up := model.ServerGroupUp
	return done(ServerGroupUpdate{Params: store.ServerGroupUpdateParams{Environment: sg.Environment, Name: sg.Name, Status: &up, From: []model.ServerGroupStatus{model.ServerGroupCreating}}})
}

// recordGroup is create's first call: the new group's record, to be
// committed before the group is started.
func (d *Deploy) recordGroup(ctx context.Context, in Input, w world, st *deployState, step strategy.Step) stepOutcome {
	// The version goes into commands and images: refuse one that is not a
	// safe token, whoever planned it (a group recorded before the rule may
	// be redeployed by a rollback).
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
	seq, err := d.Store.ServerGroupNextSequence(ctx, w.app.Name, w.env.Name)
	if err != nil {
		return failStep("%v", err)
	}
	sg := model.ServerGroup{
		Name: model.ServerGroupName(w.app.Name, seq), Application: w.app.Name, Environment: w.env.Name,
		Sequence: seq, Version: step.Version, Role: step.Role, Status: model.ServerGroupCreating,
		Instances: step.Instances, Env: env, ExecutionID: in.Execution.ID,
	}
	st.Created[step.Ref] = sg.Name
	return again(fmt.Sprintf("recorded server group %s (%s %s); starting it next", sg.Name, step.Role, step.Version), ServerGroupInsert{Group: sg})
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

// findCreated is the group this execution recorded for the step: by the
// name in the state, or (for a state stored before names were kept with
// the record) a group of this execution with the step's role and version.
// A name whose record is missing is forgotten, so the step records anew.
func (d *Deploy) findCreated(ctx context.Context, in Input, w world, st *deployState, step strategy.Step) (*model.ServerGroup, error) {
	if name, ok := st.Created[step.Ref]; ok {
		sg, err := d.Store.ServerGroupGet(ctx, w.env.Name, name)
		if !errors.Is(err, store.ErrNotFound) {
			return sg, err
		}
		delete(st.Created, step.Ref)
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
