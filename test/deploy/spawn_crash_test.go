package deploy

import (
	"slices"
	"testing"
	"time"

	"github.com/gennaker/gennaker/internal/model"
)

// TestCrashWhileSpawningLeavesNoStrays kills the server the moment the
// first instance of a new server group exists as a process, which is before
// the provider records it in local-state.json when the timing is right. The
// restarted server must not leave such an instance running unknown to it.
func TestCrashWhileSpawningLeavesNoStrays(t *testing.T) {
	t.Parallel()
	r := newRig(t)
	r.apply(appOpts{instances: 8}, pipeline("hl", model.Strategy{Type: model.StrategyHighlander}))

	id := r.deploy("hl", "v1", nil)
	deadline := time.Now().Add(20 * time.Second)
	var pids []int
	for len(pids) == 0 {
		if time.Now().After(deadline) {
			t.Fatalf("no v1 instance process appeared within 20s")
		}
		pids = r.procsOf("v1")
	}
	r.kill9()
	state := r.statePIDs()
	var unrecorded []int
	for _, pid := range r.procsOf("v1") {
		found := false
		for _, rec := range state {
			found = found || slices.Contains(rec, pid)
		}
		if !found {
			unrecorded = append(unrecorded, pid)
		}
	}
	t.Logf("killed with %d v1 processes running, %d of them not in local-state.json: %v", len(r.procsOf("v1")), len(unrecorded), unrecorded)

	r.start()
	e := r.mustSucceed(id, time.Minute)
	t.Logf("after the restart: %s", describe(e))
	for _, pid := range unrecorded {
		if alive(pid) {
			t.Errorf("instance pid %d, started before the crash but not yet recorded, still runs after the restart and nothing will ever stop it", pid)
		}
	}
	r.assertNoStrays()
	if n := len(r.procsOf("v1")); n != 8 {
		t.Errorf("want 8 v1 instances running, got %d", n)
	}
}
