package analysis

import "github.com/gennaker/gennaker/internal/model"

// The judge's configuration is part of the config model (a canary's
// analysis block); these names keep the judge's code reading in its terms.
type (
	// AnalysisConfig is the statistical judge's configuration.
	AnalysisConfig = model.AnalysisSpec
	// MetricConfig is one metric the judge compares.
	MetricConfig = model.AnalysisMetric
	// GroupConfig weighs a group of metrics.
	GroupConfig = model.AnalysisGroup
	// OutlierConfig removes outliers with IQR fences before testing.
	OutlierConfig = model.OutlierSpec
	// Thresholds classify an interval's score (0-100).
	Thresholds = model.ScoreThresholds
	// EffectSize gates a significant difference by its size.
	EffectSize = model.EffectSize
	// Direction says which change of a metric is bad.
	Direction = model.Direction
	// NaNStrategy says what happens to NaN and infinite samples.
	NaNStrategy = model.NaNStrategy
	// EffectMeasure is how an effect size is measured.
	EffectMeasure = model.EffectMeasure
)

// Enumerations and defaults, from the config model.
const (
	DirectionIncrease = model.DirectionIncrease
	DirectionDecrease = model.DirectionDecrease
	DirectionEither   = model.DirectionEither
	NaNRemove         = model.NaNRemove
	NaNReplace        = model.NaNReplace
	EffectMeanRatio   = model.EffectMeanRatio
	EffectCLES        = model.EffectCLES

	DefaultGroup           = model.DefaultGroup
	DefaultConfidenceLevel = model.DefaultConfidenceLevel
	DefaultTolerance       = model.DefaultTolerance
	DefaultMinSamples      = model.DefaultMinSamples
	DefaultPassScore       = model.DefaultPassScore
	DefaultMarginalScore   = model.DefaultMarginalScore
	DefaultOutlierFactor   = model.DefaultOutlierFactor
	DefaultPowerEffect     = model.DefaultPowerEffect
)

// ErrInvalidConfig is wrapped by every error of AnalysisConfig.Validate.
var ErrInvalidConfig = model.ErrInvalidConfig
