package model

// AnalysisSpec configures a canary's analysis: which judge decides, the
// metrics it compares (for the statistical judge) or the thresholds (for the
// first, threshold judge), and how long to wait for enough data. JSON tags
// mirror the YAML field names.
type AnalysisSpec struct {
	// Judge picks the judge: "mann-whitney" (the default: Kayenta-style
	// statistics over per-metric samples) or "threshold" (fixed limits on
	// error rate and p95 latency over the front door's counters).
	Judge string `json:"judge,omitempty"`
	// Prometheus is the address of the Prometheus server that metrics with
	// source "prometheus" query, e.g. http://127.0.0.1:9090.
	Prometheus string `json:"prometheus,omitempty"`

	// Metrics the statistical judge compares; empty means the front door's
	// error rate (critical) and p95 and mean latency.
	Metrics []AnalysisMetric `json:"metrics,omitempty"`
	// Groups give weights to metric groups (percentages, like Kayenta's
	// groupWeights). Groups without a weight share what is left of 100.
	Groups []AnalysisGroup `json:"groups,omitempty"`
	// Checks are measurements with verdicts of their own (web and job
	// checks, Argo Rollouts' metrics); see AnalysisCheck. With checks and
	// neither metrics nor judge, the analysis runs only the checks.
	Checks     []AnalysisCheck `json:"checks,omitempty"`
	Thresholds ScoreThresholds `json:"thresholds,omitzero"`
	// ConfidenceLevel of the Hodges-Lehmann interval; default 0.98.
	ConfidenceLevel float64 `json:"confidenceLevel,omitempty"`
	// Tolerance: a difference counts only when the interval clears
	// Tolerance × |estimate| (Kayenta's 0.25); 0 or unset is the default,
	// 1 or more is an error (no interval could clear it).
	Tolerance float64 `json:"tolerance,omitempty"`
	// MinSamples each side of each metric needs before it is judged; 0 or
	// unset is the default, 10; negative is an error.
	MinSamples int `json:"minSamples,omitempty"`
	// MaxExtensions: how often an interval with too little data is extended
	// before it is inconclusive; 0 or unset is the default, 3; negative is an
	// error.
	MaxExtensions int `json:"maxExtensions,omitempty"`

	// Timing, used by analysis steps that do not set their own.
	// Interval is how long each measurement interval lasts; default 2m (DefaultAnalysisInterval).
	Interval Duration `json:"interval,omitempty"`
	// Lifetime is how long the whole analysis lasts: Lifetime / Interval
	// intervals (rounded up; Kayenta's lifetimeDuration). Default: one interval.
	Lifetime Duration `json:"lifetime,omitempty"`
	// Warmup is how long the canary takes traffic before the first interval
	// starts; what it serves meanwhile is not judged (Kayenta's
	// beginCanaryAnalysisAfterMins, Argo Rollouts' initialDelay).
	Warmup Duration `json:"warmup,omitempty"`

	// The threshold judge's limits (judge: threshold).
	// MinRequests per server group per interval below which the interval has too little data.
	MinRequests int `json:"minRequests,omitempty"`
	// MaxErrorRateIncrease is the largest allowed canary minus baseline 5xx ratio (0.01 = one point).
	MaxErrorRateIncrease *float64 `json:"maxErrorRateIncrease,omitempty"`
	// MaxLatencyRatio is the largest allowed canary / baseline ratio of p95 latency.
	MaxLatencyRatio *float64 `json:"maxLatencyRatio,omitempty"`
}

// AnalysisTemplate is a named, reusable analysis config (kind
// AnalysisTemplate): canary analysis steps name it with templateRef.
type AnalysisTemplate struct {
	Name string       `json:"name"`
	Spec AnalysisSpec `json:"spec"`
}

// Metric sources.
const (
	// SourceFrontDoor reads the local front door's per-second traffic (the default).
	SourceFrontDoor = "frontdoor"
	// SourcePrometheus runs range queries against AnalysisSpec.Prometheus.
	SourcePrometheus = "prometheus"
	// SourceHTTP fetches a JSON array of numbers from a URL template.
	SourceHTTP = "http"
)

