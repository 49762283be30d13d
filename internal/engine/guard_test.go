package engine_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/gennaker/gennaker/internal/engine"
	"github.com/gennaker/gennaker/internal/model"
	"github.com/gennaker/gennaker/internal/stage"
	"github.com/gennaker/gennaker/internal/store"
)

// newGuardedEngine is an engine (not started: no stage runs) over a real
// store holding the application checkout, which lets a deploy set LOG_LEVEL.
func newGuardedEngine(t *testing.T) (*engine.Engine, store.Store) {
	t.Helper()
	st := openStore(t)
	_, err := st.ConfigApply(t.Context(), model.Config{
		Applications: []model.Application{{Name: "checkout", Instances: 1, Run: model.RunSpec{Command: "./checkout"}, DeployEnv: []string{"LOG_LEVEL"}}},
	})
	if err != nil {
		t.Fatal(err)
	}
	eng, err := engine.New(engine.Config{Store: st, Runners: map[model.StageType]stage.Runner{}})
	if err != nil {
		t.Fatal(err)
	}
	return eng, st
}

var noopPipeline = model.Pipeline{Name: "ship", Application: "checkout", Stages: []model.StageSpec{{Name: "noop", Noop: &model.NoopStage{}}}}

// A start the guard refuses leaves nothing behind: no execution, no event,
// no audit entry; the guard's error is returned as it is.
func TestStartRefusedByGuardLeavesNothing(t *testing.T) {
	t.Parallel()
	eng, st := newGuardedEngine(t)
	errNo := errors.New("no grant")
	var checked *model.Execution
	guard := engine.Guard{
		Check: func(exec *model.Execution, s *model.Stage) error {
			checked = exec
			if s != nil {
				t.Errorf("a start's check got stage %q, want none", s.Name)
			}
			return errNo
		},
		Audit: &model.AuditEntry{Actor: "token:ci", Action: model.AuditRun},
	}
	_, err := eng.StartPipeline(t.Context(), noopPipeline, map[string]string{"version": "v1"}, model.Trigger{Actor: "token:ci"}, guard)
	if !errors.Is(err, errNo) {
		t.Fatalf("err = %v, want the guard's", err)
	}
	if checked == nil || checked.Application != "checkout" || checked.Spec.Name != "ship" || checked.Params["version"] != "v1" {
		t.Fatalf("the guard checked %+v, want the execution about to start (checkout, pipeline ship, version v1)", checked)
	}
	execs, err := st.ExecutionList(t.Context(), store.ExecutionListParams{})
	must(t, err)
	events, err := st.EventList(t.Context(), store.EventListParams{})
	must(t, err)
	entries, err := st.AuditList(t.Context(), store.AuditListParams{})
	must(t, err)
	if len(execs)+len(events)+len(entries) != 0 {
		t.Fatalf("a refused start left %d executions, %d events, %d audit entries", len(execs), len(events), len(entries))
	}
}

// An admitted start is audited in its transaction: the entry names the
// execution and its application, and the caller's entry is the stored one.
func TestStartAuditedWithItsExecution(t *testing.T) {
	t.Parallel()
	eng, st := newGuardedEngine(t)
	entry := &model.AuditEntry{Actor: "token:ci", Action: model.AuditRun, Outcome: model.AuditFailed}
	exec, err := eng.StartPipeline(t.Context(), noopPipeline, map[string]string{"version": "v1"}, model.Trigger{Actor: "token:ci"},
		engine.Guard{Audit: entry, Owner: "ada@example.com"})
	must(t, err)
	if exec.Trigger.Owner != "ada@example.com" {
		t.Errorf("trigger owner %q, want the guard's owner ada@example.com", exec.Trigger.Owner)
	}
	entries, err := st.AuditList(t.Context(), store.AuditListParams{})
	must(t, err)
	if len(entries) != 1 {
		t.Fatalf("%d audit entries, want 1", len(entries))
	}
	got := entries[0]
	if got.Object != "execution/"+exec.ID || got.Application != "checkout" || got.Outcome != model.AuditOK || got.Actor != "token:ci" {
		t.Fatalf("audit entry %+v, want token:ci's ok pipeline.run of execution/%s in checkout", got, exec.ID)
	}
	if entry.ID != got.ID || entry.Hash != got.Hash {
		t.Fatalf("the caller's entry is %+v, want the stored one %+v", *entry, got)
	}
}

// An owner who is the actor is not recorded again.
func TestStartOwnerIsActor(t *testing.T) {
	t.Parallel()
	eng, _ := newGuardedEngine(t)
	exec, err := eng.StartPipeline(t.Context(), noopPipeline, nil, model.Trigger{Actor: "ada@example.com"}, engine.Guard{Owner: "ada@example.com"})
	must(t, err)
	if exec.Trigger.Owner != "" {
		t.Errorf("trigger owner %q, want none (the actor answers for themself)", exec.Trigger.Owner)
	}
}

// A start whose version is not a token, or that sets a variable its
// application does not list in deployEnv, is refused before anything is
// stored or checked.
func TestStartRefusesDeployParams(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name   string
		params map[string]string
		want   string
	}{
		{"a version that is a command", map[string]string{"version": "v1;reboot"}, "parameter version: invalid version"},
		{"an unlisted variable", map[string]string{"version": "v1", "env.FEATURE_X": "on"}, "may not set FEATURE_X"},
		{"a loader hook", map[string]string{"env.LD_PRELOAD": "/tmp/x.so"}, "never set LD_PRELOAD"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			eng, st := newGuardedEngine(t)
			guard := engine.Guard{Check: func(*model.Execution, *model.Stage) error {
				t.Error("the guard was asked about a start with bad parameters")
				return nil
			}}
			_, err := eng.StartPipeline(t.Context(), noopPipeline, tc.params, model.Trigger{}, guard)
			if !errors.Is(err, engine.ErrBadRequest) || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want a bad request saying %q", err, tc.want)
			}
			execs, err := st.ExecutionList(t.Context(), store.ExecutionListParams{})
			must(t, err)
			if len(execs) != 0 {
				t.Fatalf("a refused start stored %d executions", len(execs))
			}
		})
	}
	eng, _ := newGuardedEngine(t)
	if _, err := eng.StartPipeline(context.Background(), noopPipeline, map[string]string{"version": "1.4.2+build.7", "env.LOG_LEVEL": "debug"}, model.Trigger{}, engine.Guard{}); err != nil {
		t.Fatalf("a listed variable and a token version: %v", err)
	}
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}
