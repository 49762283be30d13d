package stage

import (
	"context"
	"fmt"
	"time"

	"github.com/gennaker/gennaker/internal/model"
	"github.com/gennaker/gennaker/internal/store"
)

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

// waitForLease says whether the stage may take the lease on its
// application and environment, or whom it waits for. Deploys take turns in
// the order their executions started: an older execution that still has a
// deploy or rollback stage for the same environment ahead goes first, even
// if that stage has not started. A rollback waits only for stages already
// under way (a one-click rollback is refused while a deploy is, see
// deploy.Service.Rollback).
//
// The runner only reads: when the lease is free (or already the stage's),
// it returns the LeaseTake to commit with the stage's plan, a conditional
// write, so of two deploys racing for one environment exactly one commits
// its plan; the other's step is made again and finds the lease held.
func (d *Deploy) waitForLease(ctx context.Context, in Input) (Result, *LeaseTake) {
	app, env := d.leaseScope(in)
	if in.Canceled {
		return Failf("canceled before it started changing %s in %s", app, env), nil
	}
	older, err := d.olderTurn(ctx, in, app, env)
	if err != nil {
		return Retry(err), nil
	}
	reason, who := older.String(), older.exec
	if who == "" {
		holder, held, err := d.Store.LeaseGet(ctx, leaseKey(app, env))
		switch {
		case err != nil:
			return Retry(err), nil
		case !held || (holder.ExecutionID == in.Execution.ID && holder.Stage == in.Stage.Name):
			return Result{}, &LeaseTake{Key: leaseKey(app, env), Holder: holderOf(in)}
		}
		reason, who = fmt.Sprintf("execution %s (stage %s) is changing %s in %s since %s", holder.ExecutionID, holder.Stage, app, env,
			holder.AcquiredAt.Local().Format("15:04:05")), holder.ExecutionID
	}
	reason = "waiting: " + reason + "; one deploy at a time, in the order executions started; `gennaker cancel " + who + "` stops it"
	r := Result{Outcome: Continue, At: in.Now.Add(leasePoll)}
	r.Output = mustJSON(deployOutput{Environment: env, Summary: reason})
	return r, nil
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

// olderTurn reads the running executions of app and finds whose turn
// comes before in's (firstTurn).
func (d *Deploy) olderTurn(ctx context.Context, in Input, app, env string) (turn, error) {
	execs, err := d.Store.ExecutionList(ctx, store.ExecutionListParams{Application: app, Statuses: []model.ExecutionStatus{model.ExecutionRunning}, Limit: 1000})
	if err != nil {
		return turn{}, err
	}
	return firstTurn(execs, in.Execution, env, d.Rollback), nil
}

// firstTurn finds the oldest of execs (newest first, as ExecutionList
// returns them) started before me with a deploy or rollback stage in env
// that has not ended (for a rollback: that has started). The zero turn
// means none: it is me's turn.
func firstTurn(execs []model.Execution, me *model.Execution, env string, rollback bool) turn {
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
			if !ok || !spec.Changes(env) || rs.Status.Terminal() || (rollback && rs.Status == model.StagePending) {
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
	return found
}

// leasePoll is how often a waiting deploy looks whether the lease is free.
const leasePoll = time.Second