// FrontDoorMetrics are the queries a frontdoor metric may name: per second,
// the 5xx share, mean, p95 and p99 latency in seconds, and the request count.
var FrontDoorMetrics = []string{"error_rate", "latency_mean", "latency_p95", "latency_p99", "requests"}

// Judges.
const (
	// JudgeMannWhitney is the statistical judge (the default).
	JudgeMannWhitney = "mann-whitney"
	// JudgeThreshold is the first judge: fixed limits over front-door counters.
	JudgeThreshold = "threshold"
)

// AnalysisMetric is one metric the judge compares.
type AnalysisMetric struct {
	Name string `json:"name"`
	// Group the metric scores in; "" is the group DefaultGroup.
	Group string `json:"group,omitempty"`
	// Source and Query say where samples come from (for the fetching stage;
	// the judge ignores them).
	Source string `json:"source,omitempty"`
	Query  string `json:"query,omitempty"`
	// Direction says which change is bad; default either.
	Direction Direction `json:"direction,omitempty"`
	// NaNStrategy: what to do with NaN (and ±Inf) samples; default remove.
	NaNStrategy NaNStrategy `json:"nanStrategy,omitempty"`
	// MustHaveData (default true): a side with no samples is too little
	// data (extend, then inconclusive). false leaves such a metric out of
	// the score as NoData, as Kayenta does, and names it in the reason; a
	// metric that is often silent (a rare error counter) may want that. A
	// critical metric with false cannot fail an interval where neither side
	// has data (Kayenta fails it; see docs/analysis.md); data on one side
	// only is too little data.
	MustHaveData *bool `json:"mustHaveData,omitempty"`
	// Outliers, when set, removes values outside the IQR fences first.
	Outliers *OutlierSpec `json:"outliers,omitempty"`
	// Critical: a critical metric that does not pass scores the interval 0.
	Critical bool `json:"critical,omitempty"`
	// Muted metrics are classified and recorded but never scored or waited for.
	Muted bool `json:"muted,omitempty"`
	// Weight of the metric inside its group; default 1.
	Weight     float64    `json:"weight,omitempty"`
	EffectSize EffectSize `json:"effectSize,omitzero"`
}

// EffectSize gates a significant difference by its size. Zero values are
// unset: a mean ratio or CLES of 0 is never a sensible gate.
type EffectSize struct {
	// Measure is meanRatio (default) or cles.
	Measure EffectMeasure `json:"measure,omitempty"`
	// AllowedIncrease: a significant increase whose effect is at most this
	// passes (default 1 for meanRatio, 0.5 for cles: any increase counts).
	// The ranges of each field per measure are in AnalysisSpec.Problems.
	AllowedIncrease float64 `json:"allowedIncrease,omitempty"`
	// AllowedDecrease: a significant decrease whose effect is at least this
	// passes (default 1 for meanRatio, 0.5 for cles).
	AllowedDecrease float64 `json:"allowedDecrease,omitempty"`
	// CriticalIncrease and CriticalDecrease: for a critical metric, only an
	// effect beyond these fails the whole interval (default: any High or Low).
	CriticalIncrease float64 `json:"criticalIncrease,omitempty"`
	CriticalDecrease float64 `json:"criticalDecrease,omitempty"`
	// PowerEffect is the relative change of the baseline mean the reported
	// power is for, when the allowed effects do not define one; default 0.2.
	PowerEffect float64 `json:"powerEffect,omitempty"`
}

// OutlierSpec removes outliers with IQR fences before testing.
type OutlierSpec struct {
	// Strategy is remove or keep (default keep; remove when Factor is set).
	Strategy string `json:"strategy,omitempty"`
	// Factor of the IQR fences, above 0; default 3.0 (Kayenta's, far
	// outliers only).
	Factor float64 `json:"factor,omitempty"`
}

// AnalysisGroup weighs a group of metrics.
type AnalysisGroup struct {
	Name string `json:"name"`
	// Weight is a percentage above 0; groups without one share what is
	// left of 100, so the weights must leave some when such groups exist.
	Weight float64 `json:"weight"`
}

