package engine

import (
	"fmt"
	"strings"

	"github.com/gennaker/gennaker/internal/model"
)

// Decision is what should happen next to an execution, computed from a
// snapshot of it by Decide. The engine applies it in one transaction.
type Decision struct {
	// Start lists pending stages whose needs are all met.
	Start []string
	// Skip lists pending stages that can never run, with the reason.
	Skip []Skip
	// Finish, when set, ends the execution.
	Finish *Finish
}

// Skip is a pending stage that will not run.
type Skip struct {
	Stage  string
	Reason string
}

// Finish ends an execution with a status and reason.
type Finish struct {
	Status model.ExecutionStatus
	Reason string
}

// Decide looks at an execution and says which stages start, which are
// skipped, and whether the execution is over. It is pure: the same snapshot
// always gives the same decision. Conditions (`if:`) are not evaluated here;
// the engine evaluates them when it starts a stage.
func Decide(exec *model.Execution) Decision {
	var d Decision
	if exec.Status.Terminal() {
		return d
	}
	byName := make(map[string]*model.Stage, len(exec.Stages))
	for i := range exec.Stages {
		byName[exec.Stages[i].Name] = &exec.Stages[i]
	}
	needs := exec.Spec.StageNeeds()

	failed := firstFailure(exec)
	skipped := map[string]bool{}
	for _, st := range exec.Stages {
		if st.Status != model.StagePending {
			continue
		}
		if failed != nil {
			d.Skip = append(d.Skip, Skip{st.Name, fmt.Sprintf("not run: stage %q failed", failed.Name)})
			skipped[st.Name] = true
			continue
		}
		ready, blockedBy := needsMet(needs[st.Name], byName)
		switch {
		case blockedBy != "":
			d.Skip = append(d.Skip, Skip{st.Name, fmt.Sprintf("not run: stage %q it needs did not succeed", blockedBy)})
			skipped[st.Name] = true
		case ready:
			d.Start = append(d.Start, st.Name)
		}
	}
	if len(d.Start) > 0 {
		return d
	}
	// Nothing new starts: the execution ends when every stage is (or is about to be) terminal.
	for _, st := range exec.Stages {
		if !st.Status.Terminal() && !skipped[st.Name] {
			return d
		}
	}
	d.Finish = finish(exec, failed)
	return d
}

// needsMet reports whether all of a stage's needs let it run, or names the
// first need that failed (which means it never will).
func needsMet(needs []string, byName map[string]*model.Stage) (ready bool, blockedBy string) {
	ready = true
	for _, n := range needs {
		dep, ok := byName[n]
		if !ok {
			return false, n
		}
		switch dep.Status {
		case model.StageSucceeded, model.StageFailedContinue, model.StageSkipped:
		case model.StageFailed, model.StageCanceled:
			return false, n
		default:
			ready = false
		}
	}
	return ready, ""
}

func firstFailure(exec *model.Execution) *model.Stage {
	for i := range exec.Stages {
		if exec.Stages[i].Status == model.StageFailed {
			return &exec.Stages[i]
		}
	}
	return nil
}

func finish(exec *model.Execution, failed *model.Stage) *Finish {
	if failed != nil {
		reason := fmt.Sprintf("stage %q failed", failed.Name)
		if failed.Reason != "" {
			reason += ": " + failed.Reason
		}
		return &Finish{Status: model.ExecutionFailed, Reason: reason}
	}
	var cont []string
	for _, st := range exec.Stages {
		if st.Status == model.StageFailedContinue {
			cont = append(cont, st.Name)
		}
	}
	if len(cont) > 0 {
		return &Finish{Status: model.ExecutionSucceeded, Reason: "succeeded; these stages failed and were allowed to (onFailure: continue): " + strings.Join(cont, ", ")}
	}
	return &Finish{Status: model.ExecutionSucceeded}
}
