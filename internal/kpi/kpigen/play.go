package kpigen

import (
	"fmt"
	"time"

	"github.com/gennaker/gennaker/internal/model"
)

// playApp plays one application's year: executions one after another (one
// deploy at a time, as the engine's leases make it), each followed by what
// happened to what it put live (incidents, one-click rollbacks).
func (g *gen) playApp(a appSpec) {
	g.spec, g.stacks, g.next = a, map[string][]string{}, time.Time{}
	g.clock = g.cfg.Start.Add(g.between(0, 36*time.Hour))
	end := g.cfg.End()
	for {
		at := g.clock.Add(g.gap())
		if !g.next.IsZero() {
			at = maxTime(g.next, g.clock.Add(time.Minute))
			g.next = time.Time{}
		}
		if !at.Before(end.Add(-6 * time.Hour)) {
			break
		}
		switch x := g.rng.Float64(); {
		case a.noProd || at.Before(a.prodFrom) || x < 0.10:
			g.clock = g.stagingOnly(at)
		case x < 0.18:
			g.clock = g.hotfix(at)
		default:
			g.clock = g.ship(at)
		}
	}
	if last := g.lastLive(a.name); last != nil && g.p(0.5) {
		// An incident nobody resolved and no deploy followed: unrecovered.
		g.incident(last.Environment, maxTime(last.End, g.clock).Add(g.between(time.Minute, time.Hour)), 0)
	}
	if !a.noProd && !a.prodFrom.After(g.clock) && g.p(0.5) {
		g.unfinished(end.Add(-3 * time.Hour))
	}
}

func (g *gen) lastLive(app string) *Attempt {
	for i := len(g.h.Attempts) - 1; i >= 0; i-- {
		if a := g.h.Attempts[i]; a.Exec.Application == app && a.Live {
			return a
		}
	}
	return nil
}

func (g *gen) gap() time.Duration {
	d := time.Duration(g.rng.ExpFloat64() * float64(g.cfg.MeanGap))
	return max(d, 10*time.Minute).Truncate(time.Millisecond)
}

func maxTime(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}

func (g *gen) version() string {
	g.verN++
	return fmt.Sprintf("1.%d.%d", g.verN/10, g.verN%10)
}

// trigger picks how a ship execution starts: its kind, actor and commit time.
func (g *gen) trigger(at time.Time, pipeline string) (kind, actor string, commit *time.Time) {
	switch x := g.rng.Float64(); {
	case x < 0.50:
		c := at.Add(-g.lognormal(40*time.Minute, 1.2, 30*time.Second, 5*24*time.Hour))
		if g.p(0.03) { // a clock ahead of ours: committed after the start
			c = at.Add(g.between(time.Second, time.Minute))
		}
		return "git", "trigger:" + g.spec.name + "/" + pipeline + "/on-push", &c
	case x < 0.62:
		c := at.Add(-g.lognormal(3*time.Hour, 1, 5*time.Minute, 3*24*time.Hour))
		return "pipeline", "trigger:" + g.spec.name + "/" + pipeline + "/after-build", &c
	case x < 0.85:
		return "manual", g.person(), nil
	default:
		return "schedule", "trigger:" + g.spec.name + "/" + pipeline + "/nightly", nil
	}
}

// stagingOnly runs the staging pipeline.
func (g *gen) stagingOnly(at time.Time) time.Time {
	pl := g.spec.name + "-staging"
	kind, actor, commit := g.trigger(at, pl)
	r := g.start(g.spec.name, pl, Staging, kind, actor, g.version(), at, commit)
	r.wait(g.between(10*time.Second, 40*time.Second))
	r.emit(model.Event{Kind: model.EventDeployStarted, Environment: Staging, Detail: "rolling"}, "deploy-staging")
	r.wait(g.between(2*time.Minute, 8*time.Minute))
	if g.p(0.1) {
		r.emit(model.Event{Kind: model.EventDeployFailed, Environment: Staging, Detail: "health check failed"}, "deploy-staging")
		r.finish("failed")
	} else {
		r.emit(model.Event{Kind: model.EventDeploySucceeded, Environment: Staging}, "deploy-staging")
		r.finish("succeeded")
	}
	if g.p(0.05) {
		g.incident(Staging, r.t.Add(g.between(time.Minute, 5*time.Hour)), g.between(10*time.Minute, 2*time.Hour))
	}
	return r.t
}