// ScoreThresholds classify an interval's score (0-100).
type ScoreThresholds struct {
	// Pass: a score at or above passes; default 95.
	Pass float64 `json:"pass,omitempty"`
	// Marginal: a score at or below fails at once; default 75.
	Marginal float64 `json:"marginal,omitempty"`
}

// Direction says which change of a metric is bad.
type Direction string

const (
	// DirectionIncrease: only an increase is bad (latency, errors).
	DirectionIncrease Direction = "increase"
	// DirectionDecrease: only a decrease is bad (throughput, success rate).
	DirectionDecrease Direction = "decrease"
	// DirectionEither: both are bad.
	DirectionEither Direction = "either"
)

// NaNStrategy says what happens to NaN and infinite samples.
type NaNStrategy string

const (
	// NaNRemove drops them.
	NaNRemove NaNStrategy = "remove"
	// NaNReplace replaces them with 0 (a count that had no series, e.g. errors).
	NaNReplace NaNStrategy = "replace"
)

// EffectMeasure is how an effect size is measured.
type EffectMeasure string

const (
	// EffectMeanRatio is mean(canary) / mean(baseline); 1 is no effect.
	EffectMeanRatio EffectMeasure = "meanRatio"
	// EffectCLES is the common-language effect size, P(canary > baseline)
	// with ties counting half; 0.5 is no effect.
	EffectCLES EffectMeasure = "cles"
)

// Defaults of AnalysisSpec.
const (
	DefaultGroup           = "default"
	DefaultConfidenceLevel = 0.98
	DefaultTolerance       = 0.25
	DefaultMinSamples      = 10
	DefaultPassScore       = 95
	DefaultMarginalScore   = 75
	DefaultOutlierFactor   = 3.0
	DefaultPowerEffect     = 0.2
	DefaultMaxExtensions   = 3
)

// WithDefaults returns c with every unset field at its default.
func (c AnalysisSpec) WithDefaults() AnalysisSpec {
	if c.ConfidenceLevel == 0 {
		c.ConfidenceLevel = DefaultConfidenceLevel
	}
	if c.Tolerance == 0 {
		c.Tolerance = DefaultTolerance
	}
	if c.MinSamples <= 0 {
		c.MinSamples = DefaultMinSamples
	}
	if c.MaxExtensions <= 0 {
		c.MaxExtensions = DefaultMaxExtensions
	}
	if c.Thresholds.Pass == 0 {
		c.Thresholds.Pass = DefaultPassScore
	}
	if c.Thresholds.Marginal == 0 {
		c.Thresholds.Marginal = DefaultMarginalScore
	}
	ms := make([]AnalysisMetric, len(c.Metrics))
	for i, m := range c.Metrics {
		ms[i] = m.WithDefaults()
	}
	c.Metrics = ms
	return c
}

func (m AnalysisMetric) WithDefaults() AnalysisMetric {
	if m.Group == "" {
		m.Group = DefaultGroup
	}
	if m.Direction == "" {
		m.Direction = DirectionEither
	}
	if m.NaNStrategy == "" {
		m.NaNStrategy = NaNRemove
	}
	if m.MustHaveData == nil {
		yes := true
		m.MustHaveData = &yes
	}
	if m.Weight == 0 {
		m.Weight = 1
	}
	if m.Outliers != nil {
		o := *m.Outliers
		if o.Strategy == "" {
			o.Strategy = "remove"
		}
		if o.Factor == 0 {
			o.Factor = DefaultOutlierFactor
		}
		m.Outliers = &o
	}
	e := &m.EffectSize
	if e.Measure == "" {
		e.Measure = EffectMeanRatio
	}
	neutral := 1.0
	if e.Measure == EffectCLES {
		neutral = 0.5
	}
	if e.AllowedIncrease == 0 {
		e.AllowedIncrease = neutral
	}
	if e.AllowedDecrease == 0 {
		e.AllowedDecrease = neutral
	}
	if e.PowerEffect == 0 {
		e.PowerEffect = DefaultPowerEffect
	}
	return m
}
