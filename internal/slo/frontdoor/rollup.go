package frontdoor

import (
	"context"
	"log/slog"
	"time"

	"github.com/gennaker/gennaker/internal/latency"
	"github.com/gennaker/gennaker/internal/store"
)

// Minutes adds the stored seconds of every server group into one row per
// application, environment and minute, for the minutes that start in
// [from, to) (both whole minutes). A second stored with the coarse layout
// of old versions puts its latencies in the fine bucket holding its coarse
// bucket's upper bound (an upper estimate; such seconds are kept two hours).
func Minutes(secs []store.TrafficSecond, from, to time.Time) []store.TrafficMinute {
	type key struct {
		app, env string
		minute   int64
	}
	type acc struct {
		requests, errors uint64
		dense            []uint64
	}
	sums := map[key]*acc{}
	var order []key
	for _, s := range secs {
		if s.Time.Before(from) || !s.Time.Before(to) {
			continue
		}
		k := key{s.Application, s.Environment, s.Time.Unix() / 60 * 60}
		a := sums[k]
		if a == nil {
			a = &acc{dense: make([]uint64, latency.NumBuckets)}
			sums[k] = a
			order = append(order, k)
		}
		a.requests += s.Requests
		a.errors += s.Errors
		for _, c := range s.Latency.Counts {
			a.dense[fineIndex(s.Latency.Bounds, int(c.Index))] += uint64(c.N)
		}
	}
	out := make([]store.TrafficMinute, 0, len(order))
	for _, k := range order {
		a := sums[k]
		out = append(out, store.TrafficMinute{Application: k.app, Environment: k.env, Minute: time.Unix(k.minute, 0).UTC(),
			Requests: a.requests, Errors: min(a.errors, a.requests), Latency: latency.EncodeMinute(a.dense)})
	}
	return out
}

// fineIndex is the fine bucket of bucket i of layout bounds.
func fineIndex(bounds []float64, i int) int {
	switch {
	case len(bounds) == 0 || len(bounds) == latency.NumBounds:
		return min(i, latency.NumBounds)
	case i >= len(bounds):
		return latency.NumBounds
	}
	return latency.BucketOf(bounds[i])
}

// RollupStore is what the rollup reads and writes.
type RollupStore interface {
	TrafficSecondsBetween(ctx context.Context, from, to time.Time) ([]store.TrafficSecond, error)
	TrafficMinutePut(ctx context.Context, mins []store.TrafficMinute) error
	TrafficMinuteDeleteBefore(ctx context.Context, before time.Time) (int64, error)
}

// Rollup defaults.
const (
	// RollupEvery is how often complete minutes are recomputed.
	RollupEvery = time.Minute
	// Retention keeps minutes for the longest SLO window (a year, and a
	// calendar quarter's slack).
	Retention = 400 * 24 * time.Hour
	// settle is how long after a minute ends its seconds are all stored
	// (the front door's seconds are flushed every 5 s).
	settle = 15 * time.Second
	// lookback recomputes the last minutes again on every pass, so seconds
	// stored late (a slow flush, a restart) are counted.
	lookback = 5 * time.Minute
	// startBack is how far the first pass goes: the seconds kept (two
	// hours) less a margin, so a minute whose seconds are being deleted
	// is never recounted short.
	startBack = 90 * time.Minute
)

// Rollup recomputes front-door minutes from the stored seconds.
type Rollup struct {
	Store  RollupStore
	Logger *slog.Logger
	Now    func() time.Time // default time.Now
	done   time.Time        // the end of the minutes computed so far
	pruned time.Time
}

// Run recomputes minutes every RollupEvery until ctx ends.
func (r *Rollup) Run(ctx context.Context) {
	tick := time.NewTicker(RollupEvery)
	defer tick.Stop()
	for {
		if err := r.Pass(ctx); err != nil && ctx.Err() == nil {
			r.Logger.Warn("could not roll up front-door minutes; trying again in a minute", "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
	}
}

// Pass recomputes the complete minutes not yet computed (the first pass
// goes back startBack) and the last lookback before them, replacing their
// rows, and deletes minutes past Retention once a day.
func (r *Rollup) Pass(ctx context.Context) error {
	now := time.Now
	if r.Now != nil {
		now = r.Now
	}
	t := now()
	to := t.Add(-settle).Truncate(time.Minute)
	from := r.done.Add(-lookback)
	if r.done.IsZero() {
		from = t.Add(-startBack).Truncate(time.Minute)
	}
	if !from.Before(to) {
		return nil
	}
	secs, err := r.Store.TrafficSecondsBetween(ctx, from, to)
	if err != nil {
		return err
	}
	if err := r.Store.TrafficMinutePut(ctx, Minutes(secs, from, to)); err != nil {
		return err
	}
	r.done = to
	if t.Sub(r.pruned) >= 24*time.Hour {
		if _, err := r.Store.TrafficMinuteDeleteBefore(ctx, t.Add(-Retention)); err != nil {
			return err
		}
		r.pruned = t
	}
	return nil
}