// hotfix is `gennaker deploy` of a version straight to the first
// production environment (a one-off highlander pipeline).
func (g *gen) hotfix(at time.Time) time.Time {
	env := g.spec.prodEnvs[0]
	pl := "deploy-" + env
	var commit *time.Time
	if g.p(0.5) { // --commit-time
		c := at.Add(-g.lognormal(2*time.Hour, 1, time.Minute, 2*24*time.Hour))
		commit = &c
	}
	r := g.start(g.spec.name, pl, env, "deploy", g.person(), g.version(), at, commit)
	r.wait(g.between(5*time.Second, 30*time.Second))
	live := g.deploy(r, env, "deploy", model.StrategyHighlander)
	if live {
		r.finish("succeeded")
	} else if !r.canceled() {
		r.finish("failed")
	}
	return g.after(r, map[string]*Attempt{env: g.lastAttempt()})
}

func (r *run) canceled() bool {
	for _, s := range r.ex.Steps {
		if s.Action == "cancel" {
			return true
		}
	}
	return false
}

func (g *gen) lastAttempt() *Attempt { return g.h.Attempts[len(g.h.Attempts)-1] }

// ship runs the application's ship pipeline: staging, maybe an approval,
// then each production environment.
func (g *gen) ship(at time.Time) time.Time {
	a := g.spec
	pl := a.name + "-ship"
	kind, actor, commit := g.trigger(at, pl)
	r := g.start(a.name, pl, "", kind, actor, g.version(), at, commit)
	r.wait(g.between(5*time.Second, 30*time.Second))
	r.emit(model.Event{Kind: model.EventDeployStarted, Environment: Staging, Detail: "rolling"}, "deploy-staging")
	r.wait(g.lognormal(5*time.Minute, 0.5, 2*time.Minute, 40*time.Minute))
	if g.p(0.04) {
		r.emit(model.Event{Kind: model.EventDeployFailed, Environment: Staging, Detail: "health check failed"}, "deploy-staging")
		r.finish("failed")
		return r.t
	}
	r.emit(model.Event{Kind: model.EventDeploySucceeded, Environment: Staging}, "deploy-staging")
	r.wait(g.between(time.Second, 20*time.Second))
	if a.approval && !g.judgment(r, "approve") {
		return r.t
	}
	live := map[string]*Attempt{}
	retries := 0
	for i := 0; i < len(a.prodEnvs); i++ {
		env := a.prodEnvs[i]
		strat := model.StrategyRolling
		if i == 0 && a.canary {
			strat = model.StrategyCanary
		}
		r.wait(g.between(2*time.Second, 30*time.Second))
		if g.deploy(r, env, "deploy-"+env, strat) {
			live[env] = g.lastAttempt()
			continue
		}
		if r.canceled() {
			return g.after(r, live)
		}
		r.finish("failed: stage deploy-" + env + " failed")
		if retries > 0 || !g.p(0.35) || g.cfg.Without["retry"] {
			return g.after(r, live)
		}
		// Somebody retries the failed stage later: a new attempt (rework
		// when it starts within 24 hours of the failure).
		retries++
		r.wait(g.lognormal(40*time.Minute, 1.2, 2*time.Minute, 30*time.Hour))
		r.step("retry", g.person(), "ran the execution again from stage deploy-"+env, "deploy-"+env)
		i-- // the same environment again
	}
	r.finish("succeeded")
	return g.after(r, live)
}

// judgment plays a manual judgment stage: it waits for a person, who
// approves (true), rejects, or cancels the execution.
func (g *gen) judgment(r *run, stage string) bool {
	r.emit(model.Event{Kind: model.EventJudgmentWaiting, Detail: "waiting for a person to approve or reject"}, stage)
	from := r.t
	r.wait(g.lognormal(25*time.Minute, 1.6, 30*time.Second, 30*time.Hour))
	switch x := g.rng.Float64(); {
	case x < 0.05:
		r.ex.Waits = append(r.ex.Waits, Interval{from, r.t})
		r.step(model.DecisionReject, g.person(), "not today", stage)
		r.wait(g.between(time.Millisecond, time.Second))
		r.finish("failed: stage " + stage + " rejected")
		return false
	case x < 0.08:
		r.step("cancel", g.person(), "superseded", "")
		r.finish("canceled: canceled by someone")
		return false
	}
	r.ex.Waits = append(r.ex.Waits, Interval{from, r.t})
	r.step(model.DecisionApprove, g.person(), "", stage)
	return true
}

