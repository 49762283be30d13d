package slo

import (
	"slices"
	"time"

	"github.com/gennaker/gennaker/internal/model"
	"github.com/gennaker/gennaker/internal/store"
)

// DeployBurnWindow is how long after a deploy its burn is counted.
const DeployBurnWindow = time.Hour

// Deploy marks a version change on an SLO's charts: a deploy that started
// rolling a version out, or a rollback.
type Deploy struct {
	Time        time.Time       `json:"time"`
	Kind        model.EventKind `json:"kind"` // deploy_started or rolled_back
	Environment string          `json:"environment"`
	Version     string          `json:"version"`
	// FromVersion is, on a rollback, the version traffic moved away from.
	FromVersion string `json:"fromVersion,omitempty"`
	ExecutionID string `json:"executionId,omitempty"`
	// Outcome is what became of a deploy: succeeded, failed, or "" while
	// it runs (and on rollbacks).
	Outcome string `json:"outcome,omitempty"`
}

// Deploy outcomes.
const (
	// OutcomeSucceeded: the version took all traffic.
	OutcomeSucceeded = "succeeded"
	// OutcomeFailed: the deploy did not complete.
	OutcomeFailed = "failed"
)

// DeployKinds are the events Deploys reads.
var DeployKinds = []model.EventKind{model.EventDeployStarted, model.EventDeploySucceeded, model.EventDeployFailed, model.EventRolledBack}

// Deploys turns delivery events into markers, oldest first: one per
// deploy_started (with the outcome its execution's deploy_succeeded or
// deploy_failed in the same environment gave it) and one per rolled_back.
// A deploy_succeeded without its start (the start fell before the events
// read) is a marker of its own, at the time it succeeded.
func Deploys(events []model.Event) []Deploy {
	type key struct{ exec, env, version string }
	started := map[key]int{}
	var out []Deploy
	for _, e := range events {
		k := key{e.ExecutionID, e.Environment, e.Version}
		switch e.Kind {
		case model.EventDeployStarted:
			started[k] = len(out)
			out = append(out, Deploy{Time: e.Time, Kind: e.Kind, Environment: e.Environment, Version: e.Version, ExecutionID: e.ExecutionID})
		case model.EventDeploySucceeded, model.EventDeployFailed:
			outcome := OutcomeSucceeded
			if e.Kind == model.EventDeployFailed {
				outcome = OutcomeFailed
			}
			if i, ok := started[k]; ok && e.ExecutionID != "" {
				out[i].Outcome = outcome
				delete(started, k)
			} else if e.Kind == model.EventDeploySucceeded {
				out = append(out, Deploy{Time: e.Time, Kind: model.EventDeployStarted, Environment: e.Environment, Version: e.Version, ExecutionID: e.ExecutionID, Outcome: outcome})
			}
		case model.EventRolledBack:
			out = append(out, Deploy{Time: e.Time, Kind: e.Kind, Environment: e.Environment, Version: e.Version, FromVersion: e.FromVersion, ExecutionID: e.ExecutionID})
		}
	}
	slices.SortStableFunc(out, func(a, b Deploy) int { return a.Time.Compare(b.Time) })
	return out
}

// DeployBurn is the error budget one deploy burned in the hour after it.
type DeployBurn struct {
	Deploy
	// Burned is the fraction of the window's error budget spent by the bad
	// events of [Time, Time+1h): 0.02 is 2% of the budget.
	Burned float64 `json:"burned"`
	// BurnRate is the hour's burn rate (1: the budget lasts the window).
	BurnRate float64 `json:"burnRate"`
	// Method says how it was counted: "counts" (the SLI's good and total
	// events of the hour, exact) or "points" (the stored burn rates
	// integrated over the hour; exact when traffic is even).
	Method string `json:"method"`
	// Until is the end of the interval counted: an hour after the deploy,
	// the next deploy or rollback in its environment when that came first,
	// or now while the interval runs.
	Until time.Time `json:"until"`
	// Partial says the interval is not over yet.
	Partial bool `json:"partial,omitempty"`
}

// Burn counting methods.
const (
	// BurnFromCounts: the SLI's events of the hour.
	BurnFromCounts = "counts"
	// BurnFromPoints: the evaluations' burn rates over the hour.
	BurnFromPoints = "points"
)

// BurnFromHourCounts is the budget an hour's counts burned: its bad events
// over the window's error budget, (1 - target) × windowTotal events.
// Without window traffic it is the hour's burn rate spread over the window
// (hour/window), the same as for even traffic.
func BurnFromHourCounts(target float64, hour Counts, windowTotal float64, hourLen, window time.Duration) (burned, rate float64) {
	rate = BurnRate(target, hour)
	if windowTotal > 0 {
		return hour.Bad() / ((1 - target) * windowTotal), rate
	}
	if window <= 0 {
		return 0, rate
	}
	return rate * hourLen.Seconds() / window.Seconds(), rate
}

// BurnFromPointsRates integrates the points' burn rates over [from, to):
// each point's rate holds from its time until the next point's (the last
// until to; the time before the first point in the interval takes the
// rate of the point before it, if any). Burning at rate r for d spends
// r × d / window of the budget. It returns the budget spent and the mean
// rate over the time covered; covered is false when no point says
// anything about the interval.
func BurnFromPointsRates(points []store.SLOPoint, from, to time.Time, window time.Duration) (burned, rate float64, covered bool) {
	if !to.After(from) || window <= 0 {
		return 0, 0, false
	}
	var spent, secs float64
	for i, p := range points {
		start := p.At
		end := to
		if i+1 < len(points) && points[i+1].At.Before(to) {
			end = points[i+1].At
		}
		if start.Before(from) {
			start = from
		}
		if !end.After(start) {
			continue
		}
		d := end.Sub(start).Seconds()
		spent += p.BurnRate * d
		secs += d
	}
	if secs == 0 {
		return 0, 0, false
	}
	return spent / window.Seconds(), spent / secs, true
}
