package deploy

import (
	"context"
	"fmt"
	"log/slog"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gennaker/gennaker/internal/model"
	"github.com/gennaker/gennaker/internal/store"
	"github.com/gennaker/gennaker/internal/store/sqlite"
)

// The crash canary's plan, by index (the deploy stage's output.step is the
// index of the step being executed):
//
//	0 create baseline    1 create canary       2 wait-healthy baseline
//	3 wait-healthy canary 4 setWeight 20        5 analysis (2 x 1s)
//	6 pause for approval 7 setWeight 50        8 promote (100% canary)
//	9 mark good          10 destroy baseline   11 destroy v1
const (
	stepWaitHealthyBaseline = 2
	stepWaitHealthyCanary   = 3
	stepAnalysis            = 5
	stepPromote             = 8
	crashPlanSteps          = 12
	// maxResume bounds how long after a restart an execution with due work
	// takes to move on.
	maxResume = 3 * time.Second
	// slowStartup is how long the crash test's instances take to start.
	slowStartup = 3 * time.Second
)

// killPoint is a moment of the canary at which the server gets SIGKILL.
type killPoint struct {
	name string
	at   func(r *rig, e *model.Execution) bool
}

var killPoints = []killPoint{
	{"canary group created", func(r *rig, e *model.Execution) bool {
		if output(e).Step >= stepWaitHealthyBaseline {
			return true // the create-canary step is done
		}
		for _, g := range r.groups() {
			if g.Role == model.RoleCanary && g.ExecutionID == e.ID {
				return true
			}
		}
		return false
	}},
	{"during wait-healthy", func(r *rig, e *model.Execution) bool {
		// Inside the restarted server's own wait, while the instances still start.
		s := output(e).Step
		return (s == stepWaitHealthyBaseline || s == stepWaitHealthyCanary) && time.Since(r.srv.started) > 200*time.Millisecond
	}},
	{"after setWeight", func(_ *rig, e *model.Execution) bool { return output(e).Step == stepAnalysis }},
	{"during an analysis interval", func(_ *rig, e *model.Execution) bool {
		o := output(e)
		return o.Step == stepAnalysis && strings.Contains(o.Summary, "interval 2/2")
	}},
	{"during a pause waiting for approval", func(_ *rig, e *model.Execution) bool {
		return len(e.Stages) > 0 && e.Stages[0].Status == model.StageWaiting
	}},
	{"during promotion", func(_ *rig, e *model.Execution) bool {
		s := output(e).Step
		return s >= stepPromote && s < crashPlanSteps
	}},
}

