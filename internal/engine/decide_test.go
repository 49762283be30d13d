package engine

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/gennaker/gennaker/internal/model"
)

// pipelineRun builds a running execution from a compact pipeline and the
// stages' statuses. The pipeline lists stages in order, each written as
// "name" or "name<-need1,need2"; statuses are "name=status" (every other
// stage is pending). A failed stage's reason is "<name> broke".
func pipelineRun(t *testing.T, pipeline string, statuses ...string) *model.Execution {
	t.Helper()
	exec := &model.Execution{ID: "exec-1", Pipeline: "ship", Status: model.ExecutionRunning}
	for _, field := range strings.Fields(pipeline) {
		name, needs, _ := strings.Cut(field, "<-")
		spec := model.StageSpec{Name: name, Noop: &model.NoopStage{}}
		if needs != "" {
			spec.Needs = strings.Split(needs, ",")
		}
		exec.Spec.Stages = append(exec.Spec.Stages, spec)
		exec.Stages = append(exec.Stages, model.Stage{ExecutionID: exec.ID, Name: name, Type: model.StageNoop, Status: model.StagePending})
	}
	for _, s := range statuses {
		name, status, ok := strings.Cut(s, "=")
		st := findStage(exec, name)
		if !ok || st == nil {
			t.Fatalf("status %q: want name=status naming a stage of %q", s, pipeline)
		}
		st.Status = model.StageStatus(status)
		if st.Status == model.StageFailed {
			st.Reason = name + " broke"
		}
	}
	return exec
}

// describe renders a decision as one line per effect, so a table can say
// what should happen in the words an operator would use.
func describe(d Decision) []string {
	var out []string
	if len(d.Start) > 0 {
		out = append(out, "start "+strings.Join(d.Start, ", "))
	}
	for _, s := range d.Skip {
		out = append(out, "skip "+s.Stage+": "+s.Reason)
	}
	if d.Finish != nil {
		line := "finish " + string(d.Finish.Status)
		if d.Finish.Reason != "" {
			line += ": " + d.Finish.Reason
		}
		out = append(out, line)
	}
	return out
}

