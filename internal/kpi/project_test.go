package kpi_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"path/filepath"
	"testing"
	"time"

	"github.com/gennaker/gennaker/internal/kpi"
	"github.com/gennaker/gennaker/internal/model"
	"github.com/gennaker/gennaker/internal/store"
	"github.com/gennaker/gennaker/internal/store/sqlite"
)

// history plays a small story in prod: a deploy with a commit that waits
// for an approval and a canary analysis, a failed canary, its fix, a later
// rollback, an incident, and checks every number of the report by hand.
func TestFoldSmallHistory(t *testing.T) {
	ctx := t.Context()
	st, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "gennaker.db"), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	cfg := model.Config{
		Applications: []model.Application{{Name: "checkout", Team: "payments", Run: model.RunSpec{Command: "x"}, Instances: 1}},
		Environments: []model.Environment{{Name: "prod", Production: true, Target: model.TargetSpec{Kind: model.TargetLocal}},
			{Name: "staging", Target: model.TargetSpec{Kind: model.TargetLocal}}},
	}
	if _, err := st.ConfigApply(ctx, cfg); err != nil {
		t.Fatal(err)
	}
	t0 := time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC) // a Monday
	at := func(m int) time.Time { return t0.Add(time.Duration(m) * time.Minute) }
	commit := at(-30)
	ev := func(m int, kind model.EventKind, exec, env, stage string, mod ...func(*model.Event)) {
		e := model.Event{Time: at(m), Kind: kind, Application: "checkout", Environment: env, ExecutionID: exec, Stage: stage, Version: "v1"}
		for _, f := range mod {
			f(&e)
		}
		if err := st.EventInsert(ctx, &e); err != nil {
			t.Fatal(err)
		}
	}
	withCommit := func(e *model.Event) { e.CommitTime = &commit }
	version := func(v string) func(*model.Event) { return func(e *model.Event) { e.Version = v } }
	// e1: v1, approval 10 min, analysis 20 min with a 5 min wait inside, live at +60.
	ev(0, model.EventExecutionStarted, "e1", "", "", withCommit, func(e *model.Event) { e.Actor = "ann" })
	ev(0, model.EventManualStep, "e1", "", "", func(e *model.Event) { e.Action, e.Actor = "run", "ann" })
	ev(5, model.EventJudgmentWaiting, "e1", "prod", "approve")
	ev(15, model.EventManualStep, "e1", "prod", "approve", func(e *model.Event) { e.Action, e.Actor = "approve", "bob" })
	ev(20, model.EventDeployStarted, "e1", "prod", "deploy", withCommit)
	ev(25, model.EventAnalysisStarted, "e1", "prod", "deploy")
	ev(30, model.EventJudgmentWaiting, "e1", "prod", "deploy")
	ev(35, model.EventManualStep, "e1", "prod", "deploy", func(e *model.Event) { e.Action, e.Actor = "approve", "bob" })
	ev(45, model.EventCanaryVerdict, "e1", "prod", "deploy")
	ev(60, model.EventDeploySucceeded, "e1", "prod", "deploy", withCommit)
	ev(61, model.EventExecutionFinished, "e1", "", "")
	// e2: v2 fails at +130 (started +100) and its abort rolls back at +131.
	ev(90, model.EventExecutionStarted, "e2", "", "", func(e *model.Event) { e.Actor = "trigger:checkout/ship/push" })
	ev(100, model.EventDeployStarted, "e2", "prod", "deploy", version("v2"))
	ev(130, model.EventDeployFailed, "e2", "prod", "deploy", version("v2"))
	ev(131, model.EventRolledBack, "e2", "prod", "deploy", version("v1"), func(e *model.Event) { e.FromVersion = "v2" })
	ev(132, model.EventExecutionFinished, "e2", "", "")
	// e3: v3 starts +200 (the fix of e2: rework), live +210; an incident at
	// +300 is attributed to it and resolved at +340.
	ev(199, model.EventExecutionStarted, "e3", "", "")
	ev(200, model.EventDeployStarted, "e3", "prod", "deploy", version("v3"))
	ev(210, model.EventDeploySucceeded, "e3", "prod", "deploy", version("v3"))
	ev(211, model.EventExecutionFinished, "e3", "", "")
	ev(300, model.EventIncidentOpened, "", "prod", "", func(e *model.Event) { e.Ref = "inc-1"; e.Version = "" })
	ev(340, model.EventIncidentResolved, "", "prod", "", func(e *model.Event) { e.Ref = "inc-1"; e.Version = "" })
	// Staging and an out-of-band change in prod.
	ev(400, model.EventDeployStarted, "e4", "staging", "deploy")
	ev(401, model.EventDeploySucceeded, "e4", "staging", "deploy")
	ev(402, model.EventOutOfBand, "", "prod", "", func(e *model.Event) { e.Ref = "Deployment/shop/x"; e.Actor = "kubectl-edit" })

	// A batch of one: every record goes through the store between events.
	p := kpi.NewProjector(kpi.ProjectorConfig{Store: st, Batch: 1})
	if err := p.CatchUp(ctx); err != nil {
		t.Fatal(err)
	}
	q := kpi.Query{From: time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC), To: time.Date(2026, 3, 8, 0, 0, 0, 0, time.UTC), By: kpi.BucketDay}
	rep, err := kpi.NewReporter(st).Report(ctx, q)
	if err != nil {
		t.Fatal(err)
	}
	s := rep.Summary
	check := func(name string, got, want any) {
		t.Helper()
		if got != want {
			t.Errorf("%s = %v, want %v", name, got, want)
		}
	}
	check("attempts", s.Attempts, 3)
	check("deploys", s.Deploys, 2)
	check("change failures", s.ChangeFailures, 2)
	check("failed", s.FailedDeploys, 1)
	check("incident", s.IncidentCaused, 1)
	check("rework", s.Rework, 1)
	check("steps", s.ManualSteps, 3)
	check("human wait", s.HumanWait, 15*60.0)
	check("out of band", s.OutOfBand, 1)
	check("no commit", s.NoCommitTime, 1)
	check("lead count", s.LeadTime.Count, 1)
	check("lead", *s.LeadTime.Median, 90*60.0)
	// Parts: waiting to start 30 min, people 15, analysis 20-5 = 15, running 30.
	check("parts", s.LeadTimeParts, kpi.Parts{WaitingToStart: 1800, Running: 1800, WaitingForPeople: 900, CanaryAnalysis: 900})
	// Recoveries: e2 100→131 = 31 min; e3's incident 300→340 = 40 min.
	check("recovery count", s.Recovery.Count, 2)
	check("recovery median", *s.Recovery.Median, 35.5*60)
	check("cfr", *s.ChangeFailureRate, 2.0/3)
	check("through", *s.ThroughGennaker, 2.0/3)
	check("apps", s.Applications, 1)
	check("active users", rep.Adoption.ActiveUsers, 2)
	check("onboarded", rep.Adoption.OnboardedApps, 1)
	check("points", len(rep.Points), 7)
	check("monday deploys", rep.Points[1].Summary.Deploys, 2)
	check("band cfr", rep.Bands.ChangeFailureRate, kpi.BandLow)
	check("band lead", rep.Bands.LeadTime, kpi.BandElite)
	check("band recovery", rep.Bands.RecoveryTime, kpi.BandElite)
	check("band frequency", rep.Bands.DeploymentFrequency, kpi.BandHigh)
	check("teams", len(rep.Teams), 1)
	check("oob listed", len(rep.Adoption.OutOfBandChanges), 1)

	// Folding again changes nothing: every event counts once.
	if err := p.CatchUp(ctx); err != nil {
		t.Fatal(err)
	}
	again, err := kpi.NewReporter(st).Report(ctx, q)
	if err != nil {
		t.Fatal(err)
	}
	check("attempts after a second fold", again.Summary.Attempts, 3)
}

