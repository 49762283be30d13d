package kpi

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/gennaker/gennaker/internal/model"
)

// foldState is what folding one event reads and changes: the projector's
// batch (project.go) backs it with the store, tests with maps.
type foldState interface {
	// production reports whether env counts for the KPIs.
	production(env string) bool
	// lane returns the lane of app in env (an empty one when new).
	lane(app, env string) *lane
	// exec returns a running execution's record, nil when unknown;
	// startExec makes one and endExec drops it.
	exec(id string) *execRec
	startExec(id, app string) *execRec
	// endExec notes that an execution finished at t: its record is kept
	// for a while (a retry reopens it), then dropped.
	endExec(id string, t time.Time)
	// day returns the rollup of app in env on t's day.
	day(t time.Time, app, env string) *dayRec
	// incident returns the lane an incident was attributed in.
	incident(ref string) (app, env string, ok bool)
	setIncident(ref, app, env string, on bool)
	// active records an actor; live an application's first deploy.
	active(t time.Time, app, actor string)
	live(app, env string, t time.Time)
	// observe reports a fact for the metrics (after the batch commits).
	observe(o observation)
}

// observation is a fact the fold learned, for the Prometheus metrics.
type observation struct {
	App, Env   string
	Ended      string // succeeded or failed, when an attempt ended
	LeadUS     int64  // lead time, when it went live with a commit time (-1: none)
	Cause      string // a change failure's cause
	RecoveryUS int64  // when a failure was restored (-1: none)
	Rework     bool
	Steps      int
	WaitUS     int64
	OutOfBand  bool
}

// fold takes one event in.
func fold(s foldState, ev model.Event) {
	switch ev.Kind {
	case model.EventExecutionStarted:
		x := s.startExec(ev.ExecutionID, ev.Application)
		t := ev.Time
		x.Started = &t
		s.active(ev.Time, ev.Application, ev.Actor)
	case model.EventExecutionFinished:
		if x := s.exec(ev.ExecutionID); x != nil {
			t := ev.Time
			x.Finished = &t
			s.endExec(ev.ExecutionID, t)
		}
	case model.EventManualStep:
		s.active(ev.Time, ev.Application, ev.Actor)
		if x := s.exec(ev.ExecutionID); x != nil {
			x.Steps++
			endWait(x, ev.Stage, ev.Time)
		}
	case model.EventJudgmentWaiting:
		if x := s.exec(ev.ExecutionID); x != nil {
			x.Waits = setTime(x.Waits, ev.Stage, ev.Time)
		}
	case model.EventAnalysisStarted:
		if x := s.exec(ev.ExecutionID); x != nil {
			x.Analyses = setTime(x.Analyses, ev.Stage, ev.Time)
			delete(x.InAnalys, ev.Stage)
		}
	case model.EventCanaryVerdict:
		if x := s.exec(ev.ExecutionID); x != nil {
			if at, ok := x.Analyses[ev.Stage]; ok {
				x.AnalysUS += max(0, ev.Time.Sub(at).Microseconds()-x.InAnalys[ev.Stage])
				delete(x.Analyses, ev.Stage)
				delete(x.InAnalys, ev.Stage)
			}
		}
	case model.EventDeployStarted, model.EventDeploySucceeded, model.EventDeployFailed, model.EventRolledBack,
		model.EventIncidentOpened, model.EventOutOfBand:
		if !s.production(ev.Environment) {
			return
		}
		foldProduction(s, ev)
	case model.EventIncidentResolved:
		resolveIncident(s, ev)
	}
}

