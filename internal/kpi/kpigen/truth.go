// Package kpigen plays a history of deliveries, deterministic from a seed,
// for the KPI exactness test and the KPI benchmark: several teams and
// applications, a staging and two production environments, executions
// with triggers, approvals, canary analyses, failures, automatic and
// one-click rollbacks, retries, incidents and out-of-band changes. It
// writes the history into a store as the engine would (the same event
// kinds, fields and Detail conventions, interleaved in commit order), and
// keeps its ground truth (what it made happen, and when) so that the
// expected KPIs (Expect) are computed from the truth by the definitions
// of docs/kpis.md, not by folding the event log.
package kpigen

import (
	"time"

	"github.com/gennaker/gennaker/internal/model"
)

// History is a generated history: the config, the events in commit order
// and the ground truth they were made from.
type History struct {
	Config Config
	// Initial is applied before the events; Final after them (an
	// application moved to another team: its history moves with it).
	Initial, Final model.Config
	// Events in the order a real server would commit them (IDs unset),
	// and when each was recorded (committed).
	Events   []model.Event
	Recorded []time.Time

	Executions []*Execution
	// Attempts are production deploys (not rollbacks), in start order.
	Attempts  []*Attempt
	Rollbacks []Rollback
	Incidents []*Incident
	OutOfBand []OutOfBand
	// Actions are what actors did (started an execution, approved,
	// rejected, retried, canceled, rolled back), trigger starts included.
	Actions []Action
}

// Execution is the truth about one pipeline run.
type Execution struct {
	ID, Application, Pipeline string
	TriggerKind, Actor        string
	Start                     time.Time
	CommitTime                *time.Time
	// Steps are its manual steps (run, approve, reject, retry, cancel).
	Steps []Step
	// Waits are its waits for people that an approve or reject ended.
	Waits []Interval
	// Analyses are its canary analysis steps that reached a verdict.
	Analyses []Analysis
}

// Step is one manual step of an execution.
type Step struct {
	At     time.Time
	Action string
}

// Interval is [Start, End).
type Interval struct{ Start, End time.Time }

// Analysis is a canary analysis step and the waits for people inside it.
type Analysis struct {
	Interval
	Inside time.Duration
}

// Attempt is a production deploy.
type Attempt struct {
	Exec         *Execution
	Environment  string
	Stage        string
	Version      string
	Start        time.Time
	End          time.Time // zero while running
	Live         bool      // ended with deploy_succeeded
	TrafficMoved bool      // failed after traffic moved: an automatic rollback
}

// Ended reports whether the attempt ended.
func (a *Attempt) Ended() bool { return !a.End.IsZero() }

// Rollback moved an environment's traffic from one version back to another
// (a one-click rollback; automatic rollbacks of failed attempts are not
// listed: they restore the failed attempt).
type Rollback struct {
	Application, Environment string
	At                       time.Time
	From, To                 string
}

// Incident is one incident as it happened.
type Incident struct {
	ID, Application, Environment string
	Start                        time.Time
	Resolved                     *time.Time
	// Recorded is when gennaker learned of it (after Start for late ones).
	Recorded time.Time
}

// OutOfBand is one change made around gennaker.
type OutOfBand struct {
	Time                     time.Time
	Application, Environment string
	Object, Actor, Detail    string
	Production               bool
	Recorded                 time.Time
}

// Action is one thing an actor did; Environment is the environment its
// event names ("" for an execution of several environments).
type Action struct {
	At                              time.Time
	Actor, Application, Environment string
	What                            string
}

// ProductionFrom is h as the KPIs see it when env was marked production
// only at t (its events recorded before t were folded while it was not):
// its attempts, rollbacks, incidents and out-of-band changes recorded
// before t are left out (docs/kpis.md: "marking an environment production
// later does not recount its past").
func (h *History) ProductionFrom(env string, t time.Time) *History {
	c := *h
	c.Attempts, c.Rollbacks, c.Incidents, c.OutOfBand = nil, nil, nil, nil
	for _, a := range h.Attempts {
		if a.Environment != env || !a.Start.Before(t) {
			c.Attempts = append(c.Attempts, a)
		}
	}
	for _, r := range h.Rollbacks {
		if r.Environment != env || !r.At.Before(t) {
			c.Rollbacks = append(c.Rollbacks, r)
		}
	}
	for _, i := range h.Incidents {
		if i.Environment != env || !i.Recorded.Before(t) {
			c.Incidents = append(c.Incidents, i)
		}
	}
	for _, o := range h.OutOfBand {
		if o.Environment != env || !o.Recorded.Before(t) {
			c.OutOfBand = append(c.OutOfBand, o)
		}
	}
	return &c
}