// One reporter across folds: it reads again what changed since it looked,
// and a period reaching further back than any before is read whole.
func TestReporterSeesNewFolds(t *testing.T) {
	ctx := t.Context()
	st := checkoutInProd(t)
	deploy := func(exec string, at time.Time) { insertDeploy(t, st, exec, at, "") }
	p := kpi.NewProjector(kpi.ProjectorConfig{Store: st})
	r := kpi.NewReporter(st)
	day := time.Date(2026, 5, 10, 0, 0, 0, 0, time.UTC)
	week := kpi.Query{From: day, To: day.AddDate(0, 0, 7), By: kpi.BucketDay}
	count := func(q kpi.Query) int {
		t.Helper()
		if err := p.CatchUp(ctx); err != nil {
			t.Fatal(err)
		}
		rep, err := r.Report(ctx, q)
		if err != nil {
			t.Fatal(err)
		}
		return rep.Summary.Deploys
	}
	deploy("e1", day.Add(time.Hour))
	if n := count(week); n != 1 {
		t.Fatalf("deploys = %d, want 1", n)
	}
	deploy("e2", day.Add(26*time.Hour))
	deploy("e0", day.AddDate(0, 0, -20))
	if n := count(week); n != 2 {
		t.Fatalf("after a second deploy, deploys = %d, want 2", n)
	}
	earlier := kpi.Query{From: day.AddDate(0, 0, -30), To: day.AddDate(0, 0, 7), By: kpi.BucketWeek}
	if n := count(earlier); n != 3 {
		t.Fatalf("over 37 days, deploys = %d, want 3", n)
	}
}

