package web

import (
	"encoding/json"
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/gennaker/gennaker/internal/deploy"
	"github.com/gennaker/gennaker/internal/model"
)

// appView is one application on the applications page and its detail page.
type appView struct {
	App  model.Application
	Envs []envView
	// Last is the application's newest execution (nil when it never ran).
	Last *execSummary
	// SLOs are the application's SLOs' current state (slo.go).
	SLOs []sloBadge
}

// envView is an application's cluster in one environment.
type envView struct {
	Name      string
	FrontDoor string
	Groups    []groupView
	Last      *execSummary
	// Rollback says where a rollback would return (nil on pages that do
	// not offer one); its Target is nil when no rollback is possible.
	Rollback *deploy.RollbackPreview
	// Error is why the target could not be read (health is then unknown).
	Error string
}

// groupView is one server group with what the UI says about it.
type groupView struct {
	deploy.ServerGroupStatus
	// Share is the box's width in the traffic split, in percent (at least a sliver).
	Share int
}

func (g groupView) HealthClass() string {
	switch {
	case g.Error != "":
		return "bad"
	case g.Total == 0:
		return "muted"
	case g.Healthy >= g.Total:
		return "ok"
	case g.Healthy == 0:
		return "bad"
	}
	return "warn"
}

// execSummary is one line of an executions list.
type execSummary struct {
	ID, Pipeline, Application string
	Status                    model.ExecutionStatus
	Reason                    string
	Trigger                   model.Trigger
	Version                   string
	Created                   time.Time
	Duration                  time.Duration
	// Waiting says what a running execution waits for and who may answer
	// (waitingNote), "" when it waits for nobody.
	Waiting string
}

func summarize(e *model.Execution, now time.Time) *execSummary {
	if e == nil {
		return nil
	}
	end := now
	if e.EndedAt != nil {
		end = *e.EndedAt
	}
	return &execSummary{
		ID: e.ID, Pipeline: e.Pipeline, Application: e.Application, Status: e.Status, Reason: e.Reason,
		Trigger: e.Trigger, Version: e.Params["version"], Created: e.CreatedAt, Duration: end.Sub(e.CreatedAt),
		Waiting: waitingNote(e),
	}
}

func buildEnvs(st *deploy.AppStatus, now time.Time) []envView {
	var out []envView
	for _, es := range st.Environments {
		ev := envView{Name: es.Environment, FrontDoor: es.FrontDoor, Last: summarize(es.LastExecution, now), Error: es.Error, Rollback: es.Rollback}
		for _, sg := range es.ServerGroups {
			share := sg.Weight
			if share < 4 {
				share = 4 // a visible sliver, so every box can be seen and labelled
			}
			ev.Groups = append(ev.Groups, groupView{ServerGroupStatus: sg, Share: share})
		}
		out = append(out, ev)
	}
	return out
}

// stageView is one stage of an execution, placed by its depth in the DAG.
type stageView struct {
	model.Stage
	Depth    int
	Needs    []string
	Duration time.Duration
	// Plain is the stage's state in plain words.
	Plain        string
	Instructions string
	Deploy       *deployOutput
	// Progress is a deploy's plan, step by step, read from its state.
	Progress *progressView
	// Waves is a deploy in waves' progress, per environment.
	Waves *model.WaveOutput
	// Raw is any other output, as indented JSON.
	Raw string
}

// deployOutput mirrors what the deploy stage reports (internal/stage deployOutput).
type deployOutput struct {
	Summary      string            `json:"summary"`
	Environment  string            `json:"environment"`
	Version      string            `json:"version"`
	Step         int               `json:"step"`
	Steps        int               `json:"steps"`
	ServerGroups map[string]string `json:"serverGroups"`
	Verdicts     []string          `json:"verdicts"`
	Plan         []string          `json:"plan"`
	Traffic      string            `json:"traffic"`
}

// Groups lists the deploy's server groups as "ref: name", sorted.
func (d *deployOutput) Groups() []string {
	var out []string
	for ref, name := range d.ServerGroups {
		out = append(out, ref+": "+name)
	}
	sort.Strings(out)
	return out
}

