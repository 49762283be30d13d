package main

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"time"

	"github.com/gennaker/gennaker/internal/kpi/kpigen"
	"github.com/gennaker/gennaker/internal/model"
)

// history writes a year of production deploys day by day: perDay
// executions a day over apps applications in teams teams, each deploying one
// version to one of two production environments (a fifth of them by canary
// with an analysis, a tenth after an approval, a fifth started by hand,
// the rest by a git push with its commit time); 5% fail (most with an
// automatic rollback), 1% are rolled back by hand later, 2% are followed
// by an incident, and a few out-of-band changes happen every day. Events of
// a day are inserted in time order, batch per transaction.
type history struct {
	apps, teams, perDay, days int
	start                     time.Time
	rng                       *rand.Rand
	execN, incN               int
	versions                  map[string]int
	events                    int
}

var envs = []string{kpigen.ProdEU, kpigen.ProdUS}

func (h *history) appName(i int) string  { return fmt.Sprintf("svc%04d", i) }
func (h *history) teamName(i int) string { return fmt.Sprintf("team%02d", i%h.teams) }

func (h *history) config() model.Config {
	c := model.Config{Environments: []model.Environment{
		{Name: kpigen.Staging, Target: model.TargetSpec{Kind: model.TargetLocal}},
		{Name: kpigen.ProdEU, Target: model.TargetSpec{Kind: model.TargetLocal}, Production: true},
		{Name: kpigen.ProdUS, Target: model.TargetSpec{Kind: model.TargetLocal}, Production: true},
	}}
	for i := range h.teams {
		c.Teams = append(c.Teams, model.Team{Name: h.teamName(i)})
	}
	for i := range h.apps {
		c.Applications = append(c.Applications, model.Application{Name: h.appName(i), Team: h.teamName(i), Instances: 2,
			Run: model.RunSpec{Command: "./server"}, HealthCheck: model.HealthCheck{Path: "/healthz"}})
	}
	return c
}

func (h *history) dur(median time.Duration, sigma float64) time.Duration {
	return time.Duration(float64(median) * math.Exp(sigma*h.rng.NormFloat64())).Truncate(time.Millisecond)
}

// write generates and inserts every day.
func (h *history) write(ctx context.Context, st kpigen.Store, batch int, progress func(day int)) error {
	var carry []model.Event
	for d := range h.days {
		dayStart := h.start.AddDate(0, 0, d)
		evs := carry
		for range h.perDay {
			at := dayStart.Add(time.Duration(h.rng.Int64N(int64(24 * time.Hour)))).Truncate(time.Millisecond)
			evs = h.execution(evs, at)
		}
		for range 3 {
			at := dayStart.Add(time.Duration(h.rng.Int64N(int64(24 * time.Hour)))).Truncate(time.Millisecond)
			evs = append(evs, model.Event{Time: at, Kind: model.EventOutOfBand, Application: h.appName(h.rng.IntN(h.apps)),
				Environment: envs[h.rng.IntN(2)], Ref: "Deployment/x", Actor: "kubectl-edit:ops", Detail: "replicas changed"})
		}
		slices.SortStableFunc(evs, func(a, b model.Event) int { return a.Time.Compare(b.Time) })
		next := dayStart.AddDate(0, 0, 1)
		cut := len(evs)
		if d < h.days-1 {
			cut, _ = slices.BinarySearchFunc(evs, next, func(e model.Event, t time.Time) int { return e.Time.Compare(t) })
		}
		if err := kpigen.InsertEvents(ctx, st, evs[:cut], batch); err != nil {
			return err
		}
		h.events += cut
		carry = slices.Clone(evs[cut:])
		progress(d)
	}
	return nil
}

