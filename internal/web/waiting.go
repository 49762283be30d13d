package web

import (
	"strings"

	"github.com/gennaker/gennaker/internal/auth"
	"github.com/gennaker/gennaker/internal/model"
)

// waitingNote says, for a running execution with a stage that waits for a
// person, what it waits for and who may answer: "waiting for approval:
// stage approve (an approver of production answers)" or "paused: canary
// stage canary (an approver of staging answers)"; "" when nothing waits.
func waitingNote(e *model.Execution) string {
	if e == nil || e.Status != model.ExecutionRunning {
		return ""
	}
	for _, st := range e.Stages {
		if st.Status != model.StageWaiting {
			continue
		}
		what := "waiting for approval: stage " + st.Name
		if st.Type == model.StageDeploy {
			what = "paused: canary stage " + st.Name + " waits for approval"
		}
		who := "an approver of the application answers"
		if envs := auth.ApprovalEnvironments(e.Spec, st.Name); len(envs) > 0 {
			who = "an approver of " + strings.Join(envs, " or ") + " answers"
		}
		return what + " (" + who + ")"
	}
	return ""
}

// markWaiting fills in the waiting notes of the summaries in views from
// running, the running executions (with their stages) by ID.
func markWaiting(views []appView, running map[string]*model.Execution) {
	mark := func(s *execSummary) {
		if s != nil && s.Status == model.ExecutionRunning {
			s.Waiting = waitingNote(running[s.ID])
		}
	}
	for i := range views {
		mark(views[i].Last)
		for j := range views[i].Envs {
			mark(views[i].Envs[j].Last)
		}
	}
}
