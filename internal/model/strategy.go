package model

import "time"

// StrategyType names how a deploy replaces the running version.
type StrategyType string

const (
	// StrategyHighlander starts the new server group, moves all traffic to it
	// when healthy, and destroys every older one ("there can be only one").
	StrategyHighlander StrategyType = "highlander"
	// StrategyRedBlack starts the new server group, moves all traffic to it when
	// healthy, and keeps older ones running but disabled for instant rollback.
	StrategyRedBlack StrategyType = "red-black"
	// StrategyRolling replaces the running server group's instances in batches.
	StrategyRolling StrategyType = "rolling"
	// StrategyCanary moves traffic to the new version step by step, comparing
	// it with a fresh baseline, and promotes or rolls back on the verdict.
	StrategyCanary StrategyType = "canary"
)

// Strategy configures a deploy stage's strategy.
type Strategy struct {
	Type StrategyType `json:"type"`
	// MaxRemaining is how many previous server groups red/black keeps (disabled); default 1.
	MaxRemaining int `json:"maxRemaining,omitempty"`
	// BatchSize is how many instances rolling replaces at a time; default 1.
	BatchSize int         `json:"batchSize,omitempty"`
	Canary    *CanarySpec `json:"canary,omitempty"`
}

// CanarySpec configures a canary deploy.
type CanarySpec struct {
	Steps []CanaryStep `json:"steps"`
	// Baseline deploys a fresh server group of the current version beside the
	// canary to compare against (default true).
	Baseline *bool `json:"baseline,omitempty"`
	// Analysis is the judge configuration used by every analysis step.
	Analysis *AnalysisSpec `json:"analysis,omitempty"`
	// OnInconclusive says what an analysis without enough data does: "pause" or "rollback".
	OnInconclusive string `json:"onInconclusive,omitempty"`
}

// WantsBaseline reports whether the canary runs beside a fresh baseline.
func (c *CanarySpec) WantsBaseline() bool { return c == nil || c.Baseline == nil || *c.Baseline }

// CanaryStep is one step of a canary; exactly one field is set.
type CanaryStep struct {
	// SetWeight sends this percentage of traffic to the canary.
	SetWeight *int `json:"setWeight,omitempty"`
	// Pause waits for Duration, or until approved when Duration is zero.
	Pause *PauseStep `json:"pause,omitempty"`
	// Analysis measures canary against baseline and fails the deploy on a bad verdict.
	Analysis *AnalysisStep `json:"analysis,omitempty"`
}

// PauseStep waits; a zero Duration waits for a manual resume (approve).
type PauseStep struct {
	Duration Duration `json:"duration,omitempty"`
}

// DefaultAnalysisInterval is how long a measurement interval lasts when
// neither the step nor the analysis config says. Two minutes: at 50
// requests/s per server group, the default metrics then catch +2 points of
// 5xx and +20% p99 in at least 99% of canaries with under 1% false alarms;
// 30 s caught 92% and 33% (docs/benchmarks.md, canary analysis quality).
const DefaultAnalysisInterval = 2 * time.Minute

// AnalysisStep runs Intervals measurement intervals of Interval each.
// Unset, they come from the analysis config (its interval and lifetime).
type AnalysisStep struct {
	Interval  Duration `json:"interval,omitempty"`  // default: the config's, or DefaultAnalysisInterval (2m)
	Intervals int      `json:"intervals,omitempty"` // default: the config's lifetime / interval, or 1
	// TemplateRef names the AnalysisTemplate this step judges with, instead
	// of the canary's analysis block.
	TemplateRef string `json:"templateRef,omitempty"`
	// Resolved is the template's config, copied into the execution when it
	// starts, so an execution keeps the template it started with. Not
	// written in config files.
	Resolved *AnalysisSpec `json:"resolved,omitempty"`
}

// Timing is when and how long a step with config spec measures: the
// warm-up before the first interval, the interval's length and how many.
// The step's own interval and intervals win over the config's interval and
// lifetime (Lifetime / Interval, rounded up).
func (s AnalysisStep) Timing(spec AnalysisSpec) (warmup, interval time.Duration, intervals int) {
	interval = DefaultAnalysisInterval
	switch {
	case s.Interval > 0:
		interval = s.Interval.D()
	case spec.Interval > 0:
		interval = spec.Interval.D()
	}
	intervals = 1
	switch {
	case s.Intervals > 0:
		intervals = s.Intervals
	case spec.Lifetime > 0:
		intervals = int((spec.Lifetime.D() + interval - 1) / interval)
	}
	return max(spec.Warmup.D(), 0), interval, intervals
}