// foldProduction takes in an event of a production environment.
func foldProduction(s foldState, ev model.Event) {
	switch ev.Kind {
	case model.EventDeployStarted:
		if ev.Detail == "rollback" {
			return
		}
		startDeploy(s, ev)
	case model.EventDeploySucceeded:
		l := s.lane(ev.Application, ev.Environment)
		if d := l.latest(deployKey(ev)); d != nil && d.Ended == nil {
			goLive(s, l, d, ev)
		}
	case model.EventDeployFailed:
		l := s.lane(ev.Application, ev.Environment)
		if d := l.latest(deployKey(ev)); d != nil && d.Ended == nil {
			failDeploy(s, l, d, ev)
		}
	case model.EventRolledBack:
		rollBack(s, ev)
	case model.EventIncidentOpened:
		openIncident(s, ev)
	case model.EventOutOfBand:
		r := s.day(ev.Time, ev.Application, ev.Environment)
		r.OutOfBand++
		if len(r.Changes) < maxChangesPerDay {
			r.Changes = append(r.Changes, OutOfBandChange{Time: ev.Time, Application: ev.Application, Environment: ev.Environment,
				Object: ev.Ref, Actor: ev.Actor, Detail: ev.Detail})
		}
		s.observe(observation{App: ev.Application, Env: ev.Environment, OutOfBand: true, LeadUS: -1, RecoveryUS: -1})
	}
}

func deployKey(ev model.Event) string {
	return ev.ExecutionID + "/" + ev.Environment + "/" + ev.Stage
}

// change mutates a deploy, keeping its day's rollup in step.
func change(s foldState, d *deployRec, mutate func()) {
	if d.Ended != nil {
		s.day(*d.Ended, d.App, d.Env).add(d, -1)
	}
	mutate()
	if d.Ended != nil {
		s.day(*d.Ended, d.App, d.Env).add(d, 1)
	}
}

// startDeploy records an attempt; it is the fix of the failures detected
// within Window before it that have none yet.
func startDeploy(s foldState, ev model.Event) {
	l := s.lane(ev.Application, ev.Environment)
	base := deployKey(ev)
	key := base
	if prev := l.latest(base); prev != nil {
		if prev.Ended == nil {
			return // the same attempt, told twice
		}
		// A retried stage: another attempt.
		n := 2
		if i := strings.LastIndexByte(prev.Key, '#'); i > len(base)-1 {
			fmt.Sscan(prev.Key[i+1:], &n)
			n++
		}
		key = fmt.Sprintf("%s#%d", base, n)
	}
	d := &deployRec{Key: key, Base: base, Exec: ev.ExecutionID, App: ev.Application, Env: ev.Environment, Version: ev.Version,
		Started: ev.Time, CommitTime: ev.CommitTime}
	for _, f := range l.Deploys {
		if fl := f.Failure; fl != nil && !fl.FixClaimed && ev.Time.After(fl.Detected) && !ev.Time.After(fl.Detected.Add(Window)) {
			fl.FixClaimed, fl.Fix = true, d.Key
			d.Rework, d.ReworkFor = true, append(d.ReworkFor, f.Key)
		}
	}
	l.Deploys = append(l.Deploys, d)
}

// goLive ends an attempt that took all traffic: its lead time and steps
// are settled, and failures of its lane still open are restored by it.
func goLive(s foldState, l *lane, d *deployRec, ev model.Event) {
	x := s.exec(d.Exec)
	t := ev.Time
	change(s, d, func() {
		d.Live, d.Ended = &t, &t
		if x != nil {
			d.Steps, d.WaitUS = x.Steps, x.WaitUS
		}
		if d.CommitTime != nil {
			d.Parts = leadParts(*d.CommitTime, t, x)
		}
	})
	s.live(d.App, d.Env, t)
	lead := int64(-1)
	if d.CommitTime != nil {
		lead = t.Sub(*d.CommitTime).Microseconds()
	}
	s.observe(observation{App: d.App, Env: d.Env, Ended: "succeeded", LeadUS: lead, RecoveryUS: -1, Rework: d.Rework, Steps: d.Steps, WaitUS: d.WaitUS})
	for _, o := range l.Deploys {
		if f := o.Failure; o != d && f != nil && f.Restored == nil && !t.Before(f.Failed) {
			restoreBy(s, o, t)
		}
	}
}

