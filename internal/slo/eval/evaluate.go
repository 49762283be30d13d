package eval

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/gennaker/gennaker/internal/model"
	"github.com/gennaker/gennaker/internal/slo"
)

// evaluate decides one SLO's status at now. When it cannot (a source is
// down, the SLO asks for what its source cannot count), the status keeps
// the previous evaluation's figures, alerts and time, with Error saying
// why: a deploy gate then sees how old the figures are, and no alert
// fires or resolves on a failed count.
func (e *Evaluator) evaluate(ctx context.Context, s model.SLO, prev model.SLOStatus, hadPrev bool, now time.Time) model.SLOStatus {
	// One SLO whose source hangs (a Prometheus that blackholes) must not
	// hold up the others: it gets at most a third of the interval.
	ctx, cancel := context.WithTimeout(ctx, max(e.cfg.Interval/3, time.Second))
	defer cancel()
	st, err := e.measure(ctx, s, prev, now)
	if err == nil {
		return st
	}
	if !hadPrev {
		prev = model.SLOStatus{Name: s.Name}
	}
	if prev.Error != err.Error() { // said once, not every round
		e.cfg.Logger.Warn("an SLO could not be evaluated; its status says why, and it is tried again every round", "slo", s.Name, "err", err)
	}
	prev.Application, prev.Environment = s.Application, s.Environment
	prev.Error = err.Error()
	return prev
}

func (e *Evaluator) measure(ctx context.Context, s model.SLO, prev model.SLOStatus, now time.Time) (model.SLOStatus, error) {
	if len(s.Objectives) == 0 {
		return model.SLOStatus{}, fmt.Errorf("slo %s has no objectives: give it at least one target", s.Name)
	}
	src, err := e.source(s)
	if err != nil {
		return model.SLOStatus{}, err
	}
	from, to, err := slo.WindowBounds(s.Window, now)
	if err != nil {
		return model.SLOStatus{}, fmt.Errorf("slo %s: window: %w", s.Name, err)
	}
	st := model.SLOStatus{Name: s.Name, Application: s.Application, Environment: s.Environment,
		EvaluatedAt: now, WindowStart: from, WindowEnd: to}
	for _, o := range s.Objectives {
		c, err := src.Counts(ctx, s, o, from, to)
		if err != nil {
			return model.SLOStatus{}, fmt.Errorf("slo %s: counting objective %q over its window: %w", s.Name, o.Name, err)
		}
		st.Objectives = append(st.Objectives, slo.Objective(o, c))
	}
	first := s.Objectives[0]
	rates := map[time.Duration]float64{}
	for _, w := range RateWindows(s.Alerts) {
		c, err := src.Counts(ctx, s, first, now.Add(-w), now)
		if err != nil {
			return model.SLOStatus{}, fmt.Errorf("slo %s: counting the last %s for the burn rate: %w", s.Name, w, err)
		}
		rates[w] = slo.BurnRate(first.Target, c)
		st.BurnRates = append(st.BurnRates, model.BurnRate{Window: model.Duration(w), Rate: rates[w]})
	}
	st.Alerts = slo.EvaluateAlerts(s.Alerts, func(w time.Duration) float64 { return rates[w] }, prev.Alerts, now)
	return st, nil
}

// source is the Source of the SLI's metrics (one source per SLI).
func (e *Evaluator) source(s model.SLO) (slo.Source, error) {
	name, err := s.Indicator.Source()
	if err != nil {
		return nil, fmt.Errorf("slo %s: %w", s.Name, err)
	}
	if name == "" {
		return nil, fmt.Errorf("slo %s: indicator names no metric: give it total and good (or bad) queries", s.Name)
	}
	src := e.cfg.Sources[name]
	if src == nil {
		return nil, fmt.Errorf("slo %s: %w: metric source %q is not available on this server", s.Name, errNoSource, name)
	}
	return src, nil
}

var errNoSource = errors.New("no source")

// RateWindows are the burn-rate windows a status reports, shortest first:
// the alerts' long and short windows, and always the deploy policy's
// default burn window (1h), so an SLO with other alerts, or none, can still
// be judged by sloPolicy.maxBurnRate.
func RateWindows(alerts []model.BurnRateAlert) []time.Duration {
	out := AlertWindows(alerts)
	if !slices.Contains(out, slo.DefaultBurnWindow) {
		out = append(out, slo.DefaultBurnWindow)
		slices.Sort(out)
	}
	return out
}

// AlertWindows are the distinct long and short windows of alerts, shortest
// first.
func AlertWindows(alerts []model.BurnRateAlert) []time.Duration {
	var out []time.Duration
	for _, a := range alerts {
		for _, w := range []time.Duration{a.Short.D(), a.Long.D()} {
			if w > 0 && !slices.Contains(out, w) {
				out = append(out, w)
			}
		}
	}
	slices.Sort(out)
	return out
}
