package storetest

import (
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/gennaker/gennaker/internal/model"
	"github.com/gennaker/gennaker/internal/store"
)

// deployExecution is an execution whose pipeline deploys to envs, one
// stage each (a wave deploy when wave is set), without stages of its own.
func deployExecution(id, app string, createdAt time.Time, wave bool, envs ...string) *model.Execution {
	e := newExecution(id, app, "deploy-"+app, createdAt)
	e.Stages = nil
	e.Spec.Stages = nil
	if wave {
		e.Spec.Stages = []model.StageSpec{{Name: "waves", Deploy: &model.DeployStage{Environments: envs}}}
		return e
	}
	for _, env := range envs {
		e.Spec.Stages = append(e.Spec.Stages, model.StageSpec{Name: "deploy-" + env, Deploy: &model.DeployStage{Environment: env}})
	}
	return e
}

func rollbackExecution(id, app, env string, createdAt time.Time) *model.Execution {
	e := newExecution(id, app, "rollback-"+env, createdAt)
	e.Stages = nil
	e.Spec.Stages = []model.StageSpec{{Name: "rollback", Rollback: &model.RollbackStage{Environment: env}}}
	return e
}

// latestIDs renders ExecutionLatest's answer as "app/env=id" lines.
func latestIDs(latest []store.LatestExecution) string {
	var b strings.Builder
	for _, l := range latest {
		fmt.Fprintf(&b, "%s/%s=%s\n", l.Application, l.Environment, l.Execution.ID)
	}
	return b.String()
}

func testBatch(t *testing.T, d Driver) {
	t.Run("ExecutionLatest", func(t *testing.T) {
		t.Parallel()
		b := setup(t, d)
		insertExecution(t, b, deployExecution("c1", "checkout", t0, false, "staging", "prod"))
		insertExecution(t, b, deployExecution("c2", "checkout", t0.Add(time.Minute), false, "staging"))
		insertExecution(t, b, rollbackExecution("c3", "checkout", "prod", t0.Add(2*time.Minute)))
		insertExecution(t, b, newExecution("c4", "checkout", "smoke", t0.Add(3*time.Minute))) // changes no environment
		insertExecution(t, b, deployExecution("b1", "billing", t0, true, "staging", "prod"))
		// Equal creation times: the greater ID is the newer, as in ExecutionList.
		insertExecution(t, b, deployExecution("b2", "billing", t0.Add(time.Minute), false, "prod"))
		insertExecution(t, b, deployExecution("b3", "billing", t0.Add(time.Minute), false, "prod"))
		insertExecution(t, b, deployExecution("o1", "other", t0.Add(time.Hour), false, "prod"))

		got, err := b.store.ExecutionLatest(b.ctx, store.ExecutionLatestParams{
			Applications: []string{"checkout", "billing", "idle"},
			Environments: []string{"staging", "prod", "qa"},
		})
		must(t, err)
		want := "billing/=b3\nbilling/prod=b3\nbilling/staging=b1\n" +
			"checkout/=c4\ncheckout/prod=c3\ncheckout/staging=c2\n"
		if s := latestIDs(got); s != want {
			t.Fatalf("ExecutionLatest:\n%s\nwant (by application, then environment; none for idle, qa, other):\n%s", s, want)
		}
		// The execution is the one stored, without stages.
		stored, err := b.store.ExecutionGet(b.ctx, "c4")
		must(t, err)
		stored.Stages = nil
		if !reflect.DeepEqual(got[3].Execution, *stored) {
			t.Fatalf("ExecutionLatest's execution:\n got %+v\nwant %+v", got[3].Execution, *stored)
		}

		// Without environments: the newest of each application only.
		got, err = b.store.ExecutionLatest(b.ctx, store.ExecutionLatestParams{Applications: []string{"other", "checkout"}})
		must(t, err)
		if s, want := latestIDs(got), "checkout/=c4\nother/=o1\n"; s != want {
			t.Fatalf("ExecutionLatest without environments:\n%s\nwant:\n%s", s, want)
		}
		got, err = b.store.ExecutionLatest(b.ctx, store.ExecutionLatestParams{})
		must(t, err)
		if len(got) != 0 {
			t.Fatalf("ExecutionLatest of no applications returned %d rows", len(got))
		}
	})

	t.Run("ExecutionLatestBounded", func(t *testing.T) {
		t.Parallel()
		b := setup(t, d)
		apps := make([]string, store.MaxBatchApplications+1)
		for i := range apps {
			apps[i] = fmt.Sprintf("app-%d", i)
		}
		_, err := b.store.ExecutionLatest(b.ctx, store.ExecutionLatestParams{Applications: apps})
		if err == nil || !strings.Contains(err.Error(), "a page at a time") {
			t.Fatalf("ExecutionLatest of %d applications: got %v, want an error saying to ask a page at a time", len(apps), err)
		}
		_, err = b.store.ServerGroupList(b.ctx, store.ServerGroupListParams{Applications: apps})
		if err == nil || !strings.Contains(err.Error(), "a page at a time") {
			t.Fatalf("ServerGroupList of %d applications: got %v, want an error saying to ask a page at a time", len(apps), err)
		}
	})

	t.Run("ServerGroupListOfApplications", func(t *testing.T) {
		t.Parallel()
		b := setup(t, d)
		must(t, b.store.ServerGroupInsert(b.ctx, newServerGroup("checkout", "prod", 1, model.ServerGroupUp)))
		must(t, b.store.ServerGroupInsert(b.ctx, newServerGroup("checkout", "staging", 2, model.ServerGroupUp)))
		must(t, b.store.ServerGroupInsert(b.ctx, newServerGroup("checkout", "prod", 3, model.ServerGroupDestroyed)))
		must(t, b.store.ServerGroupInsert(b.ctx, newServerGroup("billing", "prod", 4, model.ServerGroupDisabled)))
		must(t, b.store.ServerGroupInsert(b.ctx, newServerGroup("other", "prod", 5, model.ServerGroupUp)))
		names := func(groups []model.ServerGroup) string {
			var out []string
			for _, g := range groups {
				out = append(out, g.Environment+"/"+g.Name)
			}
			return strings.Join(out, " ")
		}
		for _, tc := range []struct {
			params store.ServerGroupListParams
			want   string // oldest first, as ServerGroupList
		}{
			{store.ServerGroupListParams{Applications: []string{"checkout", "billing", "idle"}},
				"prod/checkout-v001 staging/checkout-v002 prod/billing-v004"},
			{store.ServerGroupListParams{Applications: []string{"checkout", "billing"}, IncludeDestroyed: true},
				"prod/checkout-v001 staging/checkout-v002 prod/checkout-v003 prod/billing-v004"},
			{store.ServerGroupListParams{Applications: []string{"checkout", "billing"}, Environment: "prod"},
				"prod/checkout-v001 prod/billing-v004"},
			{store.ServerGroupListParams{Applications: []string{"checkout", "billing"}, Application: "billing"},
				"prod/billing-v004"},
		} {
			got, err := b.store.ServerGroupList(b.ctx, tc.params)
			must(t, err)
			if s := names(got); s != tc.want {
				t.Errorf("ServerGroupList(%+v) = %s, want %s", tc.params, s, tc.want)
			}
		}
	})
}
