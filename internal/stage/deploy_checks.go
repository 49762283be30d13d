package stage

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/gennaker/gennaker/internal/analysis"
	"github.com/gennaker/gennaker/internal/analysis/source"
	"github.com/gennaker/gennaker/internal/model"
	"github.com/gennaker/gennaker/internal/provider/kubernetes"
)

// The checks of an analysis step (web and job checks, Argo Rollouts'
// metrics) are measured when an interval ends, once per judged interval,
// before the interval is judged. A web check is one request in the call
// that judges; a job check creates its Job on the first call and looks at
// it on later ones (every jobPoll), so one interval's checks may take
// several calls. What is measured so far is kept in the step's state, so a
// restart resumes; a Job's name is derived from the measurement, so a call
// repeated after a crash finds the Job it created.

// jobPoll is how often a running Job of a job check is looked at.
const jobPoll = 2 * time.Second

// WebChecker makes one measurement of a web check (source.Web).
type WebChecker interface {
	Measure(ctx context.Context, c model.AnalysisCheck, s source.Scope) analysis.CheckMeasurement
}

var _ WebChecker = source.Web{}

// JobRunner runs the Jobs of job checks in one Kubernetes environment
// (kubernetes.Provider).
type JobRunner interface {
	RunAnalysisJob(ctx context.Context, j kubernetes.AnalysisJob) (kubernetes.JobState, error)
	DeleteAnalysisJob(ctx context.Context, name string) error
}

var _ JobRunner = (*kubernetes.Provider)(nil)

// CheckJobs gives the JobRunner of an environment; an environment that
// cannot run Jobs (a local one) is an error saying so.
type CheckJobs func(env model.Environment) (JobRunner, error)

// checkState is the checks' part of an analysis step's state.
type checkState struct {
	// Measured is every check measurement of the step so far, in order.
	Measured []analysis.CheckMeasurement `json:"measured,omitempty"`
	// Round is the measurements of the interval being judged, so far.
	Round []analysis.CheckMeasurement `json:"round,omitempty"`
	// Jobs are the Jobs of this round's job checks, by check name.
	Jobs map[string]checkJob `json:"jobs,omitempty"`
}

// checkJob is a job check's Job of this round.
type checkJob struct {
	Name    string    `json:"name"`
	Started time.Time `json:"started"`
}

// measureChecks measures the checks of the interval being judged that are
// not measured yet. It reports whether every check has its measurement;
// when not, out says what it waits for.
func (d *Deploy) measureChecks(ctx context.Context, in Input, w world, st *deployState, cfg model.AnalysisSpec, canary string) (complete bool, out stepOutcome) {
	a := st.Analysis
	scope := d.scope(ctx, w, canary, model.RoleCanary, a.Start, in.Now)
	measured := map[string]bool{}
	for _, m := range a.Checks.Round {
		measured[m.Check] = true
	}
	var waiting []string
	for _, c := range cfg.Checks {
		if measured[c.Name] {
			continue
		}
		var m analysis.CheckMeasurement
		switch c.Kind() {
		case model.CheckWeb:
			if d.Web == nil {
				m = checkError(c, in.Now, "web checks are not available in this server")
			} else {
				m = d.Web.Measure(ctx, c, scope)
			}
		case model.CheckJob:
			var wait string
			if m, wait = d.measureJob(ctx, in, w, st, c, scope); wait != "" {
				waiting = append(waiting, wait)
				continue
			}
		default:
			m = checkError(c, in.Now, "a check needs exactly one of web and job")
		}
		m.Interval = a.Index
		a.Checks.Round = append(a.Checks.Round, m)
	}
	if len(waiting) > 0 {
		return false, waitUntil(in.Now.Add(jobPoll), "measuring checks: "+strings.Join(waiting, "; "))
	}
	return true, stepOutcome{}
}