// leadParts splits a lead time: waiting to start, running, waiting for
// people, canary analysis (µs; none below zero).
func leadParts(commit, live time.Time, x *execRec) [4]int64 {
	total := max(0, live.Sub(commit).Microseconds())
	var p [4]int64
	if x != nil {
		if x.Started != nil {
			p[0] = min(total, max(0, x.Started.Sub(commit).Microseconds()))
		}
		p[2], p[3] = max(0, x.WaitUS), max(0, x.AnalysUS)
	}
	p[1] = max(0, total-p[0]-p[2]-p[3])
	return p
}

// failDeploy ends an attempt that failed: a change failure, restored by
// its own abort.
func failDeploy(s foldState, l *lane, d *deployRec, ev model.Event) {
	x := s.exec(d.Exec)
	t := ev.Time
	change(s, d, func() {
		d.Ended = &t
		if x != nil {
			d.Steps, d.WaitUS = x.Steps, x.WaitUS
		}
		if d.Failure == nil {
			d.Failure = &failure{Cause: CauseFailed, Failed: d.Started, Detected: t, Restored: &t}
		}
	})
	s.observe(observation{App: d.App, Env: d.Env, Ended: "failed", LeadUS: -1, RecoveryUS: -1, Rework: d.Rework, Steps: d.Steps, WaitUS: d.WaitUS})
	if d.Failure.Cause == CauseFailed && d.Failure.Detected.Equal(t) {
		s.observe(observation{App: d.App, Env: d.Env, Cause: CauseFailed, LeadUS: -1, RecoveryUS: t.Sub(d.Started).Microseconds()})
		claimFix(s, l, d)
	}
}

// claimFix makes the first attempt after d's failure was detected, within
// Window, its fix (a rework deploy).
func claimFix(s foldState, l *lane, d *deployRec) {
	f := d.Failure
	if f.FixClaimed {
		return
	}
	fix := l.firstStartedAfter(f.Detected, f.Detected.Add(Window), d)
	if fix == nil {
		return
	}
	f.FixClaimed, f.Fix = true, fix.Key
	change(s, fix, func() { fix.Rework, fix.ReworkFor = true, append(fix.ReworkFor, d.Key) })
}

// unclaimFix takes back the fix d's failure claimed (its failure is being
// replaced by one that happened first).
func unclaimFix(s foldState, l *lane, d *deployRec) {
	f := d.Failure
	if !f.FixClaimed {
		return
	}
	f.FixClaimed = false
	fix := l.find(f.Fix)
	f.Fix = ""
	if fix == nil {
		return
	}
	change(s, fix, func() {
		fix.ReworkFor = slices.DeleteFunc(fix.ReworkFor, func(k string) bool { return k == d.Key })
		fix.Rework = len(fix.ReworkFor) > 0
	})
}

// rollBack takes in a rollback: the end of a failed attempt's abort, or a
// rollback away from a live version (a change failure when it is not one
// already).
func rollBack(s foldState, ev model.Event) {
	l := s.lane(ev.Application, ev.Environment)
	t := ev.Time
	if d := l.latest(deployKey(ev)); d != nil {
		if f := d.Failure; f != nil && f.Cause == CauseFailed && f.Restored != nil && t.After(*f.Restored) {
			change(s, d, func() { f.Restored = &t })
		}
		return
	}
	if ev.FromVersion == "" {
		return
	}
	d := l.liveVersion(ev.FromVersion, t)
	if d == nil {
		return
	}
	change(s, d, func() {
		d.RolledAway = &t
		switch {
		case d.Failure == nil:
			d.Failure = &failure{Cause: CauseRolledBack, Failed: *d.Live, Detected: t, Restored: &t}
		case d.Failure.Restored == nil || t.Before(*d.Failure.Restored):
			if !t.Before(d.Failure.Failed) {
				d.Failure.Restored = &t
			}
		}
	})
	if f := d.Failure; f.Cause == CauseRolledBack && f.Detected.Equal(t) {
		s.observe(observation{App: d.App, Env: d.Env, Cause: CauseRolledBack, LeadUS: -1, RecoveryUS: t.Sub(f.Failed).Microseconds()})
		claimFix(s, l, d)
	} else if f.Restored.Equal(t) {
		s.observe(observation{App: d.App, Env: d.Env, LeadUS: -1, RecoveryUS: t.Sub(f.Failed).Microseconds()})
	}
}

