package engine

import (
	"strings"
	"testing"
	"time"

	"github.com/gennaker/gennaker/internal/model"
)

// Approving during a soak says to wait, how to see when, and until when
// the running stage is expected to run.
func TestNotWaitingHintSaysWhatToWaitFor(t *testing.T) {
	t.Parallel()
	wake := time.Date(2026, 12, 4, 8, 0, 5, 0, time.UTC)
	exec := &model.Execution{ID: "e1", Status: model.ExecutionRunning, Stages: []model.Stage{
		{Name: "soak", Status: model.StageRunning, WakeAt: &wake},
		{Name: "approve", Status: model.StagePending},
	}}
	got := notWaitingHint(exec)
	for _, want := range []string{"wait until a stage waits for approval", "gennaker execution e1 --watch", "stage soak runs until about 08:00:05 UTC"} {
		if !strings.Contains(got, want) {
			t.Errorf("hint %q does not say %q", got, want)
		}
	}
	exec.Status = model.ExecutionSucceeded
	if got := notWaitingHint(exec); got != "" {
		t.Errorf("an ended execution got the hint %q", got)
	}
}
