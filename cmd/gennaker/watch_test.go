package main

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/gennaker/gennaker/internal/model"
)

// A watch prints each canary step as the stage reports it, not only status
// changes, and after an approval never the pause's words again.
func TestWatchLinesFollowTheCanary(t *testing.T) {
	t.Parallel()
	at := func(status model.StageStatus, summary string, j *model.Judgment) *model.Execution {
		out, _ := json.Marshal(map[string]string{"summary": summary})
		return &model.Execution{ID: "e1", Stages: []model.Stage{{ExecutionID: "e1", Name: "canary", Status: status, Output: out, Judgment: j}}}
	}
	seen := map[string]string{}
	now := time.Date(2026, 12, 4, 8, 0, 0, 0, time.UTC)
	var got []string
	for _, e := range []*model.Execution{
		at(model.StageRunning, "step 5/12: canary 25%, baseline 25%, serving 50%", nil),
		at(model.StageRunning, "step 5/12: canary 25%, baseline 25%, serving 50%", nil), // no change: nothing
		at(model.StageRunning, "step 6/12: judge the canary against the baseline", nil),
		at(model.StageWaiting, "paused: approve to go on, reject to roll back", nil),
		at(model.StageRunning, "paused: approve to go on, reject to roll back", &model.Judgment{Decision: model.DecisionApprove, Actor: "ada"}),
		at(model.StageRunning, "step 9/12: promote: send all traffic to the canary", nil),
	} {
		got = append(got, watchLines(seen, e, now)...)
	}
	want := []string{
		"canary 25%",
		"judge the canary",
		"paused: approve to go on, reject to roll back: gennaker approve e1 (or reject)",
		"approved by ada, going on",
		"promote: send all traffic",
	}
	if len(got) != len(want) {
		t.Fatalf("got %d lines, want %d:\n%s", len(got), len(want), strings.Join(got, "\n"))
	}
	for i, w := range want {
		if !strings.Contains(got[i], w) {
			t.Errorf("line %d: %q, want it to say %q", i, got[i], w)
		}
	}
	for _, line := range got[3:] {
		if strings.Contains(line, "paused") {
			t.Errorf("stale pause text after the approval: %q", line)
		}
	}
}