// execution appends one execution's events, starting at at.
func (h *history) execution(evs []model.Event, at time.Time) []model.Event {
	h.execN++
	app := h.appName(h.rng.IntN(h.apps))
	env := envs[h.rng.IntN(2)]
	h.versions[app+env]++
	prev := fmt.Sprintf("1.0.%d", h.versions[app+env]-1)
	version := fmt.Sprintf("1.0.%d", h.versions[app+env])
	base := model.Event{Application: app, Environment: env, ExecutionID: fmt.Sprintf("ex-%08d", h.execN), Version: version,
		Trigger: "git", Actor: "trigger:" + app + "/ship/on-push"}
	manual := h.rng.Float64() < 0.2
	if manual {
		base.Trigger, base.Actor = "manual", fmt.Sprintf("user%02d@example.com", h.rng.IntN(50))
	} else {
		ct := at.Add(-h.dur(30*time.Minute, 1))
		base.CommitSHA, base.CommitTime = "0123456789abcdef0123456789abcdef01234567", &ct
	}
	t := at
	add := func(kind model.EventKind, stage string, mod func(*model.Event)) {
		ev := base
		ev.Time, ev.Kind, ev.Stage = t, kind, stage
		if mod != nil {
			mod(&ev)
		}
		evs = append(evs, ev)
	}
	add(model.EventExecutionStarted, "", func(e *model.Event) { e.Detail = "pipeline ship" })
	if manual {
		add(model.EventManualStep, "", func(e *model.Event) { e.Action, e.Detail = "run", "ran pipeline ship" })
	}
	if h.rng.Float64() < 0.1 {
		t = t.Add(time.Second)
		add(model.EventJudgmentWaiting, "approve", nil)
		t = t.Add(h.dur(20*time.Minute, 1))
		add(model.EventManualStep, "approve", func(e *model.Event) { e.Action, e.Actor = "approve", "approver@example.com" })
	}
	t = t.Add(2 * time.Second)
	canary := h.rng.Float64() < 0.2
	add(model.EventDeployStarted, "deploy", func(e *model.Event) { e.Detail = "rolling" })
	if canary {
		t = t.Add(time.Minute)
		add(model.EventAnalysisStarted, "deploy", nil)
		t = t.Add(h.dur(5*time.Minute, 0.5))
		add(model.EventCanaryVerdict, "deploy", func(e *model.Event) { e.Action = "passed" })
	}
	t = t.Add(h.dur(2*time.Minute, 0.5))
	if h.rng.Float64() < 0.05 {
		add(model.EventDeployFailed, "deploy", func(e *model.Event) { e.Detail = "health check failed" })
		if prev != "1.0.0" && h.rng.Float64() < 0.8 {
			add(model.EventRolledBack, "deploy", func(e *model.Event) {
				e.Version, e.FromVersion, e.Detail = prev, version, "automatic: health check failed"
			})
		}
		h.versions[app+env]-- // the failed version never served
		t = t.Add(time.Second)
		add(model.EventExecutionFinished, "", func(e *model.Event) { e.Detail = "failed" })
		return evs
	}
	add(model.EventDeploySucceeded, "deploy", nil)
	t = t.Add(time.Second)
	add(model.EventExecutionFinished, "", func(e *model.Event) { e.Detail = "succeeded" })
	switch x := h.rng.Float64(); {
	case x < 0.02:
		h.incN++
		start := t.Add(h.dur(2*time.Hour, 1))
		ref := fmt.Sprintf("inc-%07d", h.incN)
		evs = append(evs, model.Event{Time: start, Kind: model.EventIncidentOpened, Application: app, Environment: env, Ref: ref, Action: "alertmanager", Detail: "HighErrorRate"},
			model.Event{Time: start.Add(h.dur(40*time.Minute, 1)), Kind: model.EventIncidentResolved, Application: app, Environment: env, Ref: ref})
	case x < 0.03 && prev != "1.0.0":
		h.execN++
		rb := model.Event{Application: app, Environment: env, ExecutionID: fmt.Sprintf("ex-%08d", h.execN), Trigger: "rollback", Actor: "oncall@example.com"}
		rt := t.Add(h.dur(30*time.Minute, 1))
		for i, kind := range []model.EventKind{model.EventExecutionStarted, model.EventManualStep, model.EventDeployStarted, model.EventRolledBack, model.EventExecutionFinished} {
			ev := rb
			ev.Time, ev.Kind = rt.Add(time.Duration(i)*time.Second), kind
			switch kind {
			case model.EventManualStep:
				ev.Action = "rollback"
			case model.EventDeployStarted:
				ev.Stage, ev.Version, ev.Detail = "rollback", prev, "rollback"
			case model.EventRolledBack:
				ev.Stage, ev.Version, ev.FromVersion, ev.Detail = "rollback", prev, version, "one-click rollback"
			}
			evs = append(evs, ev)
		}
	}
	return evs
}