// measureJob makes (or looks at) the Job of one job check's measurement.
// wait is non-empty while the Job runs.
func (d *Deploy) measureJob(ctx context.Context, in Input, w world, st *deployState, c model.AnalysisCheck, scope source.Scope) (m analysis.CheckMeasurement, wait string) {
	a := st.Analysis
	if d.CheckJobs == nil {
		return checkError(c, in.Now, "job checks are not available in this server"), ""
	}
	runner, err := d.CheckJobs(w.env)
	if err != nil {
		return checkError(c, in.Now, fmt.Sprintf("%v: a job check runs a Kubernetes Job; use a web check here", err)), ""
	}
	job, ok := a.Checks.Jobs[c.Name]
	if !ok {
		job = checkJob{
			Name: kubernetes.AnalysisJobName(w.app.Name, c.Name, in.Execution.ID, in.RecordName(),
				strconv.Itoa(st.Next), strconv.Itoa(a.Index), strconv.Itoa(a.Extensions)),
			Started: in.Now,
		}
		if a.Checks.Jobs == nil {
			a.Checks.Jobs = map[string]checkJob{}
		}
		a.Checks.Jobs[c.Name] = job
	}
	m = analysis.CheckMeasurement{Check: c.Name, Kind: model.CheckJob, Job: job.Name, StartedAt: job.Started}
	finish := func(phase analysis.CheckPhase, msg string) (analysis.CheckMeasurement, string) {
		m.Phase, m.Message, m.FinishedAt = phase, fmt.Sprintf("check %s: Job %s %s", c.Name, job.Name, msg), in.Now
		return m, ""
	}
	timeout := c.Job.TimeoutOrDefault()
	timedOut := in.Now.Sub(job.Started) >= timeout
	spec, err := kubernetes.JobSpec(source.RenderObject(c.Job.Spec, scope))
	if err != nil {
		return finish(analysis.CheckError, fmt.Sprintf("cannot be made: %v: fix the check's job.spec", err))
	}
	state, err := runner.RunAnalysisJob(ctx, kubernetes.AnalysisJob{
		Name: job.Name, App: w.app.Name, ServerGroup: scope.ServerGroup, Execution: in.Execution.ID,
		Stage: in.RecordName(), Check: c.Name, Spec: spec,
	})
	switch {
	case err != nil && kubernetes.TransientError(err) && !timedOut:
		return m, fmt.Sprintf("%s: Job %s: %v (trying again)", c.Name, job.Name, err)
	case err != nil:
		return finish(analysis.CheckError, fmt.Sprintf("could not be run: %v", err))
	case state.Done && state.Succeeded:
		return finish(analysis.CheckSuccessful, "succeeded: "+state.Reason)
	case state.Done:
		m.Container, m.ExitCode, m.Reason = state.Container, state.ExitCode, state.ExitReason
		msg := "failed: " + state.Reason
		if state.ExitCode != nil {
			msg += fmt.Sprintf(" (container %s exited with %d", state.Container, *state.ExitCode)
			if state.ExitReason != "" {
				msg += ": " + state.ExitReason
			}
			msg += ")"
		}
		return finish(analysis.CheckFailed, msg)
	case timedOut:
		if err := runner.DeleteAnalysisJob(ctx, job.Name); err != nil && !errors.Is(err, context.Canceled) {
			return finish(analysis.CheckError, fmt.Sprintf("did not finish within %s (job.timeout; %s), and deleting it failed: %v", timeout, state.Reason, err))
		}
		return finish(analysis.CheckError, fmt.Sprintf("did not finish within %s (job.timeout; %s): deleted it; raise job.timeout or look at its pods' events", timeout, state.Reason))
	}
	return m, fmt.Sprintf("%s: Job %s %s", c.Name, job.Name, state.Reason)
}

// checkError is an error measurement made without measuring.
func checkError(c model.AnalysisCheck, now time.Time, msg string) analysis.CheckMeasurement {
	return analysis.CheckMeasurement{Check: c.Name, Kind: c.Kind(), Phase: analysis.CheckError,
		Message: "check " + c.Name + ": " + msg, StartedAt: now, FinishedAt: now}
}

// judgeChecks decides the checks after the interval's measurements are in:
// the limits over the step's measurements so far, and the record of the round.
func judgeChecks(cfg model.AnalysisSpec, a *analysisState, canary string) judged {
	all := append(append([]analysis.CheckMeasurement{}, a.Checks.Measured...), a.Checks.Round...)
	v := analysis.DecideChecks(cfg.Checks, all)
	round := analysis.CheckRound{Judge: analysis.JudgeChecks, Canary: canary, Measurements: a.Checks.Round, Tallies: v.Tallies}
	a.Checks = checkState{Measured: all}
	return judged{outcome: v.Outcome, score: v.Score, reason: v.Reason, measured: round, verdict: v}
}

// combineVerdicts is the interval's outcome when both the comparison and
// the checks judged it: a failure wins, then inconclusive, then extend.
func combineVerdicts(cmp, checks judged) judged {
	rank := map[analysis.Outcome]int{analysis.OutcomeFail: 4, analysis.OutcomeInconclusive: 3, analysis.OutcomeExtend: 2, analysis.OutcomePass: 1}
	out := cmp
	if rank[checks.outcome] > rank[cmp.outcome] {
		out.outcome = checks.outcome
	}
	out.score = min(cmp.score, checks.score)
	out.reason = cmp.reason + "; " + checks.reason
	out.short = cmp.line() + "; " + checks.line()
	return out
}
