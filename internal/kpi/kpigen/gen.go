package kpigen

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"time"

	"github.com/gennaker/gennaker/internal/model"
)

// Environments of a generated history.
const (
	Staging = "staging"
	ProdEU  = "prod-eu"
	ProdUS  = "prod-us"
)

// Config says what to generate.
type Config struct {
	Seed uint64
	// Start is the first day (UTC midnight); Days how many days it plays.
	Start time.Time
	Days  int
	Teams []string
	Apps  int
	// MeanGap is the mean time between two executions of an application.
	MeanGap time.Duration
	// Without leaves cases out (to tell mismatches apart): "retry" (a
	// failed production stage run again), "cancel" (executions canceled
	// while a production deploy runs), "late" (incidents recorded after
	// their start).
	Without map[string]bool
}

// DefaultConfig is a year (2025) of 4 teams and 20 applications.
func DefaultConfig(seed uint64) Config {
	return Config{
		Seed: seed, Start: time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC), Days: 365,
		Teams: []string{"payments", "search", "platform", "growth"}, Apps: 20,
		MeanGap: 40 * time.Hour,
	}
}

// End is the end of the history (exclusive).
func (c Config) End() time.Time { return c.Start.AddDate(0, 0, c.Days) }

var people = []string{"alice@example.com", "bob@example.com", "carol@example.com", "dave@example.com",
	"erin@example.com", "frank@example.com", "grace@example.com", "heidi@example.com", "ivan@example.com"}

// appSpec is how one generated application delivers.
type appSpec struct {
	name, team string
	prodEnvs   []string // the ship pipeline's production environments, in order
	approval   bool     // a judgment before production
	canary     bool     // the first production environment deploys by canary with analysis
	prodFrom   time.Time
	noProd     bool // never deploys to production
}

type stamped struct {
	ev       model.Event
	recorded time.Time
	seq      int
}

type gen struct {
	cfg    Config
	rng    *rand.Rand
	h      *History
	evs    []stamped
	seq    int
	execN  int
	incN   int
	spec   appSpec
	verN   int
	stacks map[string][]string // environment -> versions live, oldest first (the current app)
	clock  time.Time           // the current application's next free time
	next   time.Time           // when set, the next execution starts then (a fix)
}

// Generate plays the history of cfg.
func Generate(cfg Config) *History {
	g := &gen{cfg: cfg, rng: rand.New(rand.NewPCG(cfg.Seed, cfg.Seed^0x9e3779b97f4a7c15)), h: &History{Config: cfg}}
	apps := g.apps()
	g.config(apps)
	for _, a := range apps {
		g.playApp(a)
	}
	g.outOfBand(apps)
	slices.SortStableFunc(g.evs, func(a, b stamped) int {
		if c := a.recorded.Compare(b.recorded); c != 0 {
			return c
		}
		return a.seq - b.seq
	})
	for _, s := range g.evs {
		g.h.Events = append(g.h.Events, s.ev)
		g.h.Recorded = append(g.h.Recorded, s.recorded)
	}
	slices.SortStableFunc(g.h.Attempts, func(a, b *Attempt) int { return a.Start.Compare(b.Start) })
	return g.h
}

func (g *gen) apps() []appSpec {
	var out []appSpec
	for i := range g.cfg.Apps {
		a := appSpec{
			name: fmt.Sprintf("app%02d", i), team: g.cfg.Teams[i%len(g.cfg.Teams)],
			prodEnvs: []string{ProdEU, ProdUS}, approval: i%3 == 0, canary: i%2 == 0,
			prodFrom: g.cfg.Start,
		}
		if i%4 == 3 {
			a.prodEnvs = []string{ProdEU}
		}
		switch {
		case i == g.cfg.Apps-1 && g.cfg.Apps > 2:
			a.noProd = true // configured, never onboarded
		case i == g.cfg.Apps-2 && g.cfg.Apps > 2:
			a.prodFrom = g.cfg.Start.AddDate(0, 0, g.cfg.Days*2/3) // onboarded late
		}
		out = append(out, a)
	}
	return out
}

// movedApp is the application whose team changes after the history.
func movedApp(cfg Config) (name, team string) {
	return "app01", cfg.Teams[(2)%len(cfg.Teams)]
}

func (g *gen) config(apps []appSpec) {
	envs := []model.Environment{
		{Name: Staging, Target: model.TargetSpec{Kind: model.TargetLocal}},
		{Name: ProdEU, Target: model.TargetSpec{Kind: model.TargetLocal}, Production: true},
		{Name: ProdUS, Target: model.TargetSpec{Kind: model.TargetLocal}, Production: true},
	}
	var teams []model.Team
	for _, t := range g.cfg.Teams {
		teams = append(teams, model.Team{Name: t})
	}
	build := func(move bool) model.Config {
		c := model.Config{Environments: envs, Teams: teams}
		for _, a := range apps {
			team := a.team
			if name, to := movedApp(g.cfg); move && a.name == name {
				team = to
			}
			c.Applications = append(c.Applications, model.Application{Name: a.name, Team: team, Instances: 2,
				Run: model.RunSpec{Command: "./server"}, HealthCheck: model.HealthCheck{Path: "/healthz"}})
			c.Pipelines = append(c.Pipelines, shipPipeline(a), model.Pipeline{Name: a.name + "-staging", Application: a.name,
				Stages: []model.StageSpec{{Name: "deploy-staging", Deploy: &model.DeployStage{Environment: Staging, Strategy: model.Strategy{Type: model.StrategyRolling}}}}})
		}
		return c
	}
	g.h.Initial, g.h.Final = build(false), build(true)
}

