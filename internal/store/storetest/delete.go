package storetest

import (
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/gennaker/gennaker/internal/latency"
	"github.com/gennaker/gennaker/internal/model"
	"github.com/gennaker/gennaker/internal/store"
)

// deleteWorld applies two applications with a pipeline each, two
// environments, and stores a server group and traffic of each application
// in each environment, and an event of checkout.
func deleteWorld(t *testing.T, b *bundle) {
	t.Helper()
	_, err := b.store.ConfigApply(b.ctx, model.Config{
		Applications: []model.Application{testApp("checkout"), testApp("billing")},
		Environments: []model.Environment{testEnv("staging"), testEnv("prod")},
		Pipelines:    []model.Pipeline{testPipeline("ship-checkout", "checkout"), deployPipeline("ship-billing", "billing", "staging")},
	})
	must(t, err)
	for _, app := range []string{"checkout", "billing"} {
		for _, env := range []string{"staging", "prod"} {
			must(t, b.store.ServerGroupInsert(b.ctx, newServerGroup(app, env, 1, model.ServerGroupUp)))
			must(t, b.store.TrafficSecondsInsert(b.ctx, []store.TrafficSecond{{Application: app, Environment: env, ServerGroup: app + "-v001",
				Time: t0.Truncate(time.Second), Requests: 2, SumSeconds: 0.1, Latency: latency.Histogram{Bounds: latency.Bounds, Counts: []latency.Count{{Index: 120, N: 2}}}}}))
		}
	}
	must(t, b.store.EventInsert(b.ctx, &model.Event{Time: t0, Kind: model.EventDeploySucceeded, Application: "checkout", Environment: "staging", Version: "v1"}))
}

// deployPipeline is a pipeline of app with one deploy stage to env.
func deployPipeline(name, app, env string) model.Pipeline {
	return model.Pipeline{Name: name, Application: app, Stages: []model.StageSpec{
		{Name: "deploy", Deploy: &model.DeployStage{Environment: env, Strategy: model.Strategy{Type: model.StrategyHighlander}}},
	}}
}

// endExecution moves a running execution to succeeded.
func endExecution(t *testing.T, b *bundle, id string) {
	t.Helper()
	must(t, b.store.ExecutionSetStatus(b.ctx, store.ExecutionSetStatusParams{ID: id, From: []model.ExecutionStatus{model.ExecutionRunning},
		To: model.ExecutionSucceeded, EndedAt: ptr(t0.Add(time.Hour))}))
}

// wantRunningRefusal checks that err refuses a deletion for the running execution id.
func wantRunningRefusal(t *testing.T, err error, id string) {
	t.Helper()
	var re *store.RunningError
	if !errors.As(err, &re) || !errors.Is(err, store.ErrConflict) || !slices.Contains(re.Executions, id) {
		t.Fatalf("delete with execution %s running: %v, want a *store.RunningError (ErrConflict) naming it", id, err)
	}
}

func groupsOf(t *testing.T, b *bundle, app, env string) int {
	t.Helper()
	gs, err := b.store.ServerGroupList(b.ctx, store.ServerGroupListParams{Application: app, Environment: env, IncludeDestroyed: true})
	must(t, err)
	return len(gs)
}

func secondsOf(t *testing.T, b *bundle, app, env string) int {
	t.Helper()
	secs, err := b.store.TrafficSecondsList(b.ctx, store.TrafficSecondsParams{Application: app, Environment: env, ServerGroup: app + "-v001",
		From: t0.Add(-time.Hour), To: t0.Add(time.Hour)})
	must(t, err)
	return len(secs)
}

