package deletion

import (
	"context"
	"errors"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gennaker/gennaker/internal/engine"
	"github.com/gennaker/gennaker/internal/model"
	"github.com/gennaker/gennaker/internal/store"
	"github.com/gennaker/gennaker/internal/store/sqlite"
)

// fakeTeardown records what it was asked to stop; fail makes it fail.
type fakeTeardown struct {
	mu    sync.Mutex
	calls []string
	fail  error
}

func (f *fakeTeardown) record(c string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls = append(f.calls, c)
	return f.fail
}

func (f *fakeTeardown) StopServerGroup(_ context.Context, env model.Environment, sg model.ServerGroup) error {
	return f.record("stop " + env.Name + "/" + sg.Name)
}

func (f *fakeTeardown) RemoveFrontDoor(_ context.Context, app string, env model.Environment) error {
	return f.record("door " + app + "/" + env.Name)
}

func (f *fakeTeardown) StopEnvironment(_ context.Context, env model.Environment) error {
	return f.record("env " + env.Name)
}

// storeCanceler ends executions as the engine would once their undo ran.
type storeCanceler struct{ st store.Store }

func (c storeCanceler) Cancel(ctx context.Context, p engine.CancelParams) error {
	now := time.Now()
	return c.st.ExecutionSetStatus(ctx, store.ExecutionSetStatusParams{ID: p.ExecutionID, From: []model.ExecutionStatus{model.ExecutionRunning},
		To: model.ExecutionCanceled, Reason: p.Reason, EndedAt: &now})
}

