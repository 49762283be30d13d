package server_test

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/gennaker/gennaker/internal/client"
	"github.com/gennaker/gennaker/internal/deploy"
	"github.com/gennaker/gennaker/internal/model"
	"github.com/gennaker/gennaker/test/k8senv"
)

// k8sServerAs is k8sServer on the given control plane, acting as the
// documented gennaker ServiceAccount (docs/kubernetes-rbac.yaml) of a fresh
// namespace, as users run it: RBAC applies.
func k8sServerAs(t *testing.T, kc *k8senv.Env, env string, instances int, traffic model.TrafficMode, pipelines ...model.Pipeline) (string, *client.Client) {
	t.Helper()
	ns := kc.Namespace(t)
	c := startServer(t)
	e := k8sEnvironment(t, env, kc, ns, traffic) // as the ServiceAccount
	cfg := model.Config{Applications: []model.Application{k8sApplication(instances)}, Environments: []model.Environment{e}, Pipelines: pipelines}
	if _, err := c.Apply(context.Background(), cfg); err != nil {
		t.Fatal(err)
	}
	return ns, c
}

// stageSummary is the summary a deploy stage reports now.
func stageSummary(t *testing.T, c *client.Client, id string) (model.ExecutionStatus, string) {
	t.Helper()
	e, err := c.Execution(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	var out struct {
		Summary string `json:"summary"`
		Traffic string `json:"traffic"`
	}
	if len(e.Stages) > 0 && len(e.Stages[0].Output) > 0 {
		if err := json.Unmarshal(e.Stages[0].Output, &out); err != nil {
			t.Fatal(err)
		}
	}
	return e.Status, out.Summary + "\x00" + out.Traffic
}

// TestKubernetesDeployWaitsForStaleEndpoints: with the EndpointSlice
// controller frozen (as after an API server restart, when slices stayed
// stale for ~24 s), the old pods keep every endpoint of the stable Service
// after the route. A deploy must then neither destroy the old group nor say
// the new version takes all traffic; once the slices catch up it finishes.
// Before ConfirmTraffic, the highlander deploy destroyed shop-v001 at once.
func TestKubernetesDeployWaitsForStaleEndpoints(t *testing.T) {
	t.Parallel()
	kc := k8senv.Start(t) // its own control plane: this test stops a controller
	ns, c := k8sServerAs(t, kc, "k8s", 2, model.TrafficReplicas, deployPipeline("hl", "k8s", model.Strategy{Type: model.StrategyHighlander}))
	ctx := context.Background()
	e, err := c.Deploy(ctx, deploy.Request{Application: k8sApp, Environment: "k8s", Version: "1.0.0", Pipeline: "hl"})
	mustSucceed(t, c, e, err)

	if err := kc.RestartControllerManager("*,-endpointslice-controller"); err != nil {
		t.Fatal(err)
	}
	thawed := false
	t.Cleanup(func() {
		if !thawed {
			_ = kc.RestartControllerManager("*")
		}
	})
	e, err = c.Deploy(ctx, deploy.Request{Application: k8sApp, Environment: "k8s", Version: "2.0.0", Pipeline: "hl"})
	if err != nil {
		t.Fatal(err)
	}
	// Wait until the deploy has routed (the pods are relabelled, the
	// Service's slices are not), then watch it wait.
	deadline := time.Now().Add(90 * time.Second)
	for deployments(t, kc, ns)["shop-v002"] != "2.0.0 enabled=true" {
		if time.Now().After(deadline) {
			t.Fatalf("the deploy never routed to shop-v002: Deployments %v", deployments(t, kc, ns))
		}
		time.Sleep(50 * time.Millisecond)
	}
	routed := time.Now()
	var summary string
	for time.Since(routed) < 5*time.Second {
		var status model.ExecutionStatus
		status, summary = stageSummary(t, c, e.ID)
		if status != model.ExecutionRunning {
			t.Fatalf("with stale EndpointSlices the deploy ended (%s): %q", status, summary)
		}
		if _, ok := deployments(t, kc, ns)["shop-v001"]; !ok {
			t.Fatal("shop-v001 was destroyed while the Service's endpoints were still its pods")
		}
		time.Sleep(250 * time.Millisecond)
	}
	for _, want := range []string{"waiting for traffic to reach the routed server groups", "still sends requests to pod shop-v001-", "no ready endpoint yet for shop-v002"} {
		if !strings.Contains(summary, want) {
			t.Errorf("the stage's summary %q should say %q", summary, want)
		}
	}

	if err := kc.RestartControllerManager("*"); err != nil {
		t.Fatal(err)
	}
	thawed = true
	start := time.Now()
	mustSucceed(t, c, e, nil)
	t.Logf("the deploy finished %s after the EndpointSlice controller came back", time.Since(start).Round(time.Millisecond))
	if got := deployments(t, kc, ns); len(got) != 1 || got["shop-v002"] != "2.0.0 enabled=true" {
		t.Errorf("after the deploy: Deployments %v, want only shop-v002", got)
	}
}

// TestKubernetesCanaryByReplicaCounts: in replicas mode the canary and the
// baseline are sized to the weight, the serving group shrinks to the rest,
// status shows the effective split beside the wanted one, and a weight the
// instances cannot give is said; promotion grows the canary to the full count.
func TestKubernetesCanaryByReplicaCounts(t *testing.T) {
	t.Parallel()
	kc := k8senv.Shared(t)
	weight := func(w int) model.CanaryStep { return model.CanaryStep{SetWeight: &w} }
	approval := model.CanaryStep{Pause: &model.PauseStep{}}
	ns, c := k8sServerAs(t, kc, "k8s", 3, model.TrafficReplicas,
		deployPipeline("hl", "k8s", model.Strategy{Type: model.StrategyHighlander}),
		deployPipeline("canary", "k8s", model.Strategy{Type: model.StrategyCanary, Canary: &model.CanarySpec{Steps: []model.CanaryStep{weight(25), approval}}}))
	ctx := context.Background()
	e, err := c.Deploy(ctx, deploy.Request{Application: k8sApp, Environment: "k8s", Version: "1.0.0", Pipeline: "hl"})
	mustSucceed(t, c, e, err)
	e, err = c.Deploy(ctx, deploy.Request{Application: k8sApp, Environment: "k8s", Version: "2.0.0", Pipeline: "canary"})
	if err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(90 * time.Second)
	for {
		got, err := c.Execution(ctx, e.ID)
		if err != nil {
			t.Fatal(err)
		}
		if got.Status.Terminal() {
			t.Fatalf("canary ended %s: %s", got.Status, got.Reason)
		}
		if len(got.Stages) > 0 && got.Stages[0].Status == model.StageWaiting {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the canary never reached its pause")
		}
		time.Sleep(100 * time.Millisecond)
	}
	// shop-v001 served with 3; baseline shop-v002 and canary shop-v003 get
	// ceil(25% of 3) = 1 each, shop-v001 keeps 1 (never 0).
	want := map[string]int32{"shop-v001": 1, "shop-v002": 1, "shop-v003": 1}
	for name, n := range want {
		d, err := kc.Clientset.AppsV1().Deployments(ns).Get(ctx, name, metav1.GetOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if *d.Spec.Replicas != n {
			t.Errorf("%s has %d replicas, want %d", name, *d.Spec.Replicas, n)
		}
	}
	wantSplit := map[string][2]int{"shop-v001": {50, 34}, "shop-v002": {25, 33}, "shop-v003": {25, 33}}
	deadline = time.Now().Add(30 * time.Second)
	for {
		ok := true
		var got []string
		for _, g := range groups(t, c, "k8s") {
			w := wantSplit[g.Name]
			ok = ok && g.Weight == w[0] && g.EffectiveWeight == w[1]
			got = append(got, fmt.Sprintf("%s %d%%/%d%%", g.Name, g.Weight, g.EffectiveWeight))
		}
		if ok {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("status split (wanted/effective) %v, want %v", got, wantSplit)
		}
		time.Sleep(200 * time.Millisecond)
	}
	if _, s := stageSummary(t, c, e.ID); !strings.Contains(s, "setWeight 25 with 3 instances: 33% effective; 25 needs at least 4 instances") {
		t.Errorf("the stage should say the weight cannot be met: %q", s)
	}

	if _, err := c.Judge(ctx, e.ID, model.DecisionApprove, "", "ok"); err != nil {
		t.Fatal(err)
	}
	mustSucceed(t, c, e, nil)
	d, err := kc.Clientset.AppsV1().Deployments(ns).Get(ctx, "shop-v003", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if *d.Spec.Replicas != 3 {
		t.Errorf("the promoted canary has %d replicas, want 3", *d.Spec.Replicas)
	}
}