func testDelete(t *testing.T, d Driver) {
	t.Run("Application", func(t *testing.T) {
		t.Parallel()
		b := setup(t, d)
		deleteWorld(t, b)
		insertExecution(t, b, newExecution("exec-old", "checkout", "ship-checkout", t0))
		endExecution(t, b, "exec-old")
		insertExecution(t, b, newExecution("exec-run", "checkout", "ship-checkout", t0.Add(time.Minute)))
		insertExecution(t, b, newExecution("exec-billing", "billing", "ship-billing", t0))

		_, err := b.store.ConfigDelete(b.ctx, store.ConfigDeleteParams{Kind: model.KindApplication, Name: "checkout"})
		wantRunningRefusal(t, err, "exec-run")
		if _, err := b.store.ApplicationGet(b.ctx, "checkout"); err != nil {
			t.Fatalf("a refused delete removed the application: %v", err)
		}
		if groupsOf(t, b, "checkout", "staging") != 1 {
			t.Fatal("a refused delete removed server groups")
		}

		endExecution(t, b, "exec-run")
		res, err := b.store.ConfigDelete(b.ctx, store.ConfigDeleteParams{Kind: model.KindApplication, Name: "checkout"})
		must(t, err)
		wantNames(t, "deleted", res.Objects, "Application/checkout", "Pipeline/ship-checkout")
		if res.Executions != 2 || res.ServerGroups != 2 || res.TrafficSeconds != 2 {
			t.Errorf("deleted %d executions, %d server groups, %d seconds; want 2, 2, 2", res.Executions, res.ServerGroups, res.TrafficSeconds)
		}
		for what, err := range map[string]error{
			"application": func() error { _, err := b.store.ApplicationGet(b.ctx, "checkout"); return err }(),
			"pipeline":    func() error { _, err := b.store.PipelineGet(b.ctx, "ship-checkout"); return err }(),
			"execution":   func() error { _, err := b.store.ExecutionGet(b.ctx, "exec-old"); return err }(),
		} {
			if !errors.Is(err, store.ErrNotFound) {
				t.Errorf("the deleted application's %s: %v, want ErrNotFound", what, err)
			}
		}
		if groupsOf(t, b, "checkout", "staging")+groupsOf(t, b, "checkout", "prod") != 0 || secondsOf(t, b, "checkout", "prod") != 0 {
			t.Error("server groups or traffic of the deleted application remain")
		}
		// The other application keeps everything; the event log keeps all.
		if _, err := b.store.PipelineGet(b.ctx, "ship-billing"); err != nil {
			t.Errorf("billing's pipeline: %v", err)
		}
		if _, err := b.store.ExecutionGet(b.ctx, "exec-billing"); err != nil {
			t.Errorf("billing's execution: %v", err)
		}
		if groupsOf(t, b, "billing", "staging") != 1 || secondsOf(t, b, "billing", "staging") != 1 {
			t.Error("billing lost server groups or traffic")
		}
		evs, err := b.store.EventList(b.ctx, store.EventListParams{Application: "checkout"})
		must(t, err)
		if len(evs) != 1 {
			t.Errorf("events of checkout after its deletion: %d, want 1 (the log is never changed)", len(evs))
		}
		// Deleting again: not found.
		if _, err := b.store.ConfigDelete(b.ctx, store.ConfigDeleteParams{Kind: model.KindApplication, Name: "checkout"}); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("deleting it again: %v, want ErrNotFound", err)
		}
	})

	t.Run("Environment", func(t *testing.T) {
		t.Parallel()
		b := setup(t, d)
		deleteWorld(t, b)
		exec := newExecution("exec-deploy", "billing", "ship-billing", t0)
		exec.Spec = deployPipeline("ship-billing", "billing", "staging")
		exec.Stages = []model.Stage{{Name: "deploy", Type: model.StageDeploy, Status: model.StageRunning}}
		insertExecution(t, b, exec)

		_, err := b.store.ConfigDelete(b.ctx, store.ConfigDeleteParams{Kind: model.KindEnvironment, Name: "staging"})
		wantRunningRefusal(t, err, "exec-deploy")
		// prod has no running deploy.
		res, err := b.store.ConfigDelete(b.ctx, store.ConfigDeleteParams{Kind: model.KindEnvironment, Name: "prod"})
		must(t, err)
		wantNames(t, "deleted", res.Objects, "Environment/prod")
		if res.ServerGroups != 2 || res.TrafficSeconds != 2 || res.Executions != 0 {
			t.Errorf("deleted %d server groups, %d seconds, %d executions; want 2, 2, 0", res.ServerGroups, res.TrafficSeconds, res.Executions)
		}
		if _, err := b.store.EnvironmentGet(b.ctx, "prod"); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("the deleted environment: %v, want ErrNotFound", err)
		}
		if groupsOf(t, b, "checkout", "prod") != 0 || groupsOf(t, b, "checkout", "staging") != 1 || secondsOf(t, b, "billing", "staging") != 1 {
			t.Error("deleting prod removed the wrong server groups or traffic")
		}
		if _, err := b.store.ExecutionGet(b.ctx, "exec-deploy"); err != nil {
			t.Errorf("an execution of another environment: %v", err)
		}
	})

	t.Run("Pipeline", func(t *testing.T) {
		t.Parallel()
		b := setup(t, d)
		deleteWorld(t, b)
		insertExecution(t, b, newExecution("exec-run", "checkout", "ship-checkout", t0))
		_, err := b.store.ConfigDelete(b.ctx, store.ConfigDeleteParams{Kind: model.KindPipeline, Name: "ship-checkout",
			Audit: &model.AuditEntry{Time: t0, Actor: "token:tester", Action: model.AuditDelete, Application: "checkout", Outcome: model.AuditOK}})
		wantRunningRefusal(t, err, "exec-run")
		endExecution(t, b, "exec-run")
		entry := &model.AuditEntry{Time: t0, Actor: "token:tester", Action: model.AuditDelete, Object: "Pipeline/ship-checkout",
			Application: "checkout", Outcome: model.AuditOK, Detail: []byte(`{"force":false}`)}
		res, err := b.store.ConfigDelete(b.ctx, store.ConfigDeleteParams{Kind: model.KindPipeline, Name: "ship-checkout", Audit: entry})
		must(t, err)
		wantNames(t, "deleted", res.Objects, "Pipeline/ship-checkout")
		// The audit entry is in the log once, written with the deletion.
		entries, err := b.store.AuditList(b.ctx, store.AuditListParams{Application: "checkout"})
		must(t, err)
		if len(entries) != 1 || entries[0].Action != model.AuditDelete || entries[0].Object != "Pipeline/ship-checkout" {
			t.Errorf("audit entries after the deletion: %+v, want the one config.delete", entries)
		}
		if _, err := b.store.PipelineGet(b.ctx, "ship-checkout"); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("the deleted pipeline: %v, want ErrNotFound", err)
		}
		// Its executions stay, as the application's history.
		if _, err := b.store.ExecutionGet(b.ctx, "exec-run"); err != nil {
			t.Errorf("an execution of the deleted pipeline: %v", err)
		}
		if _, err := b.store.ApplicationGet(b.ctx, "checkout"); err != nil {
			t.Errorf("the pipeline's application: %v", err)
		}
	})

	t.Run("Refusals", func(t *testing.T) {
		t.Parallel()
		b := setup(t, d)
		deleteWorld(t, b)
		if _, err := b.store.ConfigDelete(b.ctx, store.ConfigDeleteParams{Kind: model.KindEnvironment, Name: "nowhere"}); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("an environment that does not exist: %v, want ErrNotFound", err)
		}
		if _, err := b.store.ConfigDelete(b.ctx, store.ConfigDeleteParams{Kind: model.KindAnalysisTemplate, Name: "x"}); err == nil {
			t.Error("deleting an AnalysisTemplate: no error")
		}
	})
}
