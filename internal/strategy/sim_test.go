package strategy

import (
	"fmt"
	"maps"
	"slices"

	"github.com/gennaker/gennaker/internal/model"
)

// sim is a toy executor: it applies plans to an in-memory cluster and checks,
// at every step, the rules a real executor relies on. It is the referee of
// the property tests.
type sim struct {
	groups  map[string]*model.ServerGroup
	healthy map[string]int // healthy instances per group
	created map[Ref]string // Ref -> name, as the executor records it
	waited  map[string]bool
	nextSeq int
}

func newSim(c Cluster) *sim {
	s := &sim{groups: map[string]*model.ServerGroup{}, healthy: map[string]int{}, created: map[Ref]string{}, waited: map[string]bool{}}
	for _, g := range c.ServerGroups {
		g := g
		s.groups[g.Name] = &g
		s.healthy[g.Name] = g.Instances
		s.waited[g.Name] = true
		s.nextSeq = max(s.nextSeq, g.Sequence)
	}
	s.nextSeq++
	return s
}

func (s *sim) clone() *sim {
	c := &sim{groups: map[string]*model.ServerGroup{}, healthy: maps.Clone(s.healthy), created: maps.Clone(s.created),
		waited: maps.Clone(s.waited), nextSeq: s.nextSeq}
	for n, g := range s.groups {
		g := *g
		c.groups[n] = &g
	}
	return c
}

// cluster is the non-destroyed groups, as a planner would be given them.
func (s *sim) cluster() Cluster {
	var c Cluster
	for _, g := range s.history() {
		if g.Status != model.ServerGroupDestroyed {
			c.ServerGroups = append(c.ServerGroups, g)
		}
	}
	return c
}

// history is every group, destroyed included, oldest first.
func (s *sim) history() []model.ServerGroup {
	var out []model.ServerGroup
	for _, g := range s.groups {
		out = append(out, *g)
	}
	slices.SortFunc(out, func(a, b model.ServerGroup) int { return a.Sequence - b.Sequence })
	return out
}

func (s *sim) name(r Ref) string {
	if n, ok := s.created[r]; ok {
		return n
	}
	return string(r)
}

func (s *sim) resolve(r Ref) (*model.ServerGroup, error) {
	g, ok := s.groups[s.name(r)]
	if !ok || g.Status == model.ServerGroupDestroyed {
		return nil, fmt.Errorf("%s: no running server group", r)
	}
	return g, nil
}

func (s *sim) totalWeight() int {
	t := 0
	for _, g := range s.groups {
		t += g.Weight
	}
	return t
}

// apply runs one step and reports the first broken rule.
func (s *sim) apply(st Step) error {
	switch st.Action {
	case ActionCreate:
		if _, ok := s.created[st.Ref]; ok {
			return nil // idempotent: the executor finds the name it recorded
		}
		if st.Instances < 1 || st.Version == "" {
			return fmt.Errorf("create %s with %d instances of %q", st.Ref, st.Instances, st.Version)
		}
		name := model.ServerGroupName("app", s.nextSeq)
		s.groups[name] = &model.ServerGroup{Name: name, Sequence: s.nextSeq, Version: st.Version, Role: st.Role,
			Status: model.ServerGroupUp, Instances: st.Instances}
		s.created[st.Ref] = name
		s.nextSeq++
		return nil
	case ActionPause:
		return nil
	case ActionAnalysis:
		for _, r := range []Ref{st.Ref, st.Against} {
			if _, err := s.resolve(r); err != nil {
				return fmt.Errorf("analysis: %w", err)
			}
		}
		return nil
	case ActionSetTraffic:
		return s.setTraffic(st)
	}
	if st.Action == ActionDestroy {
		if g, ok := s.groups[s.name(st.Ref)]; ok && g.Status == model.ServerGroupDestroyed {
			return nil // idempotent: already destroyed
		}
	}
	g, err := s.resolve(st.Ref)
	if err != nil {
		return fmt.Errorf("%s: %w", st.Action, err)
	}
	switch st.Action {
	case ActionWaitHealthy:
		s.healthy[g.Name] = g.Instances
		s.waited[g.Name] = true
	case ActionDisable:
		g.Status, g.Weight = model.ServerGroupDisabled, 0
	case ActionEnable:
		g.Status = model.ServerGroupUp
	case ActionResize:
		if st.Instances == 0 && g.Weight > 0 {
			return fmt.Errorf("resize %s to 0 while it has %d%% of traffic", g.Name, g.Weight)
		}
		if st.Instances > g.Instances {
			s.waited[g.Name] = false
		}
		g.Instances = st.Instances
		s.healthy[g.Name] = min(s.healthy[g.Name], st.Instances)
	case ActionDestroy:
		if g.Weight > 0 {
			return fmt.Errorf("destroy %s while it has %d%% of traffic", g.Name, g.Weight)
		}
		g.Status = model.ServerGroupDestroyed
	case ActionMarkGood:
		for _, o := range s.groups {
			o.LastGood = false
		}
		g.LastGood, g.Role = true, model.RoleProduction
	case ActionMarkRolledBack:
		g.RolledBack = true
	default:
		return fmt.Errorf("unknown action %q", st.Action)
	}
	return nil
}

func (s *sim) setTraffic(st Step) error {
	if t := sum(st.Weights); t != 100 {
		return fmt.Errorf("set-traffic weights sum to %d, not 100: %v", t, st.Weights)
	}
	next := map[string]int{}
	for r, w := range st.Weights {
		if w < 0 {
			return fmt.Errorf("negative weight %d for %s", w, r)
		}
		g, err := s.resolve(r)
		if err != nil {
			return fmt.Errorf("set-traffic: %w", err)
		}
		if w > 0 && g.Status != model.ServerGroupUp {
			return fmt.Errorf("set-traffic gives %d%% to %s, which is %s", w, g.Name, g.Status)
		}
		if w > 0 && (!s.waited[g.Name] || s.healthy[g.Name] == 0) {
			return fmt.Errorf("set-traffic gives %d%% to %s before it was waited healthy", w, g.Name)
		}
		next[g.Name] = w
	}
	if st.CanaryRef != "" {
		if _, err := s.resolve(st.CanaryRef); err != nil {
			return fmt.Errorf("set-traffic canary header: %w", err)
		}
	}
	for n, g := range s.groups {
		g.Weight = next[n]
	}
	return nil
}

// run applies a whole plan, calling check after every step.
func (s *sim) run(p Plan, check func(i int) error) error {
	for i, st := range p.Steps {
		if err := s.apply(st); err != nil {
			return fmt.Errorf("step %d (%s): %w", i+1, st, err)
		}
		if check != nil {
			if err := check(i); err != nil {
				return fmt.Errorf("after step %d (%s): %w", i+1, st, err)
			}
		}
	}
	return nil
}
