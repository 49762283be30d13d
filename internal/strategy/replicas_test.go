package strategy

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/gennaker/gennaker/internal/model"
)

// On a target that splits traffic by replica counts a canary sizes its groups
// to the weights (Argo Rollouts' basic canary: ceil(w% of n) canary pods).
var replicaCases = []struct {
	name      string
	cluster   Cluster
	instances int
	strategy  model.Strategy
	want      string
}{
	{
		name:      "10% of 10 without baseline: 1 canary pod, 9 stable",
		cluster:   cluster(serving(2, 10)),
		instances: 10,
		strategy: model.Strategy{Type: model.StrategyCanary,
			Canary: &model.CanarySpec{Baseline: ptr(false), Steps: []model.CanaryStep{setWeight(10), analyse(1)}}},
		want: `
create new v9 canary x1
wait-healthy new
set-traffic new=10 app-v002=90 header->new
resize app-v002 x9
analysis new vs app-v002 intervals=1 interval=30s
resize new x10
wait-healthy new
set-traffic new=100
mark-good new
destroy app-v002
`,
	},
	{
		name:      "25% of 4 with baseline: 1 canary, 1 baseline, 2 stable",
		cluster:   cluster(serving(2, 4)),
		instances: 4,
		strategy: model.Strategy{Type: model.StrategyCanary,
			Canary: &model.CanarySpec{Steps: []model.CanaryStep{setWeight(25)}}},
		want: `
create baseline v2 baseline x1
create new v9 canary x1
wait-healthy baseline
wait-healthy new
set-traffic new=25 baseline=25 app-v002=50 header->new
resize app-v002 x2
resize new x4
wait-healthy new
set-traffic new=100
mark-good new
destroy baseline
destroy app-v002
`,
	},
	{
		name:      "10 then 50 with baseline grows canary and baseline first, shrinks stable after, keeps 1 stable pod, restores the kept group",
		cluster:   cluster(serving(2, 10)),
		instances: 10,
		strategy: model.Strategy{Type: model.StrategyCanary, MaxRemaining: 1,
			Canary: &model.CanarySpec{Steps: []model.CanaryStep{setWeight(10), pause(0), setWeight(50), analyse(1)}}},
		want: `
create baseline v2 baseline x1
create new v9 canary x1
wait-healthy baseline
wait-healthy new
set-traffic new=10 baseline=10 app-v002=80 header->new
resize app-v002 x8
pause until approved
resize new x5
resize baseline x5
wait-healthy new
wait-healthy baseline
set-traffic new=50 baseline=50 header->new
resize app-v002 x1
analysis new vs baseline intervals=1 interval=30s
resize new x10
wait-healthy new
set-traffic new=100
mark-good new
destroy baseline
disable app-v002
resize app-v002 x10
`,
	},
	{
		name:      "going back down grows the stable group before traffic moves and shrinks the canary after",
		cluster:   cluster(serving(2, 4)),
		instances: 4,
		strategy: model.Strategy{Type: model.StrategyCanary,
			Canary: &model.CanarySpec{Baseline: ptr(false), Steps: []model.CanaryStep{setWeight(50), setWeight(25)}}},
		want: `
create new v9 canary x2
wait-healthy new
set-traffic new=50 app-v002=50 header->new
resize app-v002 x2
resize app-v002 x3
wait-healthy app-v002
set-traffic new=25 app-v002=75 header->new
resize new x1
resize new x4
wait-healthy new
set-traffic new=100
mark-good new
destroy app-v002
`,
	},
}

func TestPlanCanaryByReplicas(t *testing.T) {
	t.Parallel()
	for _, tc := range replicaCases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			r := Request{Version: "v9", Instances: tc.instances, Strategy: tc.strategy, SplitByReplicas: true}
			p, err := PlanDeploy(tc.cluster, r)
			if err != nil {
				t.Fatal(err)
			}
			if got, want := p.String(), strings.TrimPrefix(tc.want, "\n"); got != want {
				t.Errorf("plan:\n%s\nwant:\n%s\nexplained:\n%s", got, want, p.Explain())
			}
			if err := checkDeploy(tc.cluster, r); err != nil {
				t.Error(err)
			}
		})
	}
}

// TestPlanCanaryByReplicasSaysWhenAWeightCannotBeMet: the defect's case.
func TestPlanCanaryByReplicasSaysWhenAWeightCannotBeMet(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		baseline  bool
		weight, n int
		want      string
	}{
		{true, 10, 3, "setWeight 10 with 3 instances: 33% effective; 10 needs at least 10 instances"},
		{false, 10, 3, "setWeight 10 with 3 instances: 33% effective; 10 needs at least 10 instances"},
		{true, 25, 3, "setWeight 25 with 3 instances: 33% effective; 25 needs at least 4 instances"},
		{false, 30, 4, "setWeight 30 with 4 instances: 50% effective; 30 needs at least 10 instances"},
	} {
		p, err := PlanDeploy(cluster(serving(1, tc.n)), Request{Version: "v2", Instances: tc.n, SplitByReplicas: true,
			Strategy: model.Strategy{Type: model.StrategyCanary, Canary: &model.CanarySpec{Baseline: ptr(tc.baseline), Steps: []model.CanaryStep{setWeight(tc.weight)}}}})
		if err != nil {
			t.Fatal(err)
		}
		if why := trafficStep(p).Why; !strings.Contains(why, tc.want) {
			t.Errorf("baseline %v, setWeight %d, %d instances: Why %q, want it to say %q", tc.baseline, tc.weight, tc.n, why, tc.want)
		}
		if got := trafficStep(p).Shortfall; got != tc.want {
			t.Errorf("baseline %v, setWeight %d, %d instances: Shortfall %q, want %q", tc.baseline, tc.weight, tc.n, got, tc.want)
		}
	}
	// A weight the instances can give is not flagged.
	p, _ := PlanDeploy(cluster(serving(1, 10)), Request{Version: "v2", Instances: 10, SplitByReplicas: true,
		Strategy: model.Strategy{Type: model.StrategyCanary, Canary: &model.CanarySpec{Steps: []model.CanaryStep{setWeight(10)}}}})
	if st := trafficStep(p); st.Shortfall != "" || !strings.Contains(st.Why, "canary 1 of 10 instances, baseline 1, serving 8") {
		t.Errorf("10%% of 10: Why %q, shortfall %q", st.Why, st.Shortfall)
	}
}

