package analysis

import "github.com/gennaker/gennaker/internal/model"

// Judge decides one measurement interval. Implementations are pure: the same
// Input always gives the same Verdict.
type Judge interface {
	Judge(in Input) Verdict
}

// Input is everything a judge sees about one interval.
type Input struct {
	Spec     model.AnalysisSpec `json:"spec"`
	Baseline Measurement        `json:"baseline"`
	Canary   Measurement        `json:"canary"`
	// Extensions is how many times this interval was already extended for lack of data.
	Extensions int `json:"extensions"`
}

// The defaults Defaults fills in.
const (
	DefaultMinRequests          = 50
	DefaultMaxErrorRateIncrease = 0.01 // one percentage point
	DefaultMaxLatencyRatio      = 1.5  // of the baseline's p95
	DefaultMaxExtensions        = model.DefaultMaxExtensions
)

// Defaults returns spec with every unset field at its default. Zero counts as
// unset for MinRequests and MaxExtensions; the two limits are pointers, so an
// explicit 0 is kept (0 error-rate increase allowed).
func Defaults(spec model.AnalysisSpec) model.AnalysisSpec {
	if spec.MinRequests <= 0 {
		spec.MinRequests = DefaultMinRequests
	}
	if spec.MaxErrorRateIncrease == nil {
		v := DefaultMaxErrorRateIncrease
		spec.MaxErrorRateIncrease = &v
	}
	if spec.MaxLatencyRatio == nil {
		v := DefaultMaxLatencyRatio
		spec.MaxLatencyRatio = &v
	}
	if spec.MaxExtensions <= 0 {
		spec.MaxExtensions = DefaultMaxExtensions
	}
	return spec
}
