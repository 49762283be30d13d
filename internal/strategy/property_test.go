package strategy

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/gennaker/gennaker/internal/model"
)

// randomCluster builds 0-4 server groups: up ones share 100% of traffic (or
// none has any), some are disabled, some were rolled back, one is last good.
func randomCluster(rng *rand.Rand) Cluster {
	var gs []model.ServerGroup
	n := rng.IntN(5)
	var up []int
	for i := range n {
		g := group(i+1, model.ServerGroupDisabled, 0, 1+rng.IntN(5))
		if rng.IntN(3) > 0 {
			g.Status = model.ServerGroupUp
			up = append(up, i)
		} else if rng.IntN(3) == 0 {
			g.RolledBack = true
		}
		gs = append(gs, g)
	}
	if len(up) > 0 && rng.IntN(8) > 0 {
		left := 100
		for k, i := range up {
			w := left
			if k < len(up)-1 {
				w = rng.IntN(left + 1)
			}
			gs[i].Weight = w
			left -= w
		}
		gs[up[len(up)-1]].LastGood = true
	}
	return Cluster{ServerGroups: gs}
}

func randomStrategy(rng *rand.Rand) model.Strategy {
	s := model.Strategy{MaxRemaining: rng.IntN(3), BatchSize: rng.IntN(4)}
	switch rng.IntN(4) {
	case 0:
		s.Type = model.StrategyHighlander
	case 1:
		s.Type = model.StrategyRedBlack
	case 2:
		s.Type = model.StrategyRolling
	default:
		s.Type = model.StrategyCanary
		spec := &model.CanarySpec{Baseline: ptr(rng.IntN(3) > 0)}
		for range 1 + rng.IntN(5) {
			switch rng.IntN(3) {
			case 0:
				spec.Steps = append(spec.Steps, setWeight(rng.IntN(101)))
			case 1:
				spec.Steps = append(spec.Steps, pause(model.Duration(rng.IntN(3))*60e9))
			default:
				spec.Steps = append(spec.Steps, analyse(1+rng.IntN(3)))
			}
		}
		s.Canary = spec
	}
	return s
}

// TestPlanDeployProperties runs random deploys through the simulator, which
// checks at every step that traffic sums to 100, goes only to up groups that
// were waited healthy, and that nothing with traffic is destroyed or emptied.
func TestPlanDeployProperties(t *testing.T) {
	t.Parallel()
	rng := rand.New(rand.NewPCG(1, 2))
	for i := range 5000 {
		c := randomCluster(rng)
		r := Request{Version: "v99", Instances: 1 + rng.IntN(7), Strategy: randomStrategy(rng), SplitByReplicas: rng.IntN(2) == 0}
		if err := checkDeploy(c, r); err != nil {
			p, _ := PlanDeploy(c, r)
			t.Fatalf("case %d: %v\ncluster: %+v\nrequest: %+v\nplan:\n%s", i, err, c.ServerGroups, r, p.Explain())
		}
	}
}

func checkDeploy(c Cluster, r Request) error {
	p, err := PlanDeploy(c, r)
	if err != nil {
		return err
	}
	s := newSim(c)
	old := c.serving()
	floor := 0 // rolling: healthy capacity never drops below min(old, requested)
	for _, g := range old {
		floor += g.Instances
	}
	floor = min(floor, r.Instances)
	check := func(int) error {
		if r.Strategy.Type != model.StrategyRolling {
			return nil
		}
		capacity := 0
		if name, ok := s.created[RefNew]; ok {
			capacity += s.healthy[name]
		}
		for _, g := range old {
			capacity += s.healthy[g.Name]
		}
		if capacity < floor {
			return fmt.Errorf("rolling capacity %d below %d", capacity, floor)
		}
		return nil
	}
	if err := s.run(p, check); err != nil {
		return err
	}
	// Idempotence: every step applied twice ends where applying it once does.
	twice := newSim(c)
	for _, st := range p.Steps {
		if err := twice.apply(st); err != nil {
			return err
		}
		if err := twice.apply(st); err != nil {
			return fmt.Errorf("re-running %s: %w", st, err)
		}
	}
	if fmt.Sprint(twice.history()) != fmt.Sprint(s.history()) {
		return errors.New("running every step twice ends elsewhere than running it once")
	}
	return checkDeployed(s, c, r)
}