func trafficStep(p Plan) Step {
	for _, s := range p.Steps {
		if s.Action == ActionSetTraffic && s.CanaryRef != "" {
			return s
		}
	}
	return Step{}
}

// TestPlanCanaryByReplicasProperties runs random canaries on a target that
// splits by replica counts. Besides the simulator's rules (traffic only to
// healthy up groups, nothing with traffic destroyed or emptied, idempotent
// steps), wherever the traffic has settled after a weight step the canary's
// share of the serving instances is within one instance of its weight, the
// baseline's too, the serving groups' within one instance each of the canary
// and baseline; and a group that served before the deploy never runs 0
// instances until it is destroyed.
func TestPlanCanaryByReplicasProperties(t *testing.T) {
	t.Parallel()
	rng := rand.New(rand.NewPCG(7, 8))
	for i := range 5000 {
		c := randomCluster(rng)
		s := randomStrategy(rng)
		for s.Type != model.StrategyCanary {
			s = randomStrategy(rng)
		}
		r := Request{Version: "v99", Instances: 1 + rng.IntN(20), Strategy: s, SplitByReplicas: true}
		p, err := PlanDeploy(c, r)
		if err != nil {
			t.Fatal(err)
		}
		fail := func(err error) {
			t.Fatalf("case %d: %v\ncluster: %+v\nrequest: %+v\nplan:\n%s", i, err, c.ServerGroups, r, p.Explain())
		}
		if err := checkDeploy(c, r); err != nil {
			fail(err)
		}
		sm := newSim(c)
		err = sm.run(p, func(k int) error {
			for _, g := range c.serving() {
				if now := sm.groups[g.Name]; now.Status != model.ServerGroupDestroyed && now.Instances < 1 {
					return fmt.Errorf("%s served before the deploy and runs %d instances", g.Name, now.Instances)
				}
			}
			settled := k+1 == len(p.Steps) || (p.Steps[k+1].Action != ActionResize && p.Steps[k+1].Action != ActionWaitHealthy)
			if a := p.Steps[k].Action; !settled || (a != ActionSetTraffic && a != ActionResize) {
				return nil
			}
			return sm.checkReplicaSplit()
		})
		if err != nil {
			fail(err)
		}
	}
}

// checkReplicaSplit checks that, by instance counts, every serving group's
// share of the traffic is near its weight: a created group (canary,
// baseline) within one instance, for it rounds up by less than one; any
// other group within one instance more than the created groups together,
// for it gets what they leave, apportioned.
func (s *sim) checkReplicaSplit() error {
	total := 0
	for _, g := range s.groups {
		if g.Status == model.ServerGroupUp && g.Weight > 0 {
			total += g.Instances
		}
	}
	created := map[string]bool{}
	for _, name := range s.created {
		created[name] = true
	}
	for _, g := range s.groups {
		if g.Status != model.ServerGroupUp || g.Weight == 0 {
			continue
		}
		limit := 100 // hundredths of an instance
		if !created[g.Name] {
			limit = 100 * (len(created) + 1)
		}
		if d := 100*g.Instances - g.Weight*total; d <= -limit || d >= limit {
			return fmt.Errorf("%s has weight %d%% but %d of %d serving instances", g.Name, g.Weight, g.Instances, total)
		}
	}
	return nil
}

func TestEffectiveWeights(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		weights, instances, want map[string]int
	}{
		{map[string]int{"a": 10, "b": 10, "c": 80}, map[string]int{"a": 1, "b": 1, "c": 1}, map[string]int{"a": 34, "b": 33, "c": 33}},
		{map[string]int{"a": 10, "c": 90}, map[string]int{"a": 1, "c": 9}, map[string]int{"a": 10, "c": 90}},
		{map[string]int{"a": 100, "c": 0}, map[string]int{"a": 2, "c": 5}, map[string]int{"a": 100, "c": 0}},
		{map[string]int{"a": 50, "c": 50}, map[string]int{"a": 0, "c": 0}, map[string]int{"a": 0, "c": 0}},
	} {
		if got := EffectiveWeights(tc.weights, tc.instances); fmt.Sprint(got) != fmt.Sprint(tc.want) {
			t.Errorf("EffectiveWeights(%v, %v) = %v, want %v", tc.weights, tc.instances, got, tc.want)
		}
	}
}
