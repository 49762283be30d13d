package storetest

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/gennaker/gennaker/internal/model"
)

// cet is a non-UTC zone: stores must return every time in UTC.
var cet = time.FixedZone("CET", 60*60)

// t0 has microseconds (store.TimePrecision), to catch stores that round
// further; testTime adds nanoseconds to see them truncated.
var t0 = time.Date(2025, 3, 14, 9, 26, 53, 589793000, cet)

func ptr[T any](v T) *T { return &v }

func testApp(name string) model.Application {
	return model.Application{
		Name:        name,
		Team:        "payments",
		Run:         model.RunSpec{Command: "./" + name, Args: []string{"--port", "{{port}}"}, Dir: "/srv/" + name},
		HealthCheck: model.HealthCheck{Path: "/healthz", Interval: model.Duration(time.Second), Timeout: model.Duration(time.Second)},
		Instances:   2,
		Labels:      map[string]string{"tier": "1"},
	}
}

func testEnv(name string) model.Environment {
	return model.Environment{
		Name:       name,
		Target:     model.TargetSpec{Kind: model.TargetLocal},
		FrontDoors: map[string]string{"checkout": "127.0.0.1:18080"},
		Production: name == "prod",
	}
}

func testPipeline(name, app string) model.Pipeline {
	return model.Pipeline{
		Name:        name,
		Application: app,
		Parameters:  []model.Parameter{{Name: "version", Required: true}},
		Stages: []model.StageSpec{
			{Name: "zeta", Noop: &model.NoopStage{}},
			{Name: "alpha", Needs: []string{"zeta"}, Judgment: &model.JudgmentStage{Instructions: "look"}},
			{Name: "mid", Needs: []string{"alpha"}, Wait: &model.WaitStage{Duration: model.Duration(time.Minute)}},
		},
	}
}

// newExecution is a running execution of pipeline p (see testPipeline) whose
// stage names are deliberately not in alphabetical order.
func newExecution(id, app, pipeline string, createdAt time.Time) *model.Execution {
	return &model.Execution{
		ID:          id,
		Pipeline:    pipeline,
		Application: app,
		Status:      model.ExecutionRunning,
		Params:      map[string]string{"version": "1.2.3"},
		Trigger:     model.Trigger{Kind: "manual", Actor: "ada", CommitSHA: "abc123", CommitTime: ptr(t0.Add(-time.Hour))},
		Spec:        testPipeline(pipeline, app),
		CreatedAt:   createdAt,
		Stages: []model.Stage{
			{Name: "zeta", Type: model.StageNoop, Status: model.StageRunning, Attempt: 1,
				State: json.RawMessage(`{"step":2}`), StartedAt: ptr(createdAt.Add(time.Second)),
				Deadline: ptr(createdAt.Add(time.Hour))},
			{Name: "alpha", Type: model.StageJudgment, Status: model.StagePending},
			{Name: "mid", Type: model.StageWait, Status: model.StagePending},
		},
	}
}

func insertExecution(t *testing.T, b *bundle, exec *model.Execution) {
	t.Helper()
	must(t, b.store.ExecutionInsert(b.ctx, exec))
}

func newServerGroup(app, env string, seq int, status model.ServerGroupStatus) *model.ServerGroup {
	return &model.ServerGroup{
		Name:        model.ServerGroupName(app, seq),
		Application: app,
		Environment: env,
		Sequence:    seq,
		Version:     "1.0." + string(rune('0'+seq)),
		Role:        model.RoleProduction,
		Status:      status,
		Instances:   2,
		Weight:      0,
		Env:         map[string]string{"COLOR": "blue"},
		ExecutionID: "exec-1",
		CreatedAt:   t0.Add(time.Duration(seq) * time.Minute),
		UpdatedAt:   t0.Add(time.Duration(seq) * time.Minute),
	}
}

// utc returns a copy of exec with every time in UTC, as a store returns it.
func utcExecution(exec model.Execution) model.Execution {
	exec.CreatedAt = exec.CreatedAt.UTC()
	exec.EndedAt = utcPtr(exec.EndedAt)
	exec.Trigger.CommitTime = utcPtr(exec.Trigger.CommitTime)
	stages := make([]model.Stage, len(exec.Stages))
	for i, st := range exec.Stages {
		st.StartedAt = utcPtr(st.StartedAt)
		st.EndedAt = utcPtr(st.EndedAt)
		st.Deadline = utcPtr(st.Deadline)
		if st.Judgment != nil {
			j := *st.Judgment
			j.At = j.At.UTC()
			st.Judgment = &j
		}
		stages[i] = st
	}
	exec.Stages = stages
	return exec
}

func utcPtr(t *time.Time) *time.Time {
	if t == nil {
		return nil
	}
	return ptr(t.UTC())
}
