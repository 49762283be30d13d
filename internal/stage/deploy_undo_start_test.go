package stage

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/gennaker/gennaker/internal/model"
	"github.com/gennaker/gennaker/internal/store"
)

// checkingTarget is a fake target that refuses deploys, as the local
// target does to an environment without a front door for the application.
type checkingTarget struct {
	*fakeTarget
	refuse error
}

func (t checkingTarget) CheckDeploy(model.Application, model.Environment) error { return t.refuse }

var _ DeployChecker = checkingTarget{}

// A target that says up front it cannot deploy there fails the stage with
// its words before anything starts or is recorded.
func TestDeployAsksTheTargetBeforeStartingAnything(t *testing.T) {
	t.Parallel()
	b := newDeployBundle(t)
	refuse := errors.New("environment local has no front door for checkout (spec.frontDoors.checkout is not set)")
	b.deploy.Targets = func(model.Environment) (Target, error) { return checkingTarget{b.target, refuse}, nil }
	in := b.input(map[string]string{"version": "v1"}, "")
	r := b.run(t, &in, 10)
	if r.Outcome != Failed || !strings.Contains(r.Reason, "spec.frontDoors.checkout is not set") {
		t.Fatalf("outcome %s (%s), want Failed naming spec.frontDoors.checkout", outcomeName(r.Outcome), r.Reason)
	}
	if h := b.target.takeHistory(); len(h) > 0 {
		t.Errorf("a refused deploy called the target: %v", h)
	}
	groups, err := b.store.ServerGroupList(t.Context(), store.ServerGroupListParams{Application: "checkout", IncludeDestroyed: true})
	if err != nil || len(groups) > 0 {
		t.Errorf("a refused deploy recorded server groups %v (%v)", groups, err)
	}
}

// When routing fails during a first deploy, the undo cannot take the new
// group out of traffic either; it then stops the instances it started
// (they take no traffic) instead of leaving them running, and fails with
// both reasons.
func TestDeployUndoStopsWhatItStartedWhenRoutingFails(t *testing.T) {
	t.Parallel()
	b := newDeployBundle(t)
	b.target.routeErr = errors.New("the front door cannot be set")
	in := b.input(map[string]string{"version": "v1"}, "")
	r := b.run(t, &in, 40)
	if r.Outcome != Failed {
		t.Fatalf("outcome %s (%s), want Failed", outcomeName(r.Outcome), r.Reason)
	}
	for _, want := range []string{"the front door cannot be set", "rolling back failed too", "stopped checkout-v001, which this deploy had started"} {
		if !strings.Contains(r.Reason, want) {
			t.Errorf("reason %q does not say %q", r.Reason, want)
		}
	}
	if !slices.Contains(b.target.takeHistory(), "Destroy checkout-v001") {
		t.Errorf("the undo did not stop checkout-v001")
	}
	if len(b.target.running) > 0 {
		t.Errorf("still running after the undo: %v", b.target.running)
	}
	sg, err := b.store.ServerGroupGet(context.Background(), "local", "checkout-v001")
	if err != nil || sg.Status != model.ServerGroupDestroyed {
		t.Errorf("checkout-v001 is recorded %+v (%v), want destroyed", sg, err)
	}
}