// execView is the execution page.
type execView struct {
	Exec     model.Execution
	Stages   []stageView
	Duration time.Duration
	Plain    string
	// Waiting is the stage waiting for a person, if any.
	Waiting     string
	HasAnalysis bool
	Version     string
	// Graph draws the stages as the pipeline's DAG.
	Graph *graphView
	// MayJudge and MayCancel say whether the viewer's grants allow
	// answering the waiting stage and cancelling (the API decides; the page
	// only leaves out buttons that would be refused).
	MayJudge, MayCancel bool
	// Canary is the running or paused canary deploy stage a person may
	// promote or abort ("" when none); Retry is the stage a retry of a
	// failed or canceled execution starts from ("" when none).
	Canary, Retry string
	// MayControl and MayRetry say whether the viewer's grants allow those
	// (the approve permission of the stage, as for approving).
	MayControl, MayRetry bool
	// Payload is what the trigger that started the execution received
	// (redacted when stored), indented; "" when none.
	Payload string
}

func buildExec(e *model.Execution, now time.Time) execView {
	v := execView{Exec: *e, Version: e.Params["version"], Payload: indentJSON(e.Trigger.Payload)}
	end := now
	if e.EndedAt != nil {
		end = *e.EndedAt
	}
	v.Duration = end.Sub(e.CreatedAt)
	specs := map[string]model.StageSpec{}
	for _, s := range e.Spec.Stages {
		specs[s.Name] = s
	}
	needs := e.Spec.StageNeeds()
	names := make([]string, len(e.Spec.Stages))
	for i, s := range e.Spec.Stages {
		names[i] = s.Name
	}
	depth := stageDepths(names, needs)
	for _, st := range e.Stages {
		sv := stageView{Stage: st, Depth: depth[st.Name], Needs: needs[st.Name], Plain: plainStage(st)}
		if j := specs[st.Name].Judgment; j != nil {
			sv.Instructions = j.Instructions
		}
		if st.StartedAt != nil {
			e := now
			if st.EndedAt != nil {
				e = *st.EndedAt
			}
			sv.Duration = e.Sub(*st.StartedAt)
		}
		if st.Type == model.StageDeploy || st.Type == model.StageRollback {
			sv.Progress = buildProgress(st, specs[st.Name], now)
		}
		if len(st.Output) > 0 && string(st.Output) != "null" {
			if specs[st.Name].Deploy.InWaves() {
				var w model.WaveOutput
				if json.Unmarshal(st.Output, &w) == nil {
					sv.Waves = &w
				}
			} else if st.Type == model.StageDeploy || st.Type == model.StageRollback {
				var d deployOutput
				if json.Unmarshal(st.Output, &d) == nil {
					if sv.Progress != nil && sv.Progress.Headline != "" && strings.HasPrefix(d.Summary, "step ") {
						d.Summary = "" // the plan's headline says it, in one numbering
					}
					if d.Summary != "" && strings.Contains(st.Reason, strings.TrimSuffix(d.Summary, ".")) {
						d.Summary = "" // the stage's reason above says it already
					}
					sv.Deploy = &d
					// Every judged interval adds a verdict beside its record.
					v.HasAnalysis = v.HasAnalysis || len(d.Verdicts) > 0
				}
			}
			if sv.Deploy == nil && sv.Waves == nil {
				sv.Raw = indentJSON(st.Output)
			}
		}
		if st.Status == model.StageWaiting && v.Waiting == "" {
			v.Waiting = st.Name
		}
		if sp := specs[st.Name]; v.Canary == "" && (st.Status == model.StageRunning || st.Status == model.StageWaiting) &&
			sp.Deploy != nil && !sp.Deploy.InWaves() && sp.Deploy.Strategy.Type == model.StrategyCanary && sv.Deploy != nil && sv.Deploy.Steps > 0 {
			v.Canary = st.Name
		}
		if v.Retry == "" && (e.Status == model.ExecutionFailed || e.Status == model.ExecutionCanceled) && st.Status == model.StageFailed {
			v.Retry = st.Name
		}
		v.Stages = append(v.Stages, sv)
	}
	if v.Retry == "" && e.Status == model.ExecutionCanceled {
		for _, st := range e.Stages {
			if st.Status == model.StageCanceled {
				v.Retry = st.Name
				break
			}
		}
	}
	v.Graph = pipelineGraph("exec-graph", e.Spec, v.Stages)
	sort.SliceStable(v.Stages, func(a, b int) bool { return v.Stages[a].Depth < v.Stages[b].Depth })
	v.Plain = plainExecution(e)
	return v
}

