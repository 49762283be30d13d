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
// It counts the minutes the Rollup has written and, with Seconds set, the
// stored seconds after the last of them (the front door flushes its
// seconds every 5 s), so a window ending now is current to a few seconds.
type Source struct {
	Store        MinuteReader
	Environments EnvironmentLister
	// Seconds, when set, adds the stored seconds after the last minute
	// rolled up, so a burn shows within seconds of being flushed rather
	// than once its minute is rolled up.
	Seconds SecondsReader
	Now     func() time.Time // default time.Now

	mu     sync.Mutex
	series map[[2]string]*series
	envs   []string
	envsAt time.Time
	live   live
}

var _ slo.Source = (*Source)(nil)

// ErrUnsupported says an SLO asks the front door for what it cannot count.
var ErrUnsupported = errors.New("the front door cannot measure this")

// Counts implements slo.Source.
func (s *Source) Counts(ctx context.Context, o model.SLO, obj model.Objective, from, to time.Time) (slo.Counts, error) {
	q, err := parseSLI(o, obj)
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
		sr, err := s.seriesFor(ctx, o.Application, env, q, from, now)
		if err != nil {
			return slo.Counts{}, fmt.Errorf("slo %s: reading the front door's minutes of %s in %s: %w", o.Name, o.Application, env, err)
		}
		out := make([]uint64, sr.stride)
		if err := sr.sum(ctx, s.Store, from.Unix(), to.Unix(), now, out); err != nil {
			return slo.Counts{}, fmt.Errorf("slo %s: reading the front door's minutes of %s in %s: %w", o.Name, o.Application, env, err)
		}
		secs, err := s.liveSeconds(ctx, o.Application, env, now)
		if err != nil {
			return slo.Counts{}, fmt.Errorf("slo %s: reading the front door's recent seconds: %w", o.Name, err)
		}
		sr.addLive(secs, from.Unix(), to.Unix(), out)
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

// seriesFor returns the series of app in env, counting what q needs,
// loaded from at least from and refreshed.
func (s *Source) seriesFor(ctx context.Context, app, env string, q sli, from, now time.Time) (*series, error) {
	if s.series == nil {
		s.series = map[[2]string]*series{}
	}
	k := [2]string{app, env}
	sr := s.series[k]
	below, specs := q.below, []sliceSpec(nil)
	if q.slices {
		specs = []sliceSpec{q.ratio}
	}
	if sr != nil {
		missing := slices.ContainsFunc(below, func(b int) bool { return !slices.Contains(sr.below, b) }) ||
			slices.ContainsFunc(specs, func(sp sliceSpec) bool { return !slices.Contains(sr.slices, sp) })
		if missing {
			// Something new to count: count it from the start (rare: a config change).
			below = union(sr.below, below)
			specs = union(sr.slices, specs)
			sr = nil
		} else {
			below, specs = sr.below, sr.slices
		}
	}
	if sr == nil {
		sr = &series{app: app, env: env, below: slices.Clone(below), slices: slices.Clone(specs)}
		sr.stride = sr.base() + 2*len(specs)
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

// union is a with b's elements it lacks.
func union[T comparable](a, b []T) []T {
	out := slices.Clone(a)
	for _, x := range b {
		if !slices.Contains(out, x) {
			out = append(out, x)
		}
	}
	return out
}

// metricRef is one front-door metric of an SLI ("" when unset).
type metricRef struct {
	metric string
	under  time.Duration
}

func ref(m *model.MetricQuery) metricRef {
	if m == nil {
		return metricRef{}
	}
	return metricRef{m.Metric, m.Under.D()}
}

// sliceSpec is what makes a one-minute slice good: the SLI's ratio in the
// minute at least target (Timeslices budgeting).
type sliceSpec struct {
	good, bad, total metricRef
	target           float64
}

// sli is an SLO's good and total as front-door metrics.
type sli struct {
	ratio sliceSpec // target set only when counting slices
	below []int
	// slices: count one-minute slices (Timeslices) rather than events.
	slices bool
}

// parseSLI reads the SLO's indicator for objective obj.
func parseSLI(o model.SLO, obj model.Objective) (sli, error) {
	in := o.Indicator
	if in.Threshold != nil || in.Total == nil || (in.Good == nil) == (in.Bad == nil) {
		return sli{}, fmt.Errorf("slo %s: indicator: the front door measures ratio SLIs (total and one of good or bad): %w", o.Name, ErrUnsupported)
	}
	q := sli{ratio: sliceSpec{good: ref(in.Good), bad: ref(in.Bad), total: ref(in.Total)}}
	switch o.Budgeting {
	case "", model.BudgetOccurrences:
	case model.BudgetTimeslices:
		if w := obj.TimeSliceWindow.D(); w != 0 && w != time.Minute {
			return sli{}, fmt.Errorf("slo %s: objective %q: timeSliceWindow %s: %w: the front door keeps one-minute slices; write 1m", o.Name, obj.Name, w, ErrUnsupported)
		}
		if obj.TimeSliceTarget <= 0 || obj.TimeSliceTarget > 1 {
			return sli{}, fmt.Errorf("slo %s: objective %q: Timeslices needs timeSliceTarget in (0, 1], the good ratio that makes a minute good", o.Name, obj.Name)
		}
		q.slices, q.ratio.target = true, obj.TimeSliceTarget
	default:
		return sli{}, fmt.Errorf("slo %s: budgetingMethod %s: %w yet: use Occurrences or Timeslices, or a Prometheus SLI", o.Name, o.Budgeting, ErrUnsupported)
	}
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

// counts reads good and total from a series' summed row: events, or the
// good slices and the slices with traffic.
func (q sli) counts(sr *series, v []uint64) (good, total float64) {
	if q.slices {
		i := sr.base() + 2*slices.Index(sr.slices, q.ratio)
		return float64(v[i]), float64(v[i+1])
	}
	return q.ratio.events(sr, v)
}

// events are the good and total events of a row.
func (sp sliceSpec) events(sr *series, v []uint64) (good, total float64) {
	total = metric(sp.total, sr, v)
	if sp.good.metric != "" {
		return metric(sp.good, sr, v), total
	}
	return total - metric(sp.bad, sr, v), total
}

func metric(m metricRef, sr *series, v []uint64) float64 {
	switch m.metric {
	case model.FrontDoorRequests:
		return float64(v[0])
	case model.FrontDoorErrors:
		return float64(v[1])
	case model.FrontDoorGood:
		return float64(v[0] - min(v[1], v[0]))
	case model.FrontDoorLatencyUnder:
		i, _ := latency.UnderIndex(m.under)
		return float64(v[2+slices.Index(sr.below, i)])
	}
	return 0
}