// deploy plays one production deploy stage and reports whether its
// version went live.
func (g *gen) deploy(r *run, env, stage string, strat model.StrategyType) bool {
	at := &Attempt{Exec: r.ex, Environment: env, Stage: stage, Version: r.version, Start: r.t}
	g.h.Attempts = append(g.h.Attempts, at)
	r.emit(model.Event{Kind: model.EventDeployStarted, Environment: env, Version: r.version, Detail: string(strat)}, stage)
	serving := g.serving(env)
	fail := func(reason string, moved bool) bool {
		moved = moved && serving != ""
		at.End, at.TrafficMoved = r.t, moved
		r.emit(model.Event{Kind: model.EventDeployFailed, Environment: env, Version: r.version, Detail: reason}, stage)
		if moved {
			r.emit(model.Event{Kind: model.EventRolledBack, Environment: env, Version: serving, FromVersion: r.version, Detail: "automatic: " + reason}, stage)
		}
		return false
	}
	cancel := func() bool {
		if g.cfg.Without["cancel"] {
			return fail("rejected by a person", true)
		}
		r.step("cancel", g.person(), "wrong version", "")
		r.finish("canceled: canceled by someone")
		r.wait(g.between(20*time.Second, 3*time.Minute))
		return fail("canceled by someone", true)
	}
	r.wait(g.lognormal(90*time.Second, 0.5, 20*time.Second, 10*time.Minute))
	if g.p(0.03) {
		return fail("instance app-v1 did not become healthy within 1m0s", false)
	}
	if strat == model.StrategyCanary {
		r.emit(model.Event{Kind: model.EventAnalysisStarted, Environment: env, Version: r.version, Detail: "step 2/4"}, stage)
		an := Analysis{Interval: Interval{Start: r.t}}
		r.wait(g.lognormal(10*time.Minute, 0.6, 2*time.Minute, 2*time.Hour))
		if g.p(0.25) { // the canary pauses for a person inside the analysis
			r.emit(model.Event{Kind: model.EventJudgmentWaiting, Environment: env, Detail: "canary paused: promote or abort"}, stage)
			from := r.t
			r.wait(g.lognormal(30*time.Minute, 1.5, 20*time.Second, 20*time.Hour))
			switch x := g.rng.Float64(); {
			case x < 0.04:
				r.ex.Waits = append(r.ex.Waits, Interval{from, r.t})
				r.step(model.DecisionReject, g.person(), "errors look high", stage)
				r.wait(g.between(20*time.Second, 2*time.Minute))
				return fail("rejected by a person", true)
			case x < 0.07:
				return cancel()
			}
			r.ex.Waits = append(r.ex.Waits, Interval{from, r.t})
			an.Inside += r.t.Sub(from)
			r.step(model.DecisionApprove, g.person(), "", stage)
			r.wait(g.lognormal(5*time.Minute, 0.5, time.Minute, time.Hour))
		}
		an.End = r.t
		verdict := "passed"
		if g.p(0.07) {
			verdict = "failed"
		}
		r.ex.Analyses = append(r.ex.Analyses, an)
		r.emit(model.Event{Kind: model.EventCanaryVerdict, Action: verdict, Environment: env, Version: r.version, Detail: "error rate " + verdict}, stage)
		if verdict == "failed" {
			r.wait(g.between(20*time.Second, 3*time.Minute))
			return fail("canary analysis failed: error rate too high", true)
		}
	} else if g.p(0.01) {
		r.wait(g.between(10*time.Second, 2*time.Minute))
		return cancel()
	}
	r.wait(g.lognormal(3*time.Minute, 0.7, 20*time.Second, 2*time.Hour))
	if strat != model.StrategyCanary && g.p(0.04) {
		return fail("health check failed after traffic moved", true)
	}
	at.End, at.Live = r.t, true
	g.stacks[env] = append(g.stacks[env], r.version)
	r.emit(model.Event{Kind: model.EventDeploySucceeded, Environment: env, Version: r.version}, stage)
	return true
}

