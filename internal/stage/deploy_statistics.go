package stage

import (
	"context"
	"fmt"
	"time"

	"github.com/gennaker/gennaker/internal/analysis"
	"github.com/gennaker/gennaker/internal/analysis/source"
	"github.com/gennaker/gennaker/internal/model"
)

// Sources gives the metric sources an environment's canary analysis may
// read, by name (model.SourceFrontDoor, SourcePrometheus, SourceHTTP).
type Sources func(env model.Environment, spec model.AnalysisSpec) (map[string]source.Source, error)

// judgeSamples ends one interval of the statistical judge: it fetches every
// metric's samples for canary and baseline over the interval (an extended
// interval keeps its start, so its samples accumulate) and judges them.
func (d *Deploy) judgeSamples(ctx context.Context, in Input, w world, spec model.AnalysisSpec, a analysisState, canary, against string, t AnalysisTiming) (judged, error) {
	cfg := analysis.ConfigFor(spec)
	sources, err := d.Sources(w.env, cfg)
	if err != nil {
		return judged{}, fmt.Errorf("canary analysis: %w", err)
	}
	data := SampleInterval(cfg, canary, against, a.AnalysisInterval, in.Now, t)
	baseScope := d.scope(ctx, w, against, model.RoleBaseline, a.Start, in.Now)
	canScope := d.scope(ctx, w, canary, model.RoleCanary, a.Start, in.Now)
	for _, m := range cfg.Metrics {
		data.Metrics = append(data.Metrics, fetchMetric(ctx, w, sources, m, baseScope, canScope))
	}
	rep := d.SampleJudge.JudgeSamples(data.Input(cfg))
	return judged{outcome: rep.Outcome, score: rep.Score, reason: rep.Reason, short: rep.Short(), measured: data, verdict: rep}, nil
}

// scope names one server group's side of an interval for the sources.
func (d *Deploy) scope(ctx context.Context, w world, sg string, role model.ServerGroupRole, start, end time.Time) source.Scope {
	version := ""
	if g, err := d.Store.ServerGroupGet(ctx, w.env.Name, sg); err == nil {
		version = g.Version
	}
	return source.Scope{Application: w.app.Name, Environment: w.env.Name, ServerGroup: sg, Version: version, Role: string(role), Start: start, End: end}
}

// fetchMetric reads one metric for both groups (source.FetchMetric), saying
// why a source is missing in this environment.
func fetchMetric(ctx context.Context, w world, sources map[string]source.Source, m model.AnalysisMetric, base, can source.Scope) analysis.FetchedMetric {
	return source.FetchMetric(ctx, sources, m, base, can, func(name string) string {
		return fmt.Sprintf("source %q is not available for environment %s: the front door exists only on local targets, and prometheus needs analysis.prometheus set to its address", name, w.env.Name)
	})
}
