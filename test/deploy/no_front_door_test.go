package deploy

import (
	"strings"
	"testing"
	"time"

	"github.com/gennaker/gennaker/internal/model"
)

// A deploy to a local environment with no front door for the application
// fails before any instance starts, naming the environment and the field
// to set; nothing is left running or crash-looping (the rig's clean-up
// fails the test if an instance lingers).
func TestDeployWithoutFrontDoorStartsNothing(t *testing.T) {
	t.Parallel()
	r := newRig(t)
	r.apply(appOpts{}, pipeline("ship", model.Strategy{Type: model.StrategyHighlander}))
	// The environment as a reader might write it: without frontDoors.
	if _, err := r.c.Apply(r.ctx(), model.Config{Environments: []model.Environment{{Name: env, Target: model.TargetSpec{Kind: model.TargetLocal}}}}); err != nil {
		t.Fatalf("apply the environment without a front door: %v", err)
	}
	id := r.deploy("ship", "v1", nil)
	e := r.wait(id, 30*time.Second)
	if e.Status != model.ExecutionFailed {
		t.Fatalf("execution %s, want failed: %s", e.Status, describe(e))
	}
	for _, want := range []string{"environment local has no front door for sample", "spec.frontDoors.sample", "127.0.0.1:PORT"} {
		if !strings.Contains(describe(e), want) {
			t.Errorf("the failure does not say %q: %s", want, describe(e))
		}
	}
	if p := r.procs(); len(p) > 0 {
		t.Errorf("instances started although the deploy was refused: %v", p)
	}
	if g := r.groups(); len(g) > 0 {
		t.Errorf("server groups recorded although the deploy was refused: %+v", g)
	}
}