func plainExecution(e *model.Execution) string {
	switch e.Status {
	case model.ExecutionRunning:
		for _, st := range e.Stages {
			if st.Status == model.StageWaiting {
				return "Waiting for a person to approve or reject stage " + st.Name + "."
			}
		}
		return "Running."
	case model.ExecutionSucceeded:
		return "Finished: every stage succeeded or was skipped."
	case model.ExecutionCanceled:
		return "Canceled" + withReason(e.Reason)
	case model.ExecutionFailed:
		return "Failed" + withReason(brief(e.Reason))
	}
	return string(e.Status)
}

// brief shortens a long failure reason for the execution's headline: its
// first clause, a critical failure, and what happened to the traffic; the
// failed stage below gives the whole reason.
func brief(reason string) string {
	parts := strings.Split(reason, "; ")
	if len(reason) <= 160 || len(parts) < 3 {
		return reason
	}
	keep := []string{parts[0]}
	for _, p := range parts[1 : len(parts)-1] {
		if strings.HasPrefix(p, "critical metric") {
			keep = append(keep, p)
		}
	}
	last := parts[len(parts)-1]
	if strings.HasPrefix(last, "rolled back") || strings.HasPrefix(last, "left as it is") || strings.HasPrefix(last, "rolling back") {
		keep = append(keep, "…", last)
	} else {
		keep = append(keep, "… (the failed stage below has every detail)")
	}
	return strings.Join(keep, "; ")
}

func plainStage(st model.Stage) string {
	switch st.Status {
	case model.StagePending:
		return "Not started: waits for the stages it needs."
	case model.StageRunning:
		if st.Reason != "" {
			return "Running: " + st.Reason
		}
		return "Running."
	case model.StageWaiting:
		if st.Reason != "" {
			return "Waiting for a person: " + st.Reason
		}
		return "Waiting for a person to approve or reject."
	case model.StageSucceeded:
		if j := st.Judgment; j.IsAnswer() {
			return fmt.Sprintf("Succeeded: %sd by %s%s.", j.Decision, orSomeone(j.Actor), comment(j.Comment))
		}
		if j := st.Judgment; j != nil && j.Decision == model.DecisionPromote {
			return fmt.Sprintf("Succeeded: promoted at once by %s%s.", orSomeone(j.Actor), comment(j.Comment))
		}
		return "Succeeded."
	case model.StageFailed:
		return "Failed" + withReason(st.Reason)
	case model.StageFailedContinue:
		return "Failed, and the pipeline went on (onFailure: continue)" + withReason(st.Reason)
	case model.StageSkipped:
		if st.Reason != "" {
			return "Skipped: " + st.Reason
		}
		return "Skipped: its condition was false or a stage it needs did not succeed."
	case model.StageCanceled:
		return "Canceled before it finished" + withReason(st.Reason)
	}
	return string(st.Status)
}

func withReason(r string) string {
	if r == "" {
		return "."
	}
	return ": " + strings.TrimSuffix(r, ".") + "."
}

func orSomeone(a string) string {
	if a == "" {
		return "someone"
	}
	return a
}

func comment(c string) string {
	if c == "" {
		return ""
	}
	return " (" + c + ")"
}

func indentJSON(b []byte) string {
	var v any
	if json.Unmarshal(b, &v) != nil {
		return string(b)
	}
	out, _ := json.MarshalIndent(v, "", "  ")
	return string(out)
}

// eventView is one delivery event on the events page.
type eventView struct {
	model.Event
	Class string
	Title string
	// From and To are the versions traffic moved from and to: a rollback's
	// both, a deploy's new one (To).
	From, To string
}