// checkDeployed checks the cluster a finished deploy leaves.
func checkDeployed(s *sim, before Cluster, r Request) error {
	after := s.cluster()
	newName := s.created[RefNew]
	nw, ok := s.groups[newName]
	if !ok || nw.Weight != 100 || !nw.LastGood || nw.Role != model.RoleProduction || nw.Instances != r.Instances {
		return fmt.Errorf("new group should end up with 100%%, last good, production, %d instances: %+v", r.Instances, nw)
	}
	good := 0
	for _, g := range after.ServerGroups {
		good += boolInt(g.LastGood)
	}
	if good != 1 {
		return fmt.Errorf("%d groups are marked last good", good)
	}
	if b, ok := s.created[RefBaseline]; ok && s.groups[b].Status != model.ServerGroupDestroyed {
		return errors.New("baseline outlived the deploy")
	}
	disabled := 0
	for _, g := range after.ServerGroups {
		disabled += boolInt(g.Status == model.ServerGroupDisabled)
	}
	switch r.Strategy.Type {
	case model.StrategyHighlander:
		if len(after.ServerGroups) != 1 {
			return fmt.Errorf("highlander left %d groups", len(after.ServerGroups))
		}
	case model.StrategyRedBlack:
		if keep := max(r.Strategy.MaxRemaining, 1); disabled > keep {
			return fmt.Errorf("red-black left %d disabled groups, maxRemaining %d", disabled, keep)
		}
	case model.StrategyCanary:
		if len(before.serving()) > 0 && disabled > r.Strategy.MaxRemaining {
			return fmt.Errorf("canary left %d disabled groups, maxRemaining %d", disabled, r.Strategy.MaxRemaining)
		}
	case model.StrategyRolling:
		for _, g := range before.serving() {
			if s.groups[g.Name].Status != model.ServerGroupDestroyed {
				return fmt.Errorf("rolling left %s running", g.Name)
			}
		}
	}
	return nil
}

// TestPlanAbortProperties stops random deploys at a random step before they
// mark the new group good, aborts them, and checks the cluster is back.
func TestPlanAbortProperties(t *testing.T) {
	t.Parallel()
	rng := rand.New(rand.NewPCG(3, 4))
	for i := range 5000 {
		before := randomCluster(rng)
		r := Request{Version: "v99", Instances: 1 + rng.IntN(7), Strategy: randomStrategy(rng), SplitByReplicas: rng.IntN(2) == 0}
		p, err := PlanDeploy(before, r)
		if err != nil {
			t.Fatal(err)
		}
		cut := 0
		for cut < len(p.Steps) && p.Steps[cut].Action != ActionMarkGood {
			cut++
		}
		cut = rng.IntN(cut + 1)
		s := newSim(before)
		if err := s.run(Plan{Steps: p.Steps[:cut]}, nil); err != nil {
			t.Fatal(err)
		}
		abort := PlanAbort(before, s.cluster(), s.created)
		if err := s.run(abort, nil); err != nil {
			t.Fatalf("case %d: %v\nabort:\n%s", i, err, abort.Explain())
		}
		for _, g := range before.serving() {
			now := s.groups[g.Name]
			if now.Status != model.ServerGroupUp || now.Instances != g.Instances || (sum(weightsOf(before)) == 100 && now.Weight != g.Weight) {
				t.Fatalf("case %d: %s is %+v after abort, was %+v\nabort:\n%s", i, g.Name, now, g, abort.Explain())
			}
		}
		for r, name := range s.created {
			if g := s.groups[name]; g.Status != model.ServerGroupDestroyed || (r == RefNew && !g.RolledBack) {
				t.Fatalf("case %d: created %s is %+v after abort", i, r, g)
			}
		}
	}
}

func weightsOf(c Cluster) map[Ref]int {
	w := map[Ref]int{}
	for _, g := range c.serving() {
		w[ref(g)] = g.Weight
	}
	return w
}

// TestPlanRollbackProperties rolls back random clusters again and again: each
// rollback moves all traffic to an older good version, never to a rolled-back
// group, and never to the version it just left.
func TestPlanRollbackProperties(t *testing.T) {
	t.Parallel()
	rng := rand.New(rand.NewPCG(5, 6))
	for i := range 3000 {
		s := newSim(randomCluster(rng))
		for range 5 {
			from := s.cluster().serving()
			p, err := PlanRollback(s.cluster(), s.history())
			if errors.Is(err, ErrNoRollbackTarget) {
				break
			}
			if err != nil {
				t.Fatal(err)
			}
			if err := s.run(p, nil); err != nil {
				t.Fatalf("case %d: %v\nplan:\n%s", i, err, p.Explain())
			}
			to := s.cluster().serving()
			if len(to) != 1 || to[0].Weight != 100 || to[0].RolledBack || !to[0].LastGood {
				t.Fatalf("case %d: after rollback serving %+v", i, to)
			}
			if len(from) > 0 && to[0].Version == from[len(from)-1].Version {
				t.Fatalf("case %d: rolled back to the version it left (%s)", i, to[0].Version)
			}
		}
	}
}
