package web

import (
	"fmt"
	"time"

	"github.com/gennaker/gennaker/internal/model"
	"github.com/gennaker/gennaker/internal/stage"
	"github.com/gennaker/gennaker/internal/strategy"
)

// progressView is a deploy's plan on the execution page: every step in one
// numbering with what became of it, and for the step running now what it
// is doing (the canary's weight, the analysis interval, the time left).
type progressView struct {
	Steps []progressStep
	// Headline is "step 4 of 12: analysis — judge the canary…" for the
	// step running or failed, "" when none is.
	Headline string
	// Running says what the running step does now, in words ("" when no
	// step runs): the weight, the interval and the time left.
	Running []string
	// Open: the plan is shown unfolded (a step runs or failed).
	Open bool
}

// progressStep is one line of the plan.
type progressStep struct {
	stage.ProgressStep
	// Mark is a sign beside the state, so it reads without colour.
	Mark  string
	Class string
}

// buildProgress reads a deploy stage's plan from its state; nil when it
// has none to show (not planned yet, a deploy in waves, an unreadable
// state: the stage's output still says what it did).
func buildProgress(st model.Stage, spec model.StageSpec, now time.Time) *progressView {
	p, err := stage.ReadDeployProgress(st, spec)
	if err != nil || p == nil || len(p.Steps) == 0 {
		return nil
	}
	v := &progressView{Open: p.Current >= 0}
	weight := -1 // the canary's weight after the steps done so far
	for i, s := range p.Steps {
		ps := progressStep{ProgressStep: s}
		switch s.State {
		case stage.StepDone:
			ps.Mark, ps.Class = "✓", "succeeded"
			if s.Weight >= 0 {
				weight = s.Weight
			}
		case stage.StepRunning:
			ps.Mark, ps.Class = "▶", "running"
		case stage.StepFailed:
			ps.Mark, ps.Class = "✗", "failed"
		default:
			ps.Mark, ps.Class = "·", "muted"
		}
		v.Steps = append(v.Steps, ps)
		if i == p.Current {
			v.Headline = fmt.Sprintf("step %d of %d: %s — %s", s.Number, len(p.Steps), s.Action, s.What)
			if s.State == stage.StepFailed {
				v.Headline = fmt.Sprintf("failed at step %d of %d: %s — %s", s.Number, len(p.Steps), s.Action, s.What)
			}
		}
	}
	if p.Current >= 0 && p.Steps[p.Current].State == stage.StepRunning {
		v.Running = runningWords(p, weight, now)
	}
	return v
}

// runningWords says what the running step of p does at now.
func runningWords(p *stage.DeployProgress, weight int, now time.Time) []string {
	s := p.Steps[p.Current]
	var out []string
	if s.Weight >= 0 {
		weight = s.Weight // the step sets it now
	}
	if weight >= 0 {
		out = append(out, fmt.Sprintf("canary weight %d%%", weight))
	}
	switch {
	case s.Action == strategy.ActionPause && s.Pause == 0:
		out = append(out, "waits until someone approves")
	case s.Action == strategy.ActionPause && p.StepStarted != nil:
		out = append(out, fmt.Sprintf("pause of %s, %s left", fmtDuration(s.Pause), left(p.StepStarted.Add(s.Pause), now)))
	case p.Analysis != nil:
		a := p.Analysis
		switch {
		case a.AwaitingPerson:
			out = append(out, fmt.Sprintf("analysis interval %d of %d was inconclusive: waits for approve or reject", a.Measuring.Index+1, a.Intervals))
		case a.Measuring.End.IsZero():
			out = append(out, fmt.Sprintf("warming up: analysis interval 1 of %d (%s each) starts in %s", a.Intervals, fmtDuration(a.Interval), left(a.Measuring.Start, now)))
		default:
			w := fmt.Sprintf("analysis interval %d of %d (%s each), %s left", a.Measuring.Index+1, a.Intervals, fmtDuration(a.Interval), left(a.Measuring.End, now))
			if a.Measuring.Extensions > 0 {
				w += fmt.Sprintf(" (extended %d× for lack of data)", a.Measuring.Extensions)
			}
			out = append(out, w)
		}
	}
	if p.StepStarted != nil {
		out = append(out, "in this step for "+fmtDuration(now.Sub(*p.StepStarted)))
	}
	return out
}

// left is the time from now until t, "due now" once it has come.
func left(t, now time.Time) string {
	if !t.After(now) {
		return "due now"
	}
	return fmtDuration(t.Sub(now).Round(time.Second))
}
