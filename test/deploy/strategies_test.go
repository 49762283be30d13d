package deploy

import (
	"strings"
	"testing"
	"time"

	"github.com/gennaker/gennaker/internal/model"
)

// TestHighlander: after v1 then v2, exactly one server group runs, with all
// traffic, v1's processes are gone and the front door answers v2.
func TestHighlander(t *testing.T) {
	t.Parallel()
	r := newRig(t)
	r.apply(appOpts{instances: 2}, pipeline("hl", model.Strategy{Type: model.StrategyHighlander}))

	r.mustSucceed(r.deploy("hl", "v1", nil), time.Minute)
	waitServes(t, r.frontDoor, "v1", 5*time.Second)
	v1pids := r.procsOf("v1")
	if len(v1pids) != 2 {
		t.Fatalf("v1 runs %d processes (%v), want 2", len(v1pids), v1pids)
	}

	r.mustSucceed(r.deploy("hl", "v2", nil), time.Minute)
	gs := r.groups()
	if len(gs) != 1 || gs[0].Version != "v2" || gs[0].Weight != 100 || gs[0].Status != model.ServerGroupUp {
		t.Fatalf("want one up v2 group with weight 100, got %s", groupsString(gs))
	}
	for _, pid := range v1pids {
		if alive(pid) {
			t.Errorf("v1 instance pid %d still runs after highlander replaced it", pid)
		}
	}
	r.waitNoProcsOf("v1", 2*time.Second)
	if got := versions(t, r.frontDoor, 20); got["v2"] != 20 {
		t.Fatalf("front door answers %v, want only v2", got)
	}
}

// TestRedBlack: maxRemaining 1 keeps the previous group disabled and
// running; rollback returns to it at once and never flips back to the
// group it rolled back from.
func TestRedBlack(t *testing.T) {
	t.Parallel()
	r := newRig(t)
	r.apply(appOpts{instances: 1}, pipeline("rb", model.Strategy{Type: model.StrategyRedBlack, MaxRemaining: 1}))

	for _, v := range []string{"v1", "v2", "v3"} {
		r.mustSucceed(r.deploy("rb", v, nil), time.Minute)
	}
	gs := r.groups()
	byVersion := map[string]model.ServerGroup{}
	for _, g := range gs {
		byVersion[g.Version] = g.ServerGroup
	}
	if v3 := byVersion["v3"]; v3.Status != model.ServerGroupUp || v3.Weight != 100 {
		t.Fatalf("v3 should serve all traffic: %s", groupsString(gs))
	}
	if v2 := byVersion["v2"]; v2.Status != model.ServerGroupDisabled || v2.Weight != 0 {
		t.Fatalf("v2 should be disabled with weight 0: %s", groupsString(gs))
	}
	if _, ok := byVersion["v1"]; ok {
		t.Fatalf("v1 should be destroyed (maxRemaining 1): %s", groupsString(gs))
	}
	if len(r.procsOf("v2")) != 1 {
		t.Fatalf("v2 (disabled) should keep its instance running; v2 pids: %v", r.procsOf("v2"))
	}
	r.waitNoProcsOf("v1", 2*time.Second)
	v2pids := r.procsOf("v2")

	// Rollback: to the disabled v2, quickly, with the same processes.
	start := time.Now()
	rb := r.mustSucceed(r.rollback(), 30*time.Second)
	took := time.Since(start)
	if took > 5*time.Second {
		t.Errorf("rollback to a running disabled group took %s; want it quick (< 5s)", took)
	}
	if got := versions(t, r.frontDoor, 20); got["v2"] != 20 {
		t.Fatalf("after rollback the front door answers %v, want only v2", got)
	}
	if now := r.procsOf("v2"); pidsString(now) != pidsString(v2pids) {
		t.Errorf("rollback to a disabled group restarted it: pids %v before, %v after", v2pids, now)
	}
	gs = r.groups()
	for _, g := range gs {
		switch g.Version {
		case "v2":
			if g.Status != model.ServerGroupUp || g.Weight != 100 {
				t.Errorf("after rollback v2 should be up with 100%%: %s", groupsString(gs))
			}
		case "v3":
			if !g.RolledBack || g.Weight != 0 {
				t.Errorf("after rollback v3 should be marked rolled back with no traffic: %s", groupsString(gs))
			}
		}
	}
	t.Logf("rollback 1 (%s): %s in %s", rb.ID, output(rb).Summary, took.Round(time.Millisecond))

	// Rollback again: to v1 (destroyed, so redeployed) or a clear failure, never v3.
	e := r.wait(r.rollback(), time.Minute)
	got := versions(t, r.frontDoor, 20)
	if got["v3"] > 0 {
		t.Fatalf("the second rollback went back to v3, the version rolled back from: front door answers %v (%s)", got, describe(e))
	}
	switch e.Status {
	case model.ExecutionSucceeded:
		if got["v1"] != 20 {
			t.Fatalf("second rollback succeeded but the front door answers %v, want only v1 (%s)", got, describe(e))
		}
	case model.ExecutionFailed:
		if e.Reason == "" {
			t.Fatalf("second rollback failed without a reason")
		}
		t.Logf("second rollback failed: %s", e.Reason)
	default:
		t.Fatalf("second rollback: %s", describe(e))
	}
	for _, g := range r.groups() {
		if g.Version == "v3" && g.Weight != 0 {
			t.Fatalf("v3 got traffic back: %s", groupsString(r.groups()))
		}
	}
}

// TestRolling: replacing 3 instances one at a time never drops a request.
func TestRolling(t *testing.T) {
	t.Parallel()
	r := newRig(t)
	r.apply(appOpts{instances: 3}, pipeline("roll", model.Strategy{Type: model.StrategyRolling, BatchSize: 1}))
	r.mustSucceed(r.deploy("roll", "v1", nil), time.Minute)
	waitServes(t, r.frontDoor, "v1", 5*time.Second)

	tr := startTraffic(t, r.frontDoor, 60)
	id := r.deploy("roll", "v2", nil)
	e := r.mustSucceed(id, 2*time.Minute)
	time.Sleep(300 * time.Millisecond)
	tr.halt()
	ok, errs, byStatus, byVersion, firstErr := tr.snapshot()
	t.Logf("rolling: %d steps; traffic ok=%d errors=%d statuses=%v versions=%v", output(e).Steps, ok, errs, byStatus, byVersion)
	for code, n := range byStatus {
		if code/100 != 2 {
			t.Errorf("the front door answered %d requests with %d during the rollout; want none", n, code)
		}
	}
	if errs > 0 {
		t.Errorf("%d requests through the front door failed during the rollout (first: %s); want none", errs, firstErr)
	}
	if byVersion["v1"] == 0 || byVersion["v2"] == 0 {
		t.Errorf("traffic should see both versions during a rollout: %v", byVersion)
	}
	if got := versions(t, r.frontDoor, 30); got["v2"] != 30 {
		t.Fatalf("after the rollout the front door answers %v, want only v2", got)
	}
	for _, g := range r.groups() {
		if g.Version != "v2" && g.Status != model.ServerGroupDestroyed {
			if g.Instances > 0 || g.Weight > 0 {
				t.Errorf("after the rollout a %s group still has %d instances and %d%%: %s", g.Version, g.Instances, g.Weight, groupsString(r.groups()))
			}
		}
	}
	r.waitNoProcsOf("v1", 3*time.Second)
	if !strings.Contains(describe(e), "succeeded") {
		t.Fatal(describe(e))
	}
}
