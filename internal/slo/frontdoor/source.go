package frontdoor

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/gennaker/gennaker/internal/latency"
	"github.com/gennaker/gennaker/internal/model"
	"github.com/gennaker/gennaker/internal/slo"
	"github.com/gennaker/gennaker/internal/store"
)

// MinuteReader reads the stored front-door minutes.
type MinuteReader interface {
	TrafficMinuteList(ctx context.Context, params store.TrafficMinuteListParams) ([]store.TrafficMinute, error)
}

// EnvironmentLister names the environments, for SLOs over every
// production one.
type EnvironmentLister interface {
	EnvironmentList(ctx context.Context) ([]model.Environment, error)
}

// Source counts front-door SLIs over any window (slo.Source): good and
// total are two of the metrics requests, errors, good (requests that were
// not errors) and latencyUnder (requests answered within Under; see
// latency.UnderIndex for the rounding when Under is not a bucket bound:
// requests in the 2% just below Under count as slower). An SLO with no
// environment counts every production environment together. It counts
// events (Occurrences): Timeslices budgeting is refused with an error.
//
// The minutes are those the Rollup has written, so the last minute to
// count is the one that ended about 15 s to a minute before now.
type Source struct {
	Store        MinuteReader
	Environments EnvironmentLister
	Now          func() time.Time // default time.Now

	mu     sync.Mutex
	series map[[2]string]*series
	envs   []string
	envsAt time.Time
}

var _ slo.Source = (*Source)(nil)

// ErrUnsupported says an SLO asks the front door for what it cannot count.
var ErrUnsupported = errors.New("the front door cannot measure this")

// Counts implements slo.Source.
func (s *Source) Counts(ctx context.Context, o model.SLO, obj model.Objective, from, to time.Time) (slo.Counts, error) {
	q, err := parseSLI(o)
	if err != nil {
		return slo.Counts{}, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	now := time.Now()
	if s.Now != nil {
		now = s.Now()
	}
	envs := []string{o.Environment}
	if o.Environment == "" {
		if envs, err = s.production(ctx, now); err != nil {
			return slo.Counts{}, err
		}
	}
	var good, total float64
	for _, env := range envs {
		sr, err := s.seriesFor(ctx, o.Application, env, q.below, from, now)
		if err != nil {
			return slo.Counts{}, fmt.Errorf("slo %s: reading the front door's minutes of %s in %s: %w", o.Name, o.Application, env, err)
		}
		out := make([]uint64, sr.stride)
		if err := sr.sum(ctx, s.Store, from.Unix(), to.Unix(), now, out); err != nil {
			return slo.Counts{}, fmt.Errorf("slo %s: reading the front door's minutes of %s in %s: %w", o.Name, o.Application, env, err)
		}
		g, t := q.counts(sr, out)
		good, total = good+g, total+t
	}
	return slo.Counts{Good: good, Total: total}, nil
}

// production lists the production environments, read again every 30 s.
func (s *Source) production(ctx context.Context, now time.Time) ([]string, error) {
	if s.envs != nil && now.Sub(s.envsAt) < 30*time.Second {
		return s.envs, nil
	}
	all, err := s.Environments.EnvironmentList(ctx)
	if err != nil {
		return nil, fmt.Errorf("listing the production environments: %w", err)
	}
	envs := []string{}
	for _, e := range all {
		if e.Production {
			envs = append(envs, e.Name)
		}
	}
	s.envs, s.envsAt = envs, now
	return envs, nil
}

// seriesFor returns the series of app in env, counting the latency bounds
// below, loaded from at least from and refreshed.
func (s *Source) seriesFor(ctx context.Context, app, env string, below []int, from, now time.Time) (*series, error) {
	if s.series == nil {
		s.series = map[[2]string]*series{}
	}
	k := [2]string{app, env}
	sr := s.series[k]
	if sr != nil {
		for _, b := range below {
			if !slices.Contains(sr.below, b) {
				// A new bound: count it from the start (rare: a config change).
				below = append(slices.Clone(sr.below), slices.DeleteFunc(slices.Clone(below), func(x int) bool { return slices.Contains(sr.below, x) })...)
				sr = nil
				break
			}
		}
	}
	if sr == nil {
		sr = &series{app: app, env: env, below: slices.Clone(below), stride: 2 + len(below)}
		if err := sr.load(ctx, s.Store, from.Unix(), now.Unix()); err != nil {
			return nil, err
		}
		sr.checked = now
		s.series[k] = sr
	}
	if f := from.Unix(); f < sr.oldest {
		if err := sr.load(ctx, s.Store, f, now.Unix()); err != nil {
			return nil, err
		}
	}
	return sr, sr.refresh(ctx, s.Store, now)
}

// sli is an SLO's good and total as front-door metrics.
type sli struct {
	good, bad, total *model.MetricQuery
	below            []int
}

func parseSLI(o model.SLO) (sli, error) {
	if o.Budgeting != "" && o.Budgeting != model.BudgetOccurrences {
		return sli{}, fmt.Errorf("slo %s: budgetingMethod %s: %w yet: use Occurrences, or a Prometheus SLI", o.Name, o.Budgeting, ErrUnsupported)
	}
	in := o.Indicator
	if in.Threshold != nil || in.Total == nil || (in.Good == nil) == (in.Bad == nil) {
		return sli{}, fmt.Errorf("slo %s: indicator: the front door measures ratio SLIs (total and one of good or bad): %w", o.Name, ErrUnsupported)
	}
	q := sli{good: in.Good, bad: in.Bad, total: in.Total}
	for _, m := range []*model.MetricQuery{in.Good, in.Bad, in.Total} {
		if m == nil {
			continue
		}
		switch m.Metric {
		case model.FrontDoorRequests, model.FrontDoorErrors, model.FrontDoorGood:
		case model.FrontDoorLatencyUnder:
			if m.Under.D() <= 0 {
				return sli{}, fmt.Errorf("slo %s: metric latencyUnder needs under: a positive duration such as 300ms", o.Name)
			}
			if i, _ := latency.UnderIndex(m.Under.D()); !slices.Contains(q.below, i) {
				q.below = append(q.below, i)
			}
		default:
			return sli{}, fmt.Errorf("slo %s: front-door metric %q is unknown: use requests, errors, good or latencyUnder", o.Name, m.Metric)
		}
	}
	return q, nil
}

// counts reads good and total from a series' summed row.
func (q sli) counts(sr *series, v []uint64) (good, total float64) {
	total = metric(q.total, sr, v)
	if q.good != nil {
		return metric(q.good, sr, v), total
	}
	return total - metric(q.bad, sr, v), total
}

func metric(m *model.MetricQuery, sr *series, v []uint64) float64 {
	switch m.Metric {
	case model.FrontDoorRequests:
		return float64(v[0])
	case model.FrontDoorErrors:
		return float64(v[1])
	case model.FrontDoorGood:
		return float64(v[0] - min(v[1], v[0]))
	case model.FrontDoorLatencyUnder:
		i, _ := latency.UnderIndex(m.Under.D())
		return float64(v[2+slices.Index(sr.below, i)])
	}
	return 0
}