// openIncident attributes an incident to the deploy live at its start,
// when that went live within Window before it.
func openIncident(s foldState, ev model.Event) {
	l := s.lane(ev.Application, ev.Environment)
	t := ev.Time
	d := l.liveAt(t)
	if d == nil || t.Sub(*d.Live) > Window {
		return
	}
	s.setIncident(ev.Ref, d.App, d.Env, true)
	// The first cause to happen counts: an incident recorded late that
	// began before the rollback or incident already counted replaces it.
	first := d.Failure == nil || (d.Failure.Cause != CauseFailed && t.Before(d.Failure.Detected))
	if first && d.Failure != nil {
		unclaimFix(s, l, d)
	}
	change(s, d, func() {
		d.Incidents = append(d.Incidents, ev.Ref)
		if first {
			d.Failure = &failure{Cause: CauseIncident, Failed: t, Detected: t, Incident: ev.Ref}
			// What restores it may be known already: a rollback away from
			// it, or a later deploy going live, after the start.
			if d.RolledAway != nil && !d.RolledAway.Before(t) {
				d.Failure.Restored = pointer(*d.RolledAway)
			}
			for _, o := range l.Deploys {
				if o != d && o.Live != nil && !o.Live.Before(t) && (d.Failure.Restored == nil || o.Live.Before(*d.Failure.Restored)) {
					d.Failure.Restored = pointer(*o.Live)
				}
			}
		}
	})
	if first {
		rec := int64(-1)
		if r := d.Failure.Restored; r != nil {
			rec = r.Sub(t).Microseconds()
		}
		s.observe(observation{App: d.App, Env: d.Env, Cause: CauseIncident, LeadUS: -1, RecoveryUS: rec})
		claimFix(s, l, d)
	}
}

// resolveIncident restores the failure an incident caused, at its
// resolution unless something restored it earlier.
func resolveIncident(s foldState, ev model.Event) {
	app, env, ok := s.incident(ev.Ref)
	if !ok {
		return
	}
	s.setIncident(ev.Ref, app, env, false)
	l := s.lane(app, env)
	for _, d := range l.Deploys {
		if f := d.Failure; f != nil && f.Incident == ev.Ref && (f.Restored == nil || ev.Time.Before(*f.Restored)) {
			restoreBy(s, d, ev.Time)
		}
	}
}

// restoreBy ends a failure at t (never before it began), or earlier than
// it ended so far.
func restoreBy(s foldState, d *deployRec, t time.Time) {
	f := d.Failure
	if t.Before(f.Failed) {
		t = f.Failed
	}
	if f.Restored != nil && !t.Before(*f.Restored) {
		return
	}
	change(s, d, func() { f.Restored = &t })
	s.observe(observation{App: d.App, Env: d.Env, LeadUS: -1, RecoveryUS: t.Sub(f.Failed).Microseconds()})
}

func endWait(x *execRec, stage string, t time.Time) {
	at, ok := x.Waits[stage]
	if !ok {
		return
	}
	w := max(0, t.Sub(at).Microseconds())
	x.WaitUS += w
	if _, in := x.Analyses[stage]; in {
		if x.InAnalys == nil {
			x.InAnalys = map[string]int64{}
		}
		x.InAnalys[stage] += w
	}
	delete(x.Waits, stage)
}

func setTime(m map[string]time.Time, k string, t time.Time) map[string]time.Time {
	if m == nil {
		m = map[string]time.Time{}
	}
	m[k] = t
	return m
}

func pointer[T any](v T) *T { return &v }

// person reports whether an actor is a person (not a trigger or the system).
func person(actor string) bool {
	return actor != "" && !strings.HasPrefix(actor, "trigger:") && !strings.HasPrefix(actor, "system:") && actor != "system"
}