// A report reaching further back than the reporter holds reads the older
// days whole; rollups of the days it held that changed before (with
// smaller stamps than the older days' newest) must not be skipped.
func TestReporterReachingBackMissesNothing(t *testing.T) {
	ctx := t.Context()
	st := checkoutInProd(t)
	p := kpi.NewProjector(kpi.ProjectorConfig{Store: st})
	r := kpi.NewReporter(st)
	day := time.Date(2026, 5, 10, 0, 0, 0, 0, time.UTC)
	deploy := func(exec string, at time.Time, actor string) {
		t.Helper()
		insertDeploy(t, st, exec, at, actor)
		if err := p.CatchUp(ctx); err != nil {
			t.Fatal(err)
		}
	}
	report := func(q kpi.Query) *kpi.Report {
		t.Helper()
		rep, err := r.Report(ctx, q)
		if err != nil {
			t.Fatal(err)
		}
		return rep
	}
	week := kpi.Query{From: day, To: day.AddDate(0, 0, 7), By: kpi.BucketDay}
	deploy("e1", day.Add(time.Hour), "ann")
	if n := report(week).Summary.Deploys; n != 1 {
		t.Fatalf("deploys = %d, want 1", n)
	}
	deploy("e2", day.Add(26*time.Hour), "bob") // a day held: its rollup changes first
	deploy("e0", day.AddDate(0, 0, -40), "cy") // a day not held, changed after
	earlier := kpi.Query{From: day.AddDate(0, 0, -60), To: day.AddDate(0, 0, 7), By: kpi.BucketWeek}
	rep := report(earlier)
	if rep.Summary.Deploys != 3 || rep.Adoption.ActiveUsers != 3 {
		t.Fatalf("over 67 days: %d deploys by %d people, want 3 by 3", rep.Summary.Deploys, rep.Adoption.ActiveUsers)
	}
	if rep := report(week); rep.Summary.Deploys != 2 || rep.Adoption.ActiveUsers != 2 {
		t.Fatalf("the week again: %d deploys by %d people, want 2 by 2", rep.Summary.Deploys, rep.Adoption.ActiveUsers)
	}
}

// countingStore counts the whole-period rollup reads a report makes.
type countingStore struct {
	store.Queries
	lists int
}

func (c *countingStore) KPIDayList(ctx context.Context, p store.KPIDayListParams) ([]store.KPIDay, error) {
	c.lists++
	return c.Queries.KPIDayList(ctx, p)
}

