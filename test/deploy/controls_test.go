package deploy

import (
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/gennaker/gennaker/internal/client"
	"github.com/gennaker/gennaker/internal/model"
)

// TestCanaryControls drives the canary controls on real processes: an
// abort at a pause returns traffic to v1 and removes the canary and its
// baseline, the stage failing as aborted by the person; a retry of that
// execution runs the canary again; a promote at its pause skips the steps
// left and promotes as usual; each request sent again changes nothing.
func TestCanaryControls(t *testing.T) {
	t.Parallel()
	r := newRig(t)
	r.apply(appOpts{instances: 1}, canary("canary", setWeight(30), pauseForApproval(), setWeight(60), pauseForApproval()))
	r.mustSucceed(r.deploy("canary", "v1", nil), time.Minute)
	v1 := r.groups()[0].Name
	tr := startTraffic(t, r.frontDoor, 40)
	paused := func(e *model.Execution) bool { return len(e.Stages) > 0 && e.Stages[0].Status == model.StageWaiting }

	id := r.deploy("canary", "v2", nil)
	seen := r.waitFor(id, 30*time.Second, "to pause", paused)
	abort := client.ControlRequest{Comment: "errors in the logs", Version: seen.Version}
	if _, err := r.c.Control(r.ctx(), id, "abort", abort); err != nil {
		t.Fatalf("abort: %v", err)
	}
	e := r.wait(id, 30*time.Second)
	if e.Status != model.ExecutionFailed || !strings.Contains(e.Reason, "aborted by") || !strings.Contains(e.Reason, "errors in the logs") {
		t.Fatalf("want failed, aborted by the person: %s", describe(e))
	}
	assertBackOnV1(t, r, e, v1)
	if _, err := r.c.Control(r.ctx(), id, "abort", abort); err != nil {
		t.Fatalf("the same abort again should change nothing and succeed: %v", err)
	}

	retry := client.ControlRequest{Comment: "fixed the config", Version: e.Version}
	if _, err := r.c.Control(r.ctx(), id, "retry", retry); err != nil {
		t.Fatalf("retry: %v", err)
	}
	seen = r.waitFor(id, 30*time.Second, "to pause again after the retry", paused)
	if _, err := r.c.Control(r.ctx(), id, "retry", retry); err != nil {
		t.Fatalf("the same retry again should change nothing and succeed: %v", err)
	}
	if _, err := r.c.Control(r.ctx(), id, "promote", client.ControlRequest{Version: seen.Version}); err != nil {
		t.Fatalf("promote: %v", err)
	}
	e = r.mustSucceed(id, time.Minute)
	gs := r.groups()
	if len(gs) != 1 || gs[0].Version != "v2" || gs[0].Weight != 100 || !gs[0].LastGood {
		t.Fatalf("the promoted canary should be the one production group with 100%%: %s", groupsString(gs))
	}
	if got := versions(t, r.frontDoor, 20); got["v2"] != 20 {
		t.Fatalf("after the promote the front door answers %v, want only v2", got)
	}
	tr.halt()
	_, errs, _, _, firstErr := tr.snapshot()
	if errs > 0 {
		t.Errorf("traffic during abort, retry and promote: %d errors (first: %s)", errs, firstErr)
	}

	actions := map[string]string{}
	for _, ev := range r.events(id) {
		if ev.Kind == model.EventManualStep {
			actions[ev.Action] = ev.Actor
		}
	}
	for _, a := range []string{"abort", "retry", "promote"} {
		if actions[a] == "" {
			t.Errorf("no manual step event naming who did %s: %v", a, actions)
		}
	}
	entries, err := r.c.Audit(r.ctx(), url.Values{"application": {app}})
	if err != nil {
		t.Fatalf("audit: %v", err)
	}
	got := map[model.AuditAction]int{}
	for _, en := range entries {
		if en.Outcome == model.AuditOK {
			got[en.Action]++
		}
	}
	for _, a := range []model.AuditAction{model.AuditAbort, model.AuditRetry, model.AuditPromote} {
		if got[a] != 1 {
			t.Errorf("audit log: %d ok %s entries, want exactly 1 (a repeat records nothing): %v", got[a], a, got)
		}
	}
}
