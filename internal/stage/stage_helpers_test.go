package stage

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/gennaker/gennaker/internal/model"
)

// clock is the time every stage test runs at.
var clock = time.Date(2026, 3, 14, 9, 26, 0, 0, time.UTC)

// inputFor builds a runner's input for one stage of a running execution,
// started at startedAt (zero: not started yet) and seen at now.
func inputFor(spec model.StageSpec, startedAt, now time.Time) Input {
	st := &model.Stage{ExecutionID: "exec-7", Name: spec.Name, Type: spec.Type(), Status: model.StageRunning, Attempt: 1}
	if !startedAt.IsZero() {
		st.StartedAt = &startedAt
	}
	return Input{
		Execution: &model.Execution{ID: "exec-7", Pipeline: "release", Status: model.ExecutionRunning},
		Stage:     st,
		Spec:      spec,
		Now:       now,
	}
}

// outputOf decodes a result's output.
func outputOf(t *testing.T, r Result) map[string]any {
	t.Helper()
	var out map[string]any
	if err := json.Unmarshal(r.Output, &out); err != nil {
		t.Fatalf("output %s is not a JSON object: %v", r.Output, err)
	}
	return out
}

func outcomeName(o Outcome) string {
	switch o {
	case Succeeded:
		return "Succeeded"
	case Failed:
		return "Failed"
	case Continue:
		return "Continue"
	case WaitForPerson:
		return "WaitForPerson"
	case Transient:
		return "Transient"
	}
	return "no outcome"
}
