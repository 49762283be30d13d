package strategy

import (
	"errors"
	"testing"

	"github.com/gennaker/gennaker/internal/model"
)

func canaryPlan(t *testing.T, byReplicas bool) Plan {
	t.Helper()
	p, err := PlanDeploy(cluster(serving(1, 4)), Request{Version: "v2", Instances: 4, SplitByReplicas: byReplicas,
		Strategy: model.Strategy{Type: model.StrategyCanary, MaxRemaining: 1,
			Canary: &model.CanarySpec{Steps: []model.CanaryStep{setWeight(25), analyse(1), setWeight(50), pause(0)}}}})
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func TestPromoteFullSkipsToThePromotion(t *testing.T) {
	t.Parallel()
	for _, byReplicas := range []bool{false, true} {
		p := canaryPlan(t, byReplicas)
		var analysisAt int
		for i, s := range p.Steps {
			if s.Action == ActionAnalysis {
				analysisAt = i
			}
		}
		got, err := PromoteFull(p, analysisAt)
		if err != nil {
			t.Fatalf("byReplicas %v: %v", byReplicas, err)
		}
		rest := p.Steps[got:]
		for _, s := range rest {
			if isCanaryStep(s) {
				t.Errorf("byReplicas %v: the promotion still has canary step %q", byReplicas, s.Why)
			}
		}
		// The promotion is the normal one: all traffic, mark good, baseline
		// destroyed, the old group kept disabled (maxRemaining 1).
		want := map[Action]bool{ActionSetTraffic: false, ActionMarkGood: false, ActionDestroy: false, ActionDisable: false}
		for _, s := range rest {
			if _, ok := want[s.Action]; ok {
				want[s.Action] = true
			}
		}
		for a, seen := range want {
			if !seen {
				t.Errorf("byReplicas %v: the promotion has no %s step: %v", byReplicas, a, rest)
			}
		}
		if byReplicas && (rest[0].Action != ActionResize || rest[0].Ref != RefNew) {
			t.Errorf("by replicas the promotion first grows the canary, got %q", rest[0].Why)
		}
	}
}

func TestPromoteFullRefuses(t *testing.T) {
	t.Parallel()
	p := canaryPlan(t, false)
	first, err := PlanDeploy(cluster(), Request{Version: "v1", Instances: 2, Strategy: model.Strategy{Type: model.StrategyCanary,
		Canary: &model.CanarySpec{Steps: []model.CanaryStep{setWeight(25)}}}})
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name string
		plan Plan
		next int
	}{
		{"first deploy has no canary", first, 0},
		{"canary still starting", p, 1},
		{"at the promotion already", p, len(p.Steps) - 3},
	}
	for _, c := range cases {
		if _, err := PromoteFull(c.plan, c.next); !errors.Is(err, ErrNotPromotable) {
			t.Errorf("%s: got %v, want ErrNotPromotable", c.name, err)
		}
	}
}

func TestRollbackTargetSaysWhatPlanRollbackDoes(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name     string
		c        Cluster
		history  []model.ServerGroup
		want     string
		redeploy bool
	}{
		{"disabled group", cluster(disabled(1), serving(2, 2)), []model.ServerGroup{disabled(1), serving(2, 2)}, "returns traffic to v1 (server group app-v001, disabled)", false},
		{"destroyed group", cluster(serving(2, 2)), []model.ServerGroup{destroyed(1), serving(2, 2)}, "redeploys v1 (server group app-v001 was destroyed)", true},
	}
	for _, c := range cases {
		tg, err := RollbackTargetOf(c.c, c.history)
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		if tg.String() != c.want || tg.Redeploy != c.redeploy {
			t.Errorf("%s: got %q (redeploy %v), want %q", c.name, tg, tg.Redeploy, c.want)
		}
		p, err := PlanRollback(c.c, c.history)
		if err != nil {
			t.Fatal(err)
		}
		created := false
		for _, s := range p.Steps {
			created = created || (s.Action == ActionCreate && s.Version == tg.Version)
		}
		if created != c.redeploy {
			t.Errorf("%s: the plan creates a group: %v, the target says redeploy %v", c.name, created, c.redeploy)
		}
	}
	if _, err := RollbackTargetOf(cluster(serving(1, 2)), []model.ServerGroup{serving(1, 2)}); !errors.Is(err, ErrNoRollbackTarget) {
		t.Errorf("no earlier group: got %v", err)
	}
}
