package strategy

import "github.com/gennaker/gennaker/internal/model"

// Action is what one step asks the executor to do. Every action is idempotent:
// the executor may run a step again after a crash and must reach the same state.
type Action string

const (
	// ActionCreate starts server group Ref running Version with Instances
	// instances and Role. Re-running it must not start a second group: the
	// executor looks up the name it recorded for Ref first.
	ActionCreate Action = "create"
	// ActionWaitHealthy waits until every instance of Ref passes its health check.
	ActionWaitHealthy Action = "wait-healthy"
	// ActionSetTraffic routes the front door by Weights (percentages summing to
	// 100); server groups not listed get 0. CanaryRef, when set, also receives
	// requests that carry the canary header, whatever their weight.
	ActionSetTraffic Action = "set-traffic"
	// ActionDisable takes Ref out of traffic (weight 0, status disabled) and keeps it running.
	ActionDisable Action = "disable"
	// ActionEnable marks a disabled Ref up again so it may receive traffic; it
	// gets traffic only from a later ActionSetTraffic.
	ActionEnable Action = "enable"
	// ActionResize sets Ref to exactly Instances instances (absolute, not a delta).
	ActionResize Action = "resize"
	// ActionDestroy stops Ref's instances; the record stays as history. Ref has no traffic by then.
	ActionDestroy Action = "destroy"
	// ActionPause waits for Pause, or for a manual approval when Pause is zero.
	ActionPause Action = "pause"
	// ActionAnalysis measures canary Ref against Against (the baseline, or the
	// serving group when the canary runs without one) for Analysis.Intervals
	// intervals, and fails the deploy on a failing verdict.
	ActionAnalysis Action = "analysis"
	// ActionMarkGood makes Ref the last good server group (the previous one loses
	// the mark) and sets its Role to production: a promoted canary is a normal
	// production group from then on, and rollback may return to it.
	ActionMarkGood Action = "mark-good"
	// ActionMarkRolledBack marks Ref as rolled back: traffic was taken away from
	// it because it was bad, and rollback never returns to it.
	ActionMarkRolledBack Action = "mark-rolled-back"
)

// Ref names a server group inside a plan.
type Ref string

const (
	// RefNew is the server group this plan creates.
	RefNew Ref = "new"
	// RefBaseline is the fresh baseline a canary is compared with.
	RefBaseline Ref = "baseline"
)

// Step is one idempotent action of a plan. Only the fields its Action uses are set.
type Step struct {
	Action    Action                `json:"action"`
	Ref       Ref                   `json:"ref,omitempty"`
	Version   string                `json:"version,omitempty"`   // ActionCreate
	Role      model.ServerGroupRole `json:"role,omitempty"`      // ActionCreate
	Instances int                   `json:"instances,omitempty"` // ActionCreate, ActionResize
	Weights   map[Ref]int           `json:"weights,omitempty"`   // ActionSetTraffic
	CanaryRef Ref                   `json:"canaryRef,omitempty"` // ActionSetTraffic
	Pause     model.Duration        `json:"pause,omitempty"`     // ActionPause
	Analysis  *model.AnalysisStep   `json:"analysis,omitempty"`  // ActionAnalysis
	Against   Ref                   `json:"against,omitempty"`   // ActionAnalysis: the group Ref is compared with
	// Effective is, for ActionSetTraffic on a target that splits traffic by
	// replica counts, the split the planned instance counts really give.
	Effective map[Ref]int `json:"effective,omitempty"`
	// Shortfall says, when Effective misses the canary's weight, what it
	// gets instead and how many instances would meet it, e.g. "setWeight 10
	// with 3 instances: 33% effective; 10 needs at least 10 instances".
	Shortfall string `json:"shortfall,omitempty"`
	// Why is one line a person reads in the execution view.
	Why string `json:"why"`
}

// Plan is the ordered steps of a deploy, rollback or abort.
type Plan struct {
	Steps []Step `json:"steps"`
}

// add appends a step; planners read as a list of p.add calls.
func (p *Plan) add(s Step) { p.Steps = append(p.Steps, s) }
