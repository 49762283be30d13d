package stage

import (
	"context"
	"fmt"
	"time"

	"github.com/gennaker/gennaker/internal/analysis"
	"github.com/gennaker/gennaker/internal/analysis/source"
	"github.com/gennaker/gennaker/internal/model"
	"github.com/gennaker/gennaker/internal/strategy"
)

// Sources gives the metric sources an environment's canary analysis may
// read, by name (model.SourceFrontDoor, SourcePrometheus, SourceHTTP).
type Sources func(env model.Environment, spec model.AnalysisSpec) (map[string]source.Source, error)

// judgeSamples ends one interval of the statistical judge: it fetches every
// metric's samples for canary and baseline over the interval (an extended
// interval keeps its start, so its samples accumulate), judges them, stores
// the decision record, and says what happens next.
func (d *Deploy) judgeSamples(ctx context.Context, in Input, w world, st *deployState, step strategy.Step, spec model.AnalysisSpec, a *analysisState, intervals int, interval time.Duration) stepOutcome {
	cfg := analysis.ConfigFor(spec)
	canary, against := st.name(step.Ref), st.name(step.Against)
	sources, err := d.Sources(w.env, cfg)
	if err != nil {
		return failStep("canary analysis: %v", err)
	}
	data := analysis.IntervalData{
		Judge: model.JudgeMannWhitney, Config: cfg, Canary: canary, Baseline: against,
		Start: a.Start, End: in.Now, Extensions: a.Extensions, Final: a.Interval+1 >= intervals,
	}
	baseScope := d.scope(ctx, w, against, model.RoleBaseline, a.Start, in.Now)
	canScope := d.scope(ctx, w, canary, model.RoleCanary, a.Start, in.Now)
	for _, m := range cfg.Metrics {
		data.Metrics = append(data.Metrics, fetchMetric(ctx, w, sources, m, baseScope, canScope))
	}
	rep := d.SampleJudge.JudgeSamples(data.Input(cfg))
	if err := d.record(ctx, in, st, a.Start, data.End, rep.Outcome, rep.Score, rep.Reason, data, rep); err != nil {
		return failStep("storing the analysis record: %v", err)
	}
	return d.afterVerdict(in, st, a, rep.Outcome, rep.Score, rep.Reason, intervals, interval, nil)
}

// scope names one server group's side of an interval for the sources.
func (d *Deploy) scope(ctx context.Context, w world, sg string, role model.ServerGroupRole, start, end time.Time) source.Scope {
	version := ""
	if g, err := d.Store.ServerGroupGet(ctx, sg); err == nil {
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