// TestCrashMidCanary is the acceptance test of the local target: the server
// dies by SIGKILL at six points of a canary and restarts on the same data
// dir each time. The execution completes exactly once, every role's server
// group is created once, healthy instances are re-adopted (same pids) and
// serve through the front door within a second of the restart, and no
// process outlives the groups it belongs to.
func TestCrashMidCanary(t *testing.T) {
	t.Parallel()
	r := newRig(t)
	// Three seconds of startup make wait-healthy a window one can kill in,
	// even when the kill before it lands late (a loaded machine) and the
	// restarted server adopts instances that are still starting.
	slow := appOpts{instances: 2, command: "/bin/sh", args: []string{"-c", fmt.Sprintf("sleep %d; exec %s sample-service", int(slowStartup/time.Second), exe)}}
	pl := canary("canary", setWeight(20), analysisStep(time.Second, 2), pauseForApproval(), setWeight(50))
	pl.Stages[0].Deploy.Strategy.Canary.Analysis.MinRequests = 5
	pl.Stages[0].Deploy.Strategy.Canary.Analysis.MaxLatencyRatio = ptr(20.0)
	r.apply(slow, pl)
	r.mustSucceed(r.deploy("canary", "v1", nil), time.Minute)
	waitServes(t, r.frontDoor, "v1", 5*time.Second)
	tr := startTraffic(t, r.frontDoor, 60)

	seen := map[string]map[int]bool{} // every instance pid ever recorded, by server group
	remember := func(state map[string][]int) {
		for name, pids := range state {
			if seen[name] == nil {
				seen[name] = map[int]bool{}
			}
			for _, pid := range pids {
				if pid > 0 {
					seen[name][pid] = true
				}
			}
		}
	}

	id := r.deploy("canary", "v2", nil)
	for _, kp := range killPoints {
		e := r.killWhen(id, kp)
		if e.Status.Terminal() {
			t.Fatalf("kill point %q: the execution ended before it: %s", kp.name, describe(e))
		}
		before := r.statePIDs()
		remember(before)
		live := map[string][]int{}
		for name, pids := range before {
			for _, pid := range pids {
				if pid > 0 && alive(pid) {
					live[name] = append(live[name], pid)
				}
			}
		}

		r.start()
		// The front door is a process of its own that the restarted server
		// adopts: it never stopped serving (the traffic below checks that
		// throughout).
		recovered := waitServes(t, r.frontDoor, "", 5*time.Second)
		after := r.statePIDs()
		remember(after)
		t.Logf("killed %-36q at step %d/%d (%s); first 2xx through the front door %s after the restarted server answered (%s after it started); live before: %v",
			kp.name, output(e).Step+1, output(e).Steps, output(e).Summary, recovered.Round(time.Millisecond), time.Since(r.srv.started).Round(time.Millisecond), live)
		if recovered > time.Second {
			t.Errorf("after the kill %q the front door served its first 2xx %s after the restarted server answered; want < 1s", kp.name, recovered)
		}
		for name, pids := range live {
			now := after[name]
			for _, pid := range pids {
				if !slices.Contains(now, pid) {
					t.Errorf("after the kill %q, %s's running instance pid %d was not re-adopted: the state file now records %v", kp.name, name, pid, now)
					continue
				}
				if !alive(pid) && r.destroyedSoon(name, 3*time.Second) {
					continue // the resumed execution is destroying the group (promotion goes on at once)
				}
				if !alive(pid) {
					t.Errorf("after the kill %q, %s's running instance pid %d was not re-adopted: the state file now records %v", kp.name, name, pid, now)
				}
			}
		}
		if kp.name != "during a pause waiting for approval" {
			// Work that was due (or running) when the server died resumes at once.
			resumed := r.progressAfter(id, e)
			t.Logf("  the execution made progress %s after the restart began", resumed.Round(time.Millisecond))
			limit := maxResume
			if kp.name == "during wait-healthy" {
				// The step moves on only once instances that still start are
				// healthy, and they may have started just before the kill
				// (the stage records a group one call before it starts it).
				limit += slowStartup
			}
			if resumed > limit {
				t.Errorf("after the kill %q the execution made progress only %s after the restart began (want < %s): due work waits for River's stale leadership to expire", kp.name, resumed.Round(time.Millisecond), limit)
			}
		}
		if kp.name == "during a pause waiting for approval" {
			e := r.waitFor(id, 10*time.Second, "to wait for approval again", func(e *model.Execution) bool {
				return len(e.Stages) > 0 && e.Stages[0].Status == model.StageWaiting
			})
			approved := time.Now()
			if _, err := r.c.Judge(r.ctx(), e.ID, model.DecisionApprove, "", "approved after a crash"); err != nil {
				t.Fatalf("approve: %v", err)
			}
			after := r.waitFor(id, time.Minute, "to go on after the approval", func(e *model.Execution) bool { return output(e).Step > 6 || e.Status.Terminal() })
			took := time.Since(approved)
			t.Logf("  approved after the restart; the canary went on %s later (%s)", took.Round(time.Millisecond), output(after).Summary)
			if took > maxResume {
				t.Errorf("an approval after the restart took %s to take effect (want < %s)", took.Round(time.Millisecond), maxResume)
			}
		}
	}

	r.mustSucceed(id, time.Minute)
	tr.halt()
	ok, errs, byStatus, byVersion, _ := tr.snapshot()
	t.Logf("traffic across %d restarts: ok=%d errors=%d statuses=%v versions=%v; longest gap without a 2xx: %s",
		len(killPoints), ok, errs, byStatus, byVersion, tr.longestGap().Round(time.Millisecond))
	if errs > 0 {
		t.Errorf("%d requests failed across the restarts; the front door outlives the server: want none", errs)
	}
	if gap := tr.longestGap(); gap > 2*time.Second {
		t.Errorf("the front door gave no 2xx for %s across the restarts; want < 2s", gap.Round(time.Millisecond))
	}
	for code, n := range byStatus {
		if code/100 != 2 {
			t.Errorf("the front door answered %d requests with %d across the restarts; want only 2xx whenever it answers", n, code)
		}
	}
	if got := versions(t, r.frontDoor, 20); got["v2"] != 20 {
		t.Fatalf("after promotion the front door answers %v, want only v2", got)
	}

	evs := r.events(id)
	if n := countKind(evs, model.EventExecutionFinished); n != 1 {
		t.Errorf("want exactly one execution_finished event for %s, got %d", id, n)
	}
	if n := countKind(evs, model.EventDeploySucceeded); n != 1 {
		t.Errorf("want exactly one deploy_succeeded event for %s, got %d", id, n)
	}
	if n := countKind(evs, model.EventDeployStarted); n != 1 {
		t.Errorf("want exactly one deploy_started event for %s, got %d", id, n)
	}

	gs := r.groups()
	if len(gs) != 1 || gs[0].Version != "v2" || gs[0].Weight != 100 || gs[0].Role != model.RoleProduction {
		t.Errorf("after the promotion want one v2 production group with 100%%, got %s", groupsString(gs))
	}
	running := map[string]bool{}
	for _, g := range gs {
		running[g.Name] = true
	}
	for name, pids := range seen {
		if running[name] {
			continue
		}
		for pid := range pids {
			if alive(pid) {
				t.Errorf("orphan: pid %d of %s (no longer running) still lives", pid, name)
			}
		}
	}
	r.assertNoStrays()
	// Every group that ever started an instance: v1, one baseline, one canary.
	if dirs := r.logDirs(); len(dirs) != 3 {
		t.Errorf("want instance logs of exactly 3 server groups (v1, baseline, canary), got %v", dirs)
	}

	r.stop()
	r.assertOneGroupPerRole(id)
}

