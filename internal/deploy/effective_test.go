package deploy

import (
	"testing"

	"github.com/gennaker/gennaker/internal/model"
)

// Status shows the split a replicas-mode Kubernetes environment really
// serves (by healthy instances) beside the wanted one; exact-weight targets
// serve what they are asked.
func TestSetEffectiveWeights(t *testing.T) {
	t.Parallel()
	group := func(name string, status model.ServerGroupStatus, weight, healthy int) ServerGroupStatus {
		return ServerGroupStatus{ServerGroup: model.ServerGroup{Name: name, Status: status, Weight: weight}, Healthy: healthy, Total: healthy}
	}
	cluster := func() []ServerGroupStatus {
		return []ServerGroupStatus{
			group("app-v001", model.ServerGroupDisabled, 0, 3),
			group("app-v002", model.ServerGroupUp, 80, 1),
			group("app-v003", model.ServerGroupUp, 10, 1),
			group("app-v004", model.ServerGroupUp, 10, 1),
		}
	}
	for _, tc := range []struct {
		target model.TargetSpec
		want   []int
	}{
		{model.TargetSpec{Kind: model.TargetKubernetes, Traffic: model.TrafficReplicas}, []int{0, 34, 33, 33}},
		{model.TargetSpec{Kind: model.TargetKubernetes, Traffic: model.TrafficGateway}, []int{0, 80, 10, 10}},
		{model.TargetSpec{Kind: model.TargetLocal}, []int{0, 80, 10, 10}},
	} {
		gs := cluster()
		setEffectiveWeights(tc.target, gs)
		for i, g := range gs {
			if g.EffectiveWeight != tc.want[i] {
				t.Errorf("%s %s: %s effective %d%%, want %d%%", tc.target.Kind, tc.target.Traffic, g.Name, g.EffectiveWeight, tc.want[i])
			}
		}
	}
}