func TestDecide(t *testing.T) {
	t.Parallel()

	tests := []struct {
		name     string
		pipeline string
		statuses []string
		want     []string // nil: nothing to do yet
	}{
		{
			name:     "a new chain starts its first stage",
			pipeline: "build test<-build deploy<-test",
			want:     []string{"start build"},
		},
		{
			name:     "a chain moves on when the previous stage succeeded",
			pipeline: "build test<-build deploy<-test",
			statuses: []string{"build=succeeded"},
			want:     []string{"start test"},
		},
		{
			name:     "a chain waits while a stage runs",
			pipeline: "build test<-build deploy<-test",
			statuses: []string{"build=running"},
		},
		{
			name:     "a chain waits while a stage waits for a person",
			pipeline: "build approve<-build deploy<-approve",
			statuses: []string{"build=succeeded", "approve=waiting"},
		},
		{
			name:     "a plain list (no stage declares needs) runs in order",
			pipeline: "lint unit docs",
			want:     []string{"start lint"},
		},
		{
			name:     "a plain list starts the next stage when the one before ends",
			pipeline: "lint unit docs",
			statuses: []string{"lint=succeeded"},
			want:     []string{"start unit"},
		},
		{
			name:     "in a DAG, stages without needs all start at once",
			pipeline: "lint unit docs publish<-lint,unit,docs",
			want:     []string{"start lint, unit, docs"},
		},
		{
			name:     "fan-out starts every dependent of a succeeded stage",
			pipeline: "build eu<-build us<-build asia<-build",
			statuses: []string{"build=succeeded"},
			want:     []string{"start eu, us, asia"},
		},
		{
			name:     "fan-out does not start a stage again",
			pipeline: "build eu<-build us<-build",
			statuses: []string{"build=succeeded", "eu=running"},
			want:     []string{"start us"},
		},
		{
			name:     "fan-in waits for all its needs",
			pipeline: "eu us verify<-eu,us",
			statuses: []string{"eu=succeeded", "us=running"},
		},
		{
			name:     "fan-in starts once all its needs succeeded",
			pipeline: "eu us verify<-eu,us",
			statuses: []string{"eu=succeeded", "us=succeeded"},
			want:     []string{"start verify"},
		},
		{
			name:     "a failed need skips its dependents naming it, and the execution waits for running stages",
			pipeline: "build test<-build docs",
			statuses: []string{"build=failed", "docs=running"},
			want:     []string{`skip test: not run: stage "build" failed`},
		},
		{
			name:     "a failed_continue need lets dependents run",
			pipeline: "smoke deploy<-smoke",
			statuses: []string{"smoke=failed_continue"},
			want:     []string{"start deploy"},
		},
		{
			name:     "a skipped need lets dependents run",
			pipeline: "migrate deploy<-migrate",
			statuses: []string{"migrate=skipped"},
			want:     []string{"start deploy"},
		},
		{
			name:     "a fan-in with a skipped and a failed_continue need runs",
			pipeline: "a b join<-a,b",
			statuses: []string{"a=skipped", "b=failed_continue"},
			want:     []string{"start join"},
		},
		{
			name:     "a failed stage anywhere skips every pending stage and fails the execution with its reason",
			pipeline: "build lint deploy<-build notify",
			statuses: []string{"build=succeeded", "lint=failed"},
			want: []string{
				`skip deploy: not run: stage "lint" failed`,
				`skip notify: not run: stage "lint" failed`,
				`finish failed: stage "lint" failed: lint broke`,
			},
		},
		{
			name:     "a failed stage fails the execution once nothing else is left",
			pipeline: "build test<-build",
			statuses: []string{"build=succeeded", "test=failed"},
			want:     []string{`finish failed: stage "test" failed: test broke`},
		},
		{
			name:     "all stages succeeded: the execution succeeded",
			pipeline: "build test<-build deploy<-test",
			statuses: []string{"build=succeeded", "test=succeeded", "deploy=succeeded"},
			want:     []string{"finish succeeded"},
		},
		{
			name:     "succeeded and skipped stages: the execution succeeded",
			pipeline: "build migrate<-build deploy<-build",
			statuses: []string{"build=succeeded", "migrate=skipped", "deploy=succeeded"},
			want:     []string{"finish succeeded"},
		},
		{
			name:     "failed_continue stages: the execution succeeded, listing them",
			pipeline: "smoke load deploy",
			statuses: []string{"smoke=failed_continue", "load=failed_continue", "deploy=succeeded"},
			want:     []string{"finish succeeded: succeeded; these stages failed and were allowed to (onFailure: continue): smoke, load"},
		},
		{
			name:     "a canceled need skips its dependents naming it",
			pipeline: "build test<-build docs",
			statuses: []string{"build=canceled", "docs=running"},
			want:     []string{`skip test: not run: stage "build" it needs did not succeed`},
		},
		{
			name:     "a need that is not a stage of the execution skips the stage naming it",
			pipeline: "deploy<-ghost",
			want:     []string{`skip deploy: not run: stage "ghost" it needs did not succeed`, "finish succeeded"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			exec := pipelineRun(t, tt.pipeline, tt.statuses...)
			got := describe(Decide(exec))
			if !slices.Equal(got, tt.want) {
				t.Errorf("Decide(%s with %v)\n got: %q\nwant: %q", tt.pipeline, tt.statuses, got, tt.want)
			}
		})
	}
}

func TestDecideOnAFinishedExecutionDoesNothing(t *testing.T) {
	t.Parallel()
	for _, status := range []model.ExecutionStatus{model.ExecutionSucceeded, model.ExecutionFailed, model.ExecutionCanceled} {
		exec := pipelineRun(t, "build test<-build", "build=failed")
		exec.Status = status
		if got := describe(Decide(exec)); got != nil {
			t.Errorf("Decide on a %s execution = %q, want nothing", status, got)
		}
	}
}

func TestDecideIsPure(t *testing.T) {
	t.Parallel()
	exec := pipelineRun(t, "build lint deploy<-build,lint", "build=succeeded", "lint=failed")
	before := fmt.Sprintf("%+v", *exec)
	first := describe(Decide(exec))
	second := describe(Decide(exec))
	if !slices.Equal(first, second) {
		t.Errorf("two decisions on one snapshot differ:\n%q\n%q", first, second)
	}
	if after := fmt.Sprintf("%+v", *exec); after != before {
		t.Errorf("Decide changed the execution:\nbefore %s\nafter  %s", before, after)
	}
}

// TestDecideDrivesAnyPipelineToTheEnd plays random pipelines to the end: the
// engine applies each decision, and every started stage ends in a random
// way. Whatever happens, the execution must finish, no stage may start twice
// or before its needs let it, and the final status must match the stages.
func TestDecideDrivesAnyPipelineToTheEnd(t *testing.T) {
	t.Parallel()
	for seed := range uint64(500) {
		rng := rand.New(rand.NewPCG(seed, 42))
		exec := randomPipelineRun(rng)
		if err := playToTheEnd(exec, rng); err != nil {
			t.Fatalf("seed %d, pipeline %s: %v", seed, pipelineString(exec), err)
		}
	}
}