func buildEvents(evs []model.Event) []eventView {
	out := make([]eventView, 0, len(evs))
	for _, e := range slices.Backward(evs) {
		from, to := eventVersions(e)
		out = append(out, eventView{Event: e, Class: eventClass(e), Title: eventTitle(e), From: from, To: to})
	}
	return out
}

// eventVersions reads an event's versions as from and to. A rollback
// recorded before events had FromVersion named one version only: the one
// it went back to (one-click), or, for an automatic one, the one it left.
func eventVersions(e model.Event) (from, to string) {
	switch {
	case e.Kind != model.EventRolledBack:
		return "", e.Version
	case e.FromVersion != "":
		return e.FromVersion, e.Version
	case strings.HasPrefix(e.Detail, "automatic"):
		return e.Version, ""
	}
	return "", e.Version
}

func eventClass(e model.Event) string {
	switch e.Kind {
	case model.EventDeploySucceeded:
		return "succeeded"
	case model.EventDeployFailed:
		return "failed"
	case model.EventRolledBack:
		return "rolledback"
	case model.EventManualStep, model.EventJudgmentWaiting:
		return "waiting"
	case model.EventCanaryVerdict:
		switch e.Action {
		case "passed":
			return "succeeded"
		case "failed":
			return "failed"
		}
		return "waiting"
	case model.EventExecutionFinished:
		if strings.HasPrefix(e.Detail, "succeeded") {
			return "succeeded"
		}
		if strings.HasPrefix(e.Detail, "failed") {
			return "failed"
		}
	}
	return "running"
}

func eventTitle(e model.Event) string {
	switch e.Kind {
	case model.EventExecutionStarted:
		return "execution started"
	case model.EventExecutionFinished:
		return "execution finished"
	case model.EventDeployStarted:
		return "deploy started"
	case model.EventDeploySucceeded:
		return "deployed"
	case model.EventDeployFailed:
		return "deploy failed"
	case model.EventRolledBack:
		return "rolled back"
	case model.EventTrafficApproximated:
		return "traffic approximated"
	case model.EventJudgmentWaiting:
		return "waits for a judgment"
	case model.EventCanaryVerdict:
		return "canary " + e.Action
	case model.EventManualStep:
		if e.Action != "" {
			return "manual: " + e.Action
		}
		return "manual step"
	}
	return string(e.Kind)
}

// statusClass maps any status word to a CSS class that colours it. The
// statistical judge's classifications count too: high and low failed,
// nodata is neither a pass nor a failure (like waiting).
func statusClass(s any) string {
	switch v := fmt.Sprint(s); v {
	case "succeeded", "pass", "up", "deployed", "promoted", "ok":
		return "succeeded"
	case "failed", "fail", "failed_continue", "deploy_failed", "high", "low", "dead":
		return "failed"
	case "waiting", "inconclusive", "marginal", "extend", "nodata", "failing":
		return "waiting"
	case "running", "creating":
		return "running"
	case "canceled", "skipped", "disabled", "destroyed", "pending":
		return "muted"
	default:
		return "muted"
	}
}

func ago(t time.Time) string {
	d := time.Since(t)
	switch {
	case d < time.Minute:
		return "just now"
	case d < time.Hour:
		return fmt.Sprintf("%d min ago", int(d.Minutes()))
	case d < 48*time.Hour:
		return fmt.Sprintf("%d h ago", int(d.Hours()))
	}
	return fmt.Sprintf("%d days ago", int(d.Hours()/24))
}

func fmtDuration(d time.Duration) string {
	switch {
	case d <= 0:
		return "–"
	case d < time.Second:
		return fmt.Sprintf("%dms", d.Milliseconds())
	case d < time.Minute:
		return trimFloat(d.Seconds(), 1) + "s"
	}
	return d.Round(time.Second).String()
}

// shortID keeps the random tail of an execution ID (20261127-054106-e4bf89b52c76 -> e4bf89b52c76).
func shortID(id string) string {
	if i := strings.LastIndexByte(id, '-'); i >= 0 && i < len(id)-1 {
		return id[i+1:]
	}
	return id
}