// assertNoStrays checks that every process of this test is an instance the
// provider's state file records for a server group that is not destroyed.
func (r *rig) assertNoStrays() {
	r.t.Helper()
	up := map[string]bool{}
	for _, g := range r.groups() {
		up[g.Name] = true
	}
	recorded := map[int]string{}
	for name, pids := range r.statePIDs() {
		for _, pid := range pids {
			recorded[pid] = name
		}
	}
	for pid, info := range r.procs() {
		name, ok := recorded[pid]
		switch {
		case !ok:
			r.t.Errorf("stray process: pid %d (VERSION=%s INSTANCE=%s) runs but no server group records it; it will never be stopped", pid, info.Version, info.Instance)
		case !up[name]:
			r.t.Errorf("orphan: pid %d of %s runs but the group is not up/disabled", pid, name)
		}
	}
}

// progressAfter waits until the execution's first stage was written again
// since seen, and returns the time since the server (re)started.
func (r *rig) progressAfter(id string, seen *model.Execution) time.Duration {
	r.t.Helper()
	v := seen.Stages[0].Version
	r.waitFor(id, time.Minute, "to make progress", func(e *model.Execution) bool {
		return len(e.Stages) > 0 && (e.Stages[0].Version > v || e.Status.Terminal())
	})
	return time.Since(r.srv.started)
}

// killWhen follows the execution's stream and kills the server with SIGKILL
// the moment kp holds. It returns the execution as last seen before the kill.
func (r *rig) killWhen(id string, kp killPoint) *model.Execution {
	r.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	var mu sync.Mutex
	var hit *model.Execution
	check := func(e *model.Execution) {
		mu.Lock()
		defer mu.Unlock()
		if hit == nil && !e.Status.Terminal() && kp.at(r, e) {
			hit = e
			r.kill9()
			cancel()
		}
	}
	// The stream gives every change of the execution as it happens; polling
	// also sees changes that are not the execution's (a server group row).
	var wg sync.WaitGroup
	wg.Go(func() {
		for ctx.Err() == nil {
			if e, err := r.c.Execution(ctx, id); err == nil {
				check(e)
			}
			time.Sleep(10 * time.Millisecond)
		}
	})
	_, _ = r.c.Watch(ctx, id, check)
	cancel()
	wg.Wait()
	if hit == nil {
		r.t.Fatalf("kill point %q never came within 60s", kp.name)
	}
	return hit
}

// assertOneGroupPerRole reads every server group ever recorded, destroyed
// ones included, from the server's SQLite database (the server is stopped)
// and checks the execution created each role once.
func (r *rig) assertOneGroupPerRole(id string) {
	r.t.Helper()
	ctx := r.ctx()
	st, err := sqlite.Open(ctx, filepath.Join(r.data, "gennaker.db"), slog.New(slog.DiscardHandler))
	if err != nil {
		r.t.Fatalf("opening the server's database: %v", err)
	}
	defer st.Close()
	all, err := st.ServerGroupList(ctx, store.ServerGroupListParams{Application: app, Environment: env, IncludeDestroyed: true})
	if err != nil {
		r.t.Fatal(err)
	}
	byRole := map[model.ServerGroupRole][]string{}
	var names []string
	for _, g := range all {
		names = append(names, fmt.Sprintf("%s(%s %s %s)", g.Name, g.Version, g.Role, g.Status))
		if g.ExecutionID == id {
			byRole[g.Role] = append(byRole[g.Role], g.Name)
		}
	}
	sort.Strings(names)
	r.t.Logf("server groups ever recorded: %v", names)
	// A promoted canary becomes a production group.
	if len(byRole[model.RoleBaseline]) != 1 || len(byRole[model.RoleProduction])+len(byRole[model.RoleCanary]) != 1 {
		r.t.Errorf("execution %s should have created one baseline and one canary, got %v", id, byRole)
	}
	if len(all) != 3 {
		r.t.Errorf("want 3 server groups ever (v1, baseline, canary), got %d: %v", len(all), names)
	}
}

// destroyedSoon reports whether server group name is, or within d becomes, destroyed.
func (r *rig) destroyedSoon(name string, d time.Duration) bool {
	deadline := time.Now().Add(d)
	for {
		if g, ok := r.group(name); !ok || g.Status == model.ServerGroupDestroyed {
			return true
		}
		if time.Now().After(deadline) {
			return false
		}
		time.Sleep(50 * time.Millisecond)
	}
}