func randomPipelineRun(rng *rand.Rand) *model.Execution {
	exec := &model.Execution{ID: "exec-prop", Status: model.ExecutionRunning}
	n := 1 + rng.IntN(12)
	for i := range n {
		spec := model.StageSpec{Name: fmt.Sprintf("s%d", i), Noop: &model.NoopStage{}}
		for j := range i {
			if rng.IntN(3) == 0 {
				spec.Needs = append(spec.Needs, fmt.Sprintf("s%d", j))
			}
		}
		exec.Spec.Stages = append(exec.Spec.Stages, spec)
		exec.Stages = append(exec.Stages, model.Stage{ExecutionID: exec.ID, Name: spec.Name, Status: model.StagePending})
	}
	return exec
}

func pipelineString(exec *model.Execution) string {
	var parts []string
	for _, s := range exec.Spec.Stages {
		p := s.Name
		if len(s.Needs) > 0 {
			p += "<-" + strings.Join(s.Needs, ",")
		}
		parts = append(parts, p)
	}
	return strings.Join(parts, " ")
}

func playToTheEnd(exec *model.Execution, rng *rand.Rand) error {
	outcomes := []model.StageStatus{model.StageSucceeded, model.StageSucceeded, model.StageSucceeded, model.StageFailed, model.StageFailedContinue}
	started := map[string]bool{}
	for round := range 1000 {
		d := Decide(exec)
		for _, name := range d.Start {
			st := findStage(exec, name)
			switch {
			case started[name]:
				return fmt.Errorf("round %d: stage %s started twice", round, name)
			case st.Status != model.StagePending:
				return fmt.Errorf("round %d: stage %s started while %s", round, name, st.Status)
			}
			for _, need := range exec.Spec.StageNeeds()[name] {
				switch findStage(exec, need).Status {
				case model.StageSucceeded, model.StageSkipped, model.StageFailedContinue:
				default:
					return fmt.Errorf("round %d: stage %s started while its need %s is %s", round, name, need, findStage(exec, need).Status)
				}
			}
			if f := firstFailure(exec); f != nil {
				return fmt.Errorf("round %d: stage %s started after stage %s failed", round, name, f.Name)
			}
			started[name] = true
			st.Status = model.StageRunning
		}
		for _, sk := range d.Skip {
			st := findStage(exec, sk.Stage)
			if st.Status != model.StagePending {
				return fmt.Errorf("round %d: stage %s skipped while %s", round, sk.Stage, st.Status)
			}
			if !strings.Contains(sk.Reason, `stage "`) {
				return fmt.Errorf("round %d: stage %s skipped without naming the stage to blame: %q", round, sk.Stage, sk.Reason)
			}
			st.Status, st.Reason = model.StageSkipped, sk.Reason
		}
		if d.Finish != nil {
			return checkFinish(exec, *d.Finish)
		}
		var running []*model.Stage
		for i := range exec.Stages {
			if exec.Stages[i].Status == model.StageRunning {
				running = append(running, &exec.Stages[i])
			}
		}
		if len(running) == 0 {
			if len(d.Skip) > 0 {
				continue // skips can make others ready: decide again, as the engine does
			}
			return fmt.Errorf("round %d: stuck: nothing runs and nothing starts (%s)", round, stageSummary(exec))
		}
		st := running[rng.IntN(len(running))]
		st.Status = outcomes[rng.IntN(len(outcomes))]
		if st.Status == model.StageFailed {
			st.Reason = "boom"
		}
	}
	return fmt.Errorf("no finish after 1000 rounds (%s)", stageSummary(exec))
}

func checkFinish(exec *model.Execution, f Finish) error {
	failed := firstFailure(exec)
	for _, st := range exec.Stages {
		if !st.Status.Terminal() {
			return fmt.Errorf("finished %s while stage %s is %s", f.Status, st.Name, st.Status)
		}
	}
	switch {
	case failed != nil && f.Status != model.ExecutionFailed:
		return fmt.Errorf("finished %s although stage %s failed", f.Status, failed.Name)
	case failed != nil && !strings.Contains(f.Reason, fmt.Sprintf("%q", failed.Name)):
		return fmt.Errorf("failed with reason %q, which does not name stage %s", f.Reason, failed.Name)
	case failed == nil && f.Status != model.ExecutionSucceeded:
		return fmt.Errorf("finished %s (%s) although no stage failed", f.Status, f.Reason)
	}
	exec.Status = f.Status
	if again := describe(Decide(exec)); again != nil {
		return fmt.Errorf("a finished execution still gets a decision: %q", again)
	}
	return nil
}
