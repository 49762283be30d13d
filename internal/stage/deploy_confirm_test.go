package stage

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/gennaker/gennaker/internal/model"
)

// staleEndpoints is what a Kubernetes target says while the EndpointSlices
// still send requests to the old group (after an API server restart).
const staleEndpoints = "Service checkout still sends requests to pod checkout-v001-abc, which was routed 0%"

// TestDeployDestroysOnlyOnceTrafficHasMoved: with stale endpoints a deploy
// routes, then waits, destroying nothing and never saying the new version
// takes all traffic; once traffic arrives it goes on.
func TestDeployDestroysOnlyOnceTrafficHasMoved(t *testing.T) {
	t.Parallel()
	b := newDeployBundle(t)
	b.deployV1(t)
	b.target.stale = staleEndpoints

	in := b.start(t, "exec-2", "v2", highlander(), clock.Add(time.Hour))
	r := b.run(t, &in, 40) // 40 calls: 10 s of waiting
	if r.Outcome != Continue {
		t.Fatalf("with stale endpoints: %s %s, want the deploy to wait", outcomeName(r.Outcome), r.Reason)
	}
	if got := output(t, r).Summary; !strings.Contains(got, "waiting for traffic to reach the routed server groups") || !strings.Contains(got, staleEndpoints) {
		t.Errorf("summary %q should say it waits and what is stale", got)
	}
	if h := b.target.takeHistory(); slices.ContainsFunc(h, func(c string) bool { return strings.HasPrefix(c, "Destroy") }) {
		t.Fatalf("destroyed a group while traffic had not moved: %v", h)
	}
	wantGroup(t, b.groups(t), "checkout-v001", model.ServerGroupUp, 0, true)

	b.target.stale = ""
	if r := b.run(t, &in, 20); r.Outcome != Succeeded {
		t.Fatalf("once traffic moved: %s %s", outcomeName(r.Outcome), r.Reason)
	}
	wantGroup(t, b.groups(t), "checkout-v001", model.ServerGroupDestroyed, 0, false)
}

// TestDeployFailsWhenTrafficNeverMoves: past the bounded wait the step
// fails with what is stale, and the abort puts traffic back on v1.
func TestDeployFailsWhenTrafficNeverMoves(t *testing.T) {
	t.Parallel()
	b := newDeployBundle(t)
	b.deployV1(t)
	b.target.stale = staleEndpoints

	in := b.start(t, "exec-2", "v2", highlander(), clock.Add(time.Hour))
	var r Result
	for range 1000 {
		if r = b.step(t, &in); r.Outcome != Continue || strings.Contains(output(t, r).Summary, "rolling back") {
			break
		}
	}
	if sum := output(t, r).Summary; !strings.Contains(sum, "rolling back: traffic did not reach the routed server groups within 1m30s: "+staleEndpoints) {
		t.Fatalf("after the bounded wait: %s %q", outcomeName(r.Outcome), sum)
	}
	b.target.stale = "" // the endpoints catch up: the abort goes through
	if r = b.run(t, &in, 40); r.Outcome != Failed || !strings.Contains(r.Reason, staleEndpoints) {
		t.Fatalf("abort: %s %q, want a failure that says what was stale", outcomeName(r.Outcome), r.Reason)
	}
	groups := b.groups(t)
	wantGroup(t, groups, "checkout-v001", model.ServerGroupUp, 100, true)
	wantGroup(t, groups, "checkout-v002", model.ServerGroupDestroyed, 0, false)
}

// TestCanaryByReplicasSizesGroups: in a replicas-mode Kubernetes
// environment the canary and baseline are sized to the weight, and a
// weight the instances cannot give is said in the output and an event;
// the local environment keeps exact weights and full instance counts.
func TestCanaryByReplicasSizesGroups(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		env       model.TargetSpec
		instances int // of the canary and baseline
		traffic   string
	}{
		{model.TargetSpec{Kind: model.TargetKubernetes, Namespace: "shop", Traffic: model.TrafficReplicas}, 1,
			"setWeight 25 with 3 instances: 33% effective; 25 needs at least 4 instances"},
		{model.TargetSpec{Kind: model.TargetKubernetes, Namespace: "shop", Traffic: model.TrafficGateway, Gateway: &model.GatewayRef{Name: "gw"}}, 3, ""},
		{model.TargetSpec{Kind: model.TargetLocal}, 3, ""},
	} {
		t.Run(string(tc.env.Kind)+"-"+string(tc.env.Traffic), func(t *testing.T) {
			t.Parallel()
			b := newDeployBundle(t)
			_, err := b.store.ConfigApply(t.Context(), model.Config{
				Applications: []model.Application{{Name: "checkout", Instances: 3, Run: model.RunSpec{Command: "/bin/sh"}}},
				Environments: []model.Environment{{Name: "cluster", Target: tc.env, FrontDoors: map[string]string{"checkout": "127.0.0.1:1"}}},
			})
			if err != nil {
				t.Fatal(err)
			}
			b.env = "cluster"
			b.deployV1(t)
			in := b.start(t, "exec-2", "v2", canary(pauseFor(0)), clock.Add(time.Hour))
			var r Result
			var said []string // the traffic_approximated events' details
			for range 40 {
				r = b.step(t, &in)
				for _, e := range r.Events {
					if e.Kind == model.EventTrafficApproximated {
						said = append(said, e.Detail)
					}
				}
				if r.Outcome != Continue {
					break
				}
			}
			if r.Outcome != WaitForPerson {
				t.Fatalf("%s %s, want the canary paused", outcomeName(r.Outcome), r.Reason)
			}
			for _, sg := range b.groups(t) {
				if sg.Role != model.RoleProduction && sg.Instances != tc.instances {
					t.Errorf("%s (%s) runs %d instances, want %d", sg.Name, sg.Role, sg.Instances, tc.instances)
				}
			}
			if got := output(t, r).Traffic; got != tc.traffic {
				t.Errorf("output traffic %q, want %q", got, tc.traffic)
			}
			if tc.traffic == "" && len(said) > 0 || tc.traffic != "" && (len(said) != 1 || !strings.HasPrefix(said[0], tc.traffic)) {
				t.Errorf("traffic_approximated events %q, want one saying %q", said, tc.traffic)
			}
		})
	}
}

// output decodes a deploy stage's output.
func output(t *testing.T, r Result) deployOutput {
	t.Helper()
	var out deployOutput
	if len(r.Output) > 0 {
		if err := json.Unmarshal(r.Output, &out); err != nil {
			t.Fatal(err)
		}
	}
	return out
}
