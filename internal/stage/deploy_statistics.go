package stage

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/gennaker/gennaker/internal/analysis"
	"github.com/gennaker/gennaker/internal/analysis/source"
	"github.com/gennaker/gennaker/internal/model"
	"github.com/gennaker/gennaker/internal/store"
	"github.com/gennaker/gennaker/internal/strategy"
)

// Sources gives the metric sources an environment's canary analysis may
// read, by name (model.SourceFrontDoor, SourcePrometheus, SourceHTTP).
type Sources func(env model.Environment, spec model.AnalysisSpec) (map[string]source.Source, error)

// judgeSamples ends one interval of the statistical judge: it fetches every
// metric's samples for canary and baseline over the interval (an extended
// interval keeps its start, so its samples accumulate), judges them, stores
// the decision record, and says what happens next.
func (d *Deploy) judgeSamples(ctx context.Context, in Input, w world, st *deployState, step strategy.Step, a *analysisState, intervals int, interval time.Duration) stepOutcome {
	cfg := analysis.ConfigFor(d.analysisSpec(in))
	canary, against := st.name(step.Ref), st.name(step.Against)
	sources, err := d.Sources(w.env, cfg)
	if err != nil {
		return failStep("canary analysis: %v", err)
	}
	data := analysis.IntervalData{
		Judge: model.JudgeMannWhitney, Config: cfg, Canary: canary, Baseline: against,
		Start: a.Start, End: in.Now, Extensions: a.Extensions, Final: a.Interval+1 >= intervals,
	}
	for _, m := range cfg.Metrics {
		data.Metrics = append(data.Metrics, d.fetchMetric(ctx, w, sources, m, canary, against, a.Start, in.Now))
	}
	rep := d.SampleJudge.JudgeSamples(data.Input(cfg))
	if err := d.recordInterval(ctx, in, st, a, data, rep); err != nil {
		return failStep("storing the analysis record: %v", err)
	}
	return d.afterVerdict(in, st, a, rep.Outcome, rep.Score, rep.Reason, intervals, interval, nil)
}

// fetchMetric reads one metric for both groups; a source that fails leaves
// the metric without data for the interval, with the reason recorded.
func (d *Deploy) fetchMetric(ctx context.Context, w world, sources map[string]source.Source, m model.AnalysisMetric, canary, against string, start, end time.Time) analysis.FetchedMetric {
	name := m.Source
	if name == "" {
		name = model.SourceFrontDoor
	}
	fm := analysis.FetchedMetric{Name: m.Name, Source: name}
	src, ok := sources[name]
	if !ok {
		fm.Error = fmt.Sprintf("source %q is not available for environment %s", name, w.env.Name)
		return fm
	}
	scope := func(sg string, role model.ServerGroupRole) source.Scope {
		version := ""
		if g, err := d.Store.ServerGroupGet(ctx, sg); err == nil {
			version = g.Version
		}
		return source.Scope{Application: w.app.Name, Environment: w.env.Name, ServerGroup: sg, Version: version, Role: string(role), Start: start, End: end}
	}
	base, errB := src.Fetch(ctx, m.Query, scope(against, model.RoleBaseline))
	can, errC := src.Fetch(ctx, m.Query, scope(canary, model.RoleCanary))
	fm.BaselineQuery, fm.CanaryQuery = base.Query, can.Query
	fm.Baseline, fm.Canary = base.Samples, can.Samples
	if err := errors.Join(errB, errC); err != nil {
		fm.Error = err.Error()
		fm.Baseline, fm.Canary = nil, nil
	}
	return fm
}

// recordInterval stores one judged interval; storing it again after a crash is a no-op.
func (d *Deploy) recordInterval(ctx context.Context, in Input, st *deployState, a *analysisState, data analysis.IntervalData, rep analysis.Report) error {
	mb, err := json.Marshal(data)
	if err != nil {
		return err
	}
	vb, err := json.Marshal(rep)
	if err != nil {
		return err
	}
	st.AnalysisSeq++
	rec := &store.AnalysisRecord{
		ExecutionID: in.Execution.ID, Stage: in.Stage.Name, Sequence: st.AnalysisSeq,
		StartedAt: a.Start, EndedAt: data.End, Outcome: string(rep.Outcome), Score: rep.Score, Reason: rep.Reason,
		Measurements: mb, Verdict: vb,
	}
	if err := d.Store.AnalysisInsert(ctx, rec); err != nil && !errors.Is(err, store.ErrConflict) {
		return err
	}
	return nil
}