// A warmed reporter answers the default report (90 days and the 90 before)
// from memory: the first report after a start reads only what changed.
func TestReporterWarm(t *testing.T) {
	ctx := t.Context()
	st := checkoutInProd(t)
	cs := &countingStore{Queries: st}
	r := kpi.NewReporter(cs)
	if err := r.Warm(ctx); err != nil {
		t.Fatal(err)
	}
	if cs.lists != 1 {
		t.Fatalf("warming read the rollups %d times, want once", cs.lists)
	}
	q, err := kpi.ParseQuery(url.Values{}, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := r.Report(ctx, q); err != nil {
		t.Fatal(err)
	}
	if cs.lists != 1 {
		t.Fatalf("the default report read whole periods again (%d reads): warming did not cover it", cs.lists)
	}
}

// insertDeploy appends the events of execution exec, started by actor
// at at, deploying checkout to prod: started, deploying, deployed a
// minute apart each.
func insertDeploy(t *testing.T, st store.Store, exec string, at time.Time, actor string) {
	t.Helper()
	for i, k := range []model.EventKind{model.EventExecutionStarted, model.EventDeployStarted, model.EventDeploySucceeded} {
		ev := model.Event{Time: at.Add(time.Duration(i) * time.Minute), Kind: k, Application: "checkout", Environment: "prod",
			ExecutionID: exec, Stage: "deploy", Actor: actor}
		if err := st.EventInsert(t.Context(), &ev); err != nil {
			t.Fatal(err)
		}
	}
}

// checkoutInProd is a real SQLite store holding checkout and a production
// environment, closed when the test ends.
func checkoutInProd(t *testing.T) *sqlite.Store {
	t.Helper()
	st, err := sqlite.Open(t.Context(), filepath.Join(t.TempDir(), "gennaker.db"), nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	if _, err := st.ConfigApply(t.Context(), model.Config{
		Applications: []model.Application{{Name: "checkout", Run: model.RunSpec{Command: "x"}, Instances: 1}},
		Environments: []model.Environment{{Name: "prod", Production: true, Target: model.TargetSpec{Kind: model.TargetLocal}}},
	}); err != nil {
		t.Fatal(err)
	}
	return st
}

// Reports run while the fold goes on (as on a server: the page, the CLI
// and the projector at once) read months that later folds replace; each
// report must see one consistent state, and the last equal a fresh
// reporter's. Run with -race.
func TestReporterConcurrentReports(t *testing.T) {
	ctx := t.Context()
	st := checkoutInProd(t)
	p := kpi.NewProjector(kpi.ProjectorConfig{Store: st})
	r := kpi.NewReporter(st)
	start := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	year := kpi.Query{From: start.AddDate(0, -1, 0), To: start.AddDate(0, 4, 0), By: kpi.BucketMonth}
	done := make(chan struct{})
	errs := make(chan error, 4)
	for range 3 {
		go func() {
			for {
				select {
				case <-done:
					errs <- nil
					return
				default:
				}
				rep, err := r.Report(ctx, year)
				if err != nil {
					errs <- err
					return
				}
				sum := 0
				for _, pt := range rep.Points {
					sum += pt.Summary.Deploys
				}
				if sum != rep.Summary.Deploys {
					errs <- fmt.Errorf("points add up to %d deploys, the summary says %d", sum, rep.Summary.Deploys)
					return
				}
			}
		}()
	}
	for i := range 90 {
		insertDeploy(t, st, fmt.Sprintf("e%d", i), start.Add(time.Duration(i)*25*time.Hour), "")
		if err := p.CatchUp(ctx); err != nil {
			t.Fatal(err)
		}
	}
	close(done)
	for range 3 {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
	got, err := r.Report(ctx, year)
	if err != nil {
		t.Fatal(err)
	}
	want, err := kpi.NewReporter(st).Report(ctx, year)
	if err != nil {
		t.Fatal(err)
	}
	g, _ := json.Marshal([]any{got.Summary, got.Points, got.Apps, got.Adoption})
	w, _ := json.Marshal([]any{want.Summary, want.Points, want.Apps, want.Adoption})
	if got.Summary.Deploys != 90 || string(g) != string(w) {
		t.Fatalf("after the folds, the held reporter says\n%s\nand a fresh one\n%s", g, w)
	}
}