func (g *gen) serving(env string) string {
	if s := g.stacks[env]; len(s) > 0 {
		return s[len(s)-1]
	}
	return ""
}

// after plays what happens to the versions an execution put live:
// incidents (within 24 hours or later; resolved, rolled back, fixed by the
// next deploy, or never), and one-click rollbacks. It returns the
// application's next free time.
func (g *gen) after(r *run, live map[string]*Attempt) time.Time {
	clock := r.t
	for _, env := range g.spec.prodEnvs {
		a := live[env]
		if a == nil || !a.Live {
			continue
		}
		switch x := g.rng.Float64(); {
		case x < 0.07:
			start := a.End.Add(g.between(2*time.Minute, 20*time.Hour))
			if g.p(0.05) { // at the very moment it went live: it is live then
				start = a.End
			}
			switch y := g.rng.Float64(); {
			case y < 0.35: // resolved by itself
				g.incident(env, start, g.lognormal(40*time.Minute, 1, 2*time.Minute, 20*time.Hour))
			case y < 0.6: // rolled back, resolved a little later (or never)
				at := maxTime(start.Add(g.between(3*time.Minute, 2*time.Hour)), clock.Add(time.Minute))
				inc := g.incident(env, start, 0)
				clock = g.rollback(env, at, "incident "+inc.ID)
				if g.p(0.8) {
					g.resolve(inc, clock.Add(g.between(time.Minute, time.Hour)))
				}
			case y < 0.9: // fixed by the next deploy
				inc := g.incident(env, start, 0)
				g.next = maxTime(start.Add(g.between(10*time.Minute, 6*time.Hour)), clock.Add(time.Minute))
				if g.p(0.25) && !g.cfg.Without["late"] {
					// Resolved before the fix went live, but recorded
					// (through the API, with its time) only after.
					at := start.Add(g.between(time.Minute, 9*time.Minute))
					g.resolveAt(inc, at, g.next.Add(g.between(2*time.Hour, 4*time.Hour)))
				} else if g.p(0.7) {
					g.resolve(inc, g.next.Add(g.between(40*time.Minute, 3*time.Hour)))
				}
			default: // never resolved
				g.incident(env, start, 0)
			}
		case x < 0.09: // an incident more than a day later
			start := a.End.Add(g.between(25*time.Hour, 60*time.Hour))
			g.incident(env, start, g.between(10*time.Minute, 3*time.Hour))
		case x < 0.13: // rolled back by hand, no incident
			at := maxTime(a.End.Add(g.between(5*time.Minute, 10*time.Hour)), clock.Add(time.Minute))
			clock = g.rollback(env, at, "looks wrong")
		}
	}
	return clock
}

// incident opens an incident at start in the current application's env,
// resolved after d (never when d is 0). Some are recorded hours late.
func (g *gen) incident(env string, start time.Time, d time.Duration) *Incident {
	g.incN++
	inc := &Incident{ID: fmt.Sprintf("inc-%05d", g.incN), Application: g.spec.name, Environment: env, Start: start, Recorded: start.Add(g.between(5*time.Second, 40*time.Second))}
	source := "alertmanager"
	if g.p(0.3) && !g.cfg.Without["late"] { // opened through the API, with the start in the past
		inc.Recorded, source = start.Add(g.between(40*time.Minute, 5*time.Hour)), "api"
	}
	g.h.Incidents = append(g.h.Incidents, inc)
	g.record(model.Event{Time: start, Kind: model.EventIncidentOpened, Application: inc.Application, Environment: env,
		Ref: inc.ID, Action: source, Detail: "HighErrorRate"}, inc.Recorded)
	if d > 0 {
		g.resolve(inc, start.Add(d))
	}
	return inc
}

func (g *gen) resolve(inc *Incident, at time.Time) {
	g.resolveAt(inc, at, at.Add(g.between(5*time.Second, 40*time.Second)))
}

