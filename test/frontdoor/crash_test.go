package frontdoor

import (
	"slices"
	"testing"
	"time"

	"github.com/gennaker/gennaker/internal/model"
)

// A server killed with SIGKILL at five moments of a canary, each time with
// half a second before it starts again, never interrupts the traffic: the
// front door is a process of its own that keeps serving the last routes and
// instances it was given, and each restarted server adopts it (the same
// pid; never a second one).
func TestKill9NeverInterruptsTraffic(t *testing.T) {
	t.Parallel()
	r := newRig(t, exe)
	r.apply(canary())
	r.mustSucceed(r.deploy("canary", "v1"), time.Minute)
	waitServes(t, r.frontDoor, 5*time.Second)
	door := r.doorPID()
	if door == 0 {
		t.Fatal("the state file records no front-door process")
	}
	pr := startProbe(t, r.frontDoor)

	restart := func(moment string) {
		t.Helper()
		r.kill9()
		time.Sleep(500 * time.Millisecond) // no server at all
		if !alive(door) {
			t.Fatalf("killed at %q: the front-door process %d died with the server", moment, door)
		}
		r.start(true)
		if got := r.doorPID(); got != door {
			t.Errorf("killed at %q: the restarted server records front-door process %d, want the adopted %d", moment, got, door)
		}
		if got := r.doorProcs(); !slices.Equal(got, []int{door}) {
			t.Errorf("killed at %q: front-door processes %v run, want only %d", moment, got, door)
		}
		t.Logf("killed at %-28q: %s", moment, pr)
	}

	restart("idle")
	id := r.deploy("canary", "v2")
	for _, kp := range []struct {
		moment string
		at     func(*model.Execution) bool
	}{
		{"creating the canary", func(e *model.Execution) bool { s, _ := step(e); return s >= 1 }},
		{"during analysis", func(e *model.Execution) bool { s, _ := step(e); return s == 5 }},
		{"waiting for approval", func(e *model.Execution) bool {
			return len(e.Stages) > 0 && e.Stages[0].Status == model.StageWaiting
		}},
	} {
		r.waitFor(id, time.Minute, "to reach "+kp.moment, kp.at)
		restart(kp.moment)
	}
	e := r.waitFor(id, 20*time.Second, "to wait for approval again", func(e *model.Execution) bool {
		return len(e.Stages) > 0 && e.Stages[0].Status == model.StageWaiting
	})
	if _, err := r.c.Judge(r.ctx(), e.ID, model.DecisionApprove, "", "go on"); err != nil {
		t.Fatalf("approve: %v", err)
	}
	r.waitFor(id, time.Minute, "to promote", func(e *model.Execution) bool { s, _ := step(e); return s >= 8 || e.Status.Terminal() })
	restart("during promotion")
	r.mustSucceed(id, time.Minute)
	time.Sleep(300 * time.Millisecond)
	pr.halt()
	t.Logf("traffic through 5 kills: %s", pr)
	if n := pr.failed.Load(); n > 0 {
		t.Errorf("%d requests failed across 5 kills of the server, want none: %s", n, pr)
	}
	if pr.ok.Load() < 300 {
		t.Errorf("only %d requests answered: the probe did not probe", pr.ok.Load())
	}
}