func shipPipeline(a appSpec) model.Pipeline {
	p := model.Pipeline{Name: a.name + "-ship", Application: a.name}
	p.Stages = append(p.Stages, model.StageSpec{Name: "deploy-staging", Deploy: &model.DeployStage{Environment: Staging, Strategy: model.Strategy{Type: model.StrategyRolling}}})
	if a.approval {
		p.Stages = append(p.Stages, model.StageSpec{Name: "approve", Judgment: &model.JudgmentStage{Instructions: "ship to production?"}})
	}
	for i, env := range a.prodEnvs {
		st := model.Strategy{Type: model.StrategyRolling}
		if i == 0 && a.canary {
			st.Type = model.StrategyCanary
		}
		p.Stages = append(p.Stages, model.StageSpec{Name: "deploy-" + env, Deploy: &model.DeployStage{Environment: env, Strategy: st}})
	}
	return p
}

// ---- randomness helpers ----

func (g *gen) p(prob float64) bool { return g.rng.Float64() < prob }

// between is a uniform duration in [lo, hi), whole milliseconds.
func (g *gen) between(lo, hi time.Duration) time.Duration {
	ms := lo.Milliseconds() + g.rng.Int64N(max(1, (hi-lo).Milliseconds()))
	return time.Duration(ms) * time.Millisecond
}

// lognormal is a duration around median, spread by sigma, within [lo, hi].
func (g *gen) lognormal(median time.Duration, sigma float64, lo, hi time.Duration) time.Duration {
	d := time.Duration(float64(median) * math.Exp(sigma*g.rng.NormFloat64()))
	d = min(max(d, lo), hi)
	return d.Truncate(time.Millisecond)
}

func (g *gen) person() string { return people[g.rng.IntN(len(people))] }

// ---- events ----

func (g *gen) record(ev model.Event, recorded time.Time) {
	g.seq++
	g.evs = append(g.evs, stamped{ev: ev, recorded: recorded, seq: g.seq})
}

// run is one execution being played: its clock and the fields the engine
// fills into its events (engine.fillEvent).
type run struct {
	g       *gen
	ex      *Execution
	env     string // the pipeline's sole environment ("" for several)
	version string
	sha     string
	t       time.Time
}

func (r *run) emit(ev model.Event, stage string) {
	ev.Time = r.t
	if ev.Application == "" {
		ev.Application = r.ex.Application
	}
	if ev.ExecutionID == "" {
		ev.ExecutionID = r.ex.ID
	}
	if ev.Stage == "" {
		ev.Stage = stage
	}
	if ev.Version == "" && ev.Kind != model.EventRolledBack {
		ev.Version = r.version
	}
	if ev.Environment == "" {
		ev.Environment = r.env
	}
	if ev.Trigger == "" {
		ev.Trigger = r.ex.TriggerKind
	}
	if ev.Actor == "" {
		ev.Actor = r.ex.Actor
	}
	if ev.CommitSHA == "" {
		ev.CommitSHA = r.sha
		ev.CommitTime = r.ex.CommitTime
	}
	r.g.record(ev, r.t)
}

func (r *run) wait(d time.Duration) { r.t = r.t.Add(d) }

func (r *run) step(action, actor, detail, stage string) {
	r.ex.Steps = append(r.ex.Steps, Step{At: r.t, Action: action})
	r.g.h.Actions = append(r.g.h.Actions, Action{At: r.t, Actor: actor, Application: r.ex.Application, Environment: r.env, What: action})
	r.emit(model.Event{Kind: model.EventManualStep, Action: action, Actor: actor, Detail: detail}, stage)
}

func (r *run) finish(status string) {
	r.emit(model.Event{Kind: model.EventExecutionFinished, Detail: status}, "")
}

// start begins an execution of pipeline (whose sole environment is env)
// with a trigger of kind by actor, and a commit time or none.
func (g *gen) start(app, pipeline, env, kind, actor, version string, at time.Time, commit *time.Time) *run {
	g.execN++
	ex := &Execution{ID: fmt.Sprintf("ex-%06d", g.execN), Application: app, Pipeline: pipeline, TriggerKind: kind, Actor: actor, Start: at, CommitTime: commit}
	g.h.Executions = append(g.h.Executions, ex)
	r := &run{g: g, ex: ex, env: env, version: version, t: at}
	if commit != nil {
		r.sha = fmt.Sprintf("%040x", g.rng.Uint64())
	}
	g.h.Actions = append(g.h.Actions, Action{At: at, Actor: actor, Application: app, Environment: env, What: "start"})
	r.emit(model.Event{Kind: model.EventExecutionStarted, Detail: "pipeline " + pipeline}, "")
	if kind == "manual" || kind == "deploy" { // as the engine: run or deploy by hand
		ex.Steps = append(ex.Steps, Step{At: at, Action: "run"})
		r.emit(model.Event{Kind: model.EventManualStep, Action: "run", Detail: "ran pipeline " + pipeline}, "")
	}
	return r
}