// resolveAt resolves inc at at, recorded at recorded.
func (g *gen) resolveAt(inc *Incident, at, recorded time.Time) {
	if !at.After(inc.Start) {
		at = inc.Start.Add(time.Minute)
	}
	inc.Resolved = &at
	g.record(model.Event{Time: at, Kind: model.EventIncidentResolved, Application: inc.Application, Environment: inc.Environment,
		Ref: inc.ID, Detail: "HighErrorRate"}, maxTime(recorded, inc.Recorded.Add(time.Second)))
}

// rollback plays a one-click rollback (deploy.Service.Rollback) of env at
// at, when there is a version to go back to, and returns when it ended.
func (g *gen) rollback(env string, at time.Time, reason string) time.Time {
	s := g.stacks[env]
	if len(s) < 2 {
		return at
	}
	from, to := s[len(s)-1], s[len(s)-2]
	actor := g.person()
	r := g.start(g.spec.name, "rollback-"+env, env, "rollback", actor, "", at, nil)
	g.h.Actions = append(g.h.Actions, Action{At: at, Actor: actor, Application: g.spec.name, Environment: env, What: "rollback"})
	g.record(model.Event{Time: at, Kind: model.EventManualStep, Action: "rollback", Application: g.spec.name, Environment: env,
		ExecutionID: r.ex.ID, Actor: actor, Trigger: "rollback", Detail: reason}, at)
	r.wait(g.between(time.Second, 10*time.Second))
	r.emit(model.Event{Kind: model.EventDeployStarted, Environment: env, Version: to, Detail: "rollback"}, "rollback")
	r.wait(g.between(30*time.Second, 4*time.Minute))
	r.emit(model.Event{Kind: model.EventRolledBack, Environment: env, Version: to, FromVersion: from, Detail: "one-click rollback"}, "rollback")
	g.h.Rollbacks = append(g.h.Rollbacks, Rollback{Application: g.spec.name, Environment: env, At: r.t, From: from, To: to})
	g.stacks[env] = s[:len(s)-1]
	r.finish("succeeded")
	return r.t
}

// unfinished leaves an execution running at the end: a production deploy
// that has started and not ended (it counts nowhere yet).
func (g *gen) unfinished(at time.Time) {
	if at.Before(g.clock) {
		return
	}
	env := g.spec.prodEnvs[0]
	r := g.start(g.spec.name, "deploy-"+env, env, "deploy", g.person(), g.version(), at, nil)
	r.wait(g.between(time.Second, 10*time.Second))
	g.h.Attempts = append(g.h.Attempts, &Attempt{Exec: r.ex, Environment: env, Stage: "deploy", Version: r.version, Start: r.t})
	r.emit(model.Event{Kind: model.EventDeployStarted, Environment: env, Detail: "highlander"}, "deploy")
}

// outOfBand plays changes made around gennaker: in production and not,
// to applications' workloads and to workloads gennaker does not own.
func (g *gen) outOfBand(apps []appSpec) {
	envs := []string{Staging, ProdEU, ProdUS}
	n := g.cfg.Days * len(apps) / 20
	for range n {
		t := g.cfg.Start.Add(g.between(0, time.Duration(g.cfg.Days)*24*time.Hour))
		env := envs[g.rng.IntN(len(envs))]
		o := OutOfBand{Time: t, Environment: env, Production: env != Staging}
		if g.p(0.25) {
			o.Object, o.Detail = fmt.Sprintf("Deployment/debug-%d", g.rng.IntN(100)), "a workload gennaker does not own was created"
		} else {
			app := apps[g.rng.IntN(len(apps))].name
			o.Application = app
			o.Object, o.Detail = "Deployment/"+app+"-v001", "replicas changed from 2 to 5"
		}
		if g.p(0.7) {
			o.Actor = "kubectl-edit:" + g.person()
		}
		o.Recorded = t.Add(g.between(time.Second, 30*time.Second))
		g.h.OutOfBand = append(g.h.OutOfBand, o)
		g.record(model.Event{Time: t, Kind: model.EventOutOfBand, Application: o.Application, Environment: env, Ref: o.Object, Actor: o.Actor, Detail: o.Detail},
			o.Recorded)
	}
}
