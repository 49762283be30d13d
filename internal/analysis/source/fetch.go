package source

import (
	"context"
	"errors"

	"github.com/gennaker/gennaker/internal/analysis"
	"github.com/gennaker/gennaker/internal/model"
)

// FetchMetric reads one metric for both server groups from the source it
// names (the front door when it names none). A source that is not in
// sources, or that fails, leaves the metric without data for the interval
// (never a pass), with the reason recorded; missing says why a source is
// not there.
func FetchMetric(ctx context.Context, sources map[string]Source, m model.AnalysisMetric, base, can Scope, missing func(source string) string) analysis.FetchedMetric {
	name := m.Source
	if name == "" {
		name = model.SourceFrontDoor
	}
	fm := analysis.FetchedMetric{Name: m.Name, Source: name}
	src, ok := sources[name]
	if !ok {
		fm.Error = missing(name)
		return fm
	}
	b, errB := src.Fetch(ctx, m.Query, base)
	c, errC := src.Fetch(ctx, m.Query, can)
	fm.BaselineQuery, fm.CanaryQuery = b.Query, c.Query
	fm.Baseline, fm.Canary = b.Samples, c.Samples
	if len(b.Trials) > 0 && len(c.Trials) > 0 {
		fm.BaselineTrials, fm.CanaryTrials = b.Trials, c.Trials
	}
	if b.Latency != nil && c.Latency != nil && b.Quantile == c.Quantile {
		fm.BaselineLatency, fm.CanaryLatency, fm.Quantile = b.Latency, c.Latency, b.Quantile
	}
	if err := errors.Join(errB, errC); err != nil {
		fm.Error = err.Error()
		fm.Baseline, fm.Canary, fm.BaselineTrials, fm.CanaryTrials = nil, nil, nil, nil
		fm.BaselineLatency, fm.CanaryLatency, fm.Quantile = nil, nil, 0
	}
	return fm
}