func newService(t *testing.T) (*Service, *fakeTeardown) {
	t.Helper()
	st, err := sqlite.Open(t.Context(), filepath.Join(t.TempDir(), "gennaker.db"), nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	pl := model.Pipeline{Name: "hello-release", Application: "hello", Stages: []model.StageSpec{{Name: "d", Deploy: &model.DeployStage{Environment: "local", Strategy: model.Strategy{Type: model.StrategyHighlander}}}}}
	_, err = st.ConfigApply(t.Context(), model.Config{
		Applications: []model.Application{{Name: "hello", Instances: 1, Run: model.RunSpec{Command: "true"}}},
		Environments: []model.Environment{{Name: "local", Target: model.TargetSpec{Kind: model.TargetLocal}, FrontDoors: map[string]string{"hello": "127.0.0.1:18080"}}},
		Pipelines:    []model.Pipeline{pl},
	})
	if err != nil {
		t.Fatal(err)
	}
	sg := &model.ServerGroup{Name: "hello-v001", Application: "hello", Environment: "local", Sequence: 1, Version: "v1", Role: model.RoleProduction,
		Status: model.ServerGroupUp, Instances: 1, Weight: 100, Env: map[string]string{}, CreatedAt: time.Now(), UpdatedAt: time.Now()}
	if err := st.ServerGroupInsert(t.Context(), sg); err != nil {
		t.Fatal(err)
	}
	exec := &model.Execution{ID: "e1", Pipeline: pl.Name, Application: "hello", Status: model.ExecutionRunning, Params: map[string]string{},
		Spec: pl, CreatedAt: time.Now(), Stages: []model.Stage{{Name: "d", Type: model.StageDeploy, Status: model.StageRunning}}}
	if err := st.ExecutionInsert(t.Context(), exec); err != nil {
		t.Fatal(err)
	}
	td := &fakeTeardown{}
	return &Service{Store: st, Teardown: td, Canceler: storeCanceler{st}, Sleep: func(context.Context, time.Duration) error { return nil }}, td
}

func TestDeleteApplication(t *testing.T) {
	t.Parallel()
	req := Request{Kind: model.KindApplication, Name: "hello", Actor: "token:tester"}

	t.Run("a dry run changes nothing", func(t *testing.T) {
		t.Parallel()
		s, td := newService(t)
		dry := req
		dry.DryRun = true
		res, err := s.Delete(t.Context(), dry)
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(res.Running, []string{"e1"}) || !slices.Equal(res.ServerGroups, []string{"local/hello-v001"}) || len(td.calls) > 0 {
			t.Errorf("dry run: running %v, groups %v, teardown calls %v", res.Running, res.ServerGroups, td.calls)
		}
		if _, err := s.Store.ApplicationGet(t.Context(), "hello"); err != nil {
			t.Errorf("a dry run removed the application: %v", err)
		}
	})

	t.Run("a running execution refuses it", func(t *testing.T) {
		t.Parallel()
		s, td := newService(t)
		_, err := s.Delete(t.Context(), req)
		var re *store.RunningError
		if !errors.As(err, &re) || !errors.Is(err, store.ErrConflict) {
			t.Fatalf("delete with e1 running: %v, want a RunningError", err)
		}
		if len(td.calls) > 0 {
			t.Errorf("a refused deletion stopped %v", td.calls)
		}
	})

	t.Run("force cancels, stops, then removes", func(t *testing.T) {
		t.Parallel()
		s, td := newService(t)
		force := req
		force.Force = true
		force.Audit = &model.AuditEntry{Actor: "token:tester", Action: model.AuditDelete, Object: "Application/hello", Application: "hello"}
		res, err := s.Delete(t.Context(), force)
		if err != nil {
			t.Fatal(err)
		}
		entries, err := s.Store.AuditList(t.Context(), store.AuditListParams{Application: "hello"})
		if err != nil || len(entries) != 1 || entries[0].Outcome != model.AuditOK {
			t.Errorf("audit entries %+v (%v), want one ok entry of the deletion", entries, err)
		}
		if !slices.Equal(res.Canceled, []string{"e1"}) {
			t.Errorf("canceled %v, want [e1]", res.Canceled)
		}
		if want := []string{"stop local/hello-v001", "door hello/local"}; !slices.Equal(td.calls, want) {
			t.Errorf("teardown %v, want %v", td.calls, want)
		}
		if _, err := s.Store.ApplicationGet(t.Context(), "hello"); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("the application after its deletion: %v", err)
		}
		evs, err := s.Store.EventList(t.Context(), store.EventListParams{Application: "hello", Kinds: []model.EventKind{model.EventDeleted}})
		if err != nil || len(evs) != 1 || evs[0].Actor != "token:tester" {
			t.Errorf("deleted events %+v (%v), want one by token:tester", evs, err)
		}
	})

	t.Run("a failed teardown removes nothing", func(t *testing.T) {
		t.Parallel()
		s, td := newService(t)
		td.fail = errors.New("the front door process does not answer")
		force := req
		force.Force = true
		_, err := s.Delete(t.Context(), force)
		if err == nil {
			t.Fatal("no error when stopping failed")
		}
		if _, err := s.Store.ApplicationGet(t.Context(), "hello"); err != nil {
			t.Errorf("records removed although stopping failed: %v", err)
		}
		// Deleting again, once stopping works, finishes the job.
		td.fail = nil
		if _, err := s.Delete(t.Context(), req); err != nil {
			t.Errorf("deleting again: %v", err)
		}
	})
}

// An environment a pipeline deploys to is refused as a conflict (409),
// saying which pipelines, and nothing is stopped.
func TestDeleteEnvironmentBlockedByPipeline(t *testing.T) {
	t.Parallel()
	s, td := newService(t)
	_, err := s.Delete(t.Context(), Request{Kind: model.KindEnvironment, Name: "local", Force: true})
	var be *BlockedError
	if !errors.As(err, &be) || !errors.Is(err, store.ErrConflict) || !strings.Contains(err.Error(), "pipelines [hello-release] deploy to environment local") {
		t.Fatalf("deleting an environment a pipeline deploys to: %v, want a BlockedError (ErrConflict) naming hello-release", err)
	}
	if len(td.calls) > 0 {
		t.Errorf("a blocked deletion stopped %v", td.calls)
	}
}
