package kubernetes_test

import (
	"strings"
	"testing"
	"time"

	policyv1 "k8s.io/api/policy/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"

	"github.com/gennaker/gennaker/internal/model"
	"github.com/gennaker/gennaker/internal/provider/kubernetes"
)

// drainSet is a Deployment with a disruption budget, as teams ship them:
// gennaker copies the budget per server group, so a drain evicts a group's
// pods one at a time.
const drainSet = `apiVersion: apps/v1
kind: Deployment
metadata: {name: checkout}
spec:
  selector: {matchLabels: {app: checkout}}
  template:
    metadata: {labels: {app: checkout}}
    spec:
      containers: [{name: web, image: "{{image}}"}]
      affinity:  # all on one node, so draining it tests the budget
        nodeAffinity:
          preferredDuringSchedulingIgnoredDuringExecution:
          - weight: 100
            preference: {matchExpressions: [{key: kubernetes.io/hostname, operator: In, values: [NODE]}]}
---
apiVersion: policy/v1
kind: PodDisruptionBudget
metadata: {name: checkout}
spec:
  minAvailable: 1
  selector: {matchLabels: {app: checkout}}
`

// TestDrainNeverEmptiesAGroup (issue 11, defect 2): a node drain (cordon,
// then evictions that honour disruption budgets, retried as kubectl drain
// does) during a canary split never leaves a group, or the Service,
// without a ready endpoint.
func TestDrainNeverEmptiesAGroup(t *testing.T) {
	b := setup(t, model.TrafficReplicas)
	b.syncInBackground(t)
	a := app()
	a.ManifestTemplate = strings.ReplaceAll(drainSet, "NODE", b.env.Nodes[0])
	b.up(t, a, group(1, "1.0.0", 2))
	b.up(t, a, group(2, "2.0.0", 2))
	if err := b.p.Route(b.ctx, a, []kubernetes.Route{{ServerGroup: "checkout-v001", Weight: 50}, {ServerGroup: "checkout-v002", Weight: 50, Canary: true}}); err != nil {
		t.Fatal(err)
	}
	b.endpoints(t, "checkout", "checkout-v001", "checkout-v002")

	// Drain the node that runs the most of our pods.
	perNode := map[string][]string{}
	for _, g := range []string{"checkout-v001", "checkout-v002"} {
		for name, pod := range b.pods(t, g) {
			perNode[pod.Spec.NodeName] = append(perNode[pod.Spec.NodeName], name)
		}
	}
	node := ""
	for n, pods := range perNode {
		if node == "" || len(pods) > len(perNode[node]) {
			node = n
		}
	}
	probe := b.probeEndpoints(t, "checkout", "checkout-v001", "checkout-v002")
	cs := b.env.Clientset
	if _, err := cs.CoreV1().Nodes().Patch(b.ctx, node, types.MergePatchType, []byte(`{"spec":{"unschedulable":true}}`), metav1.PatchOptions{}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_, _ = cs.CoreV1().Nodes().Patch(b.ctx, node, types.MergePatchType, []byte(`{"spec":{"unschedulable":false}}`), metav1.PatchOptions{})
	})
	deadline := time.Now().Add(90 * time.Second)
	pending := perNode[node]
	refused := 0
	for len(pending) > 0 {
		var next []string
		for _, name := range pending {
			err := cs.CoreV1().Pods(b.ns).EvictV1(b.ctx, &policyv1.Eviction{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: b.ns}})
			switch {
			case err == nil || apierrors.IsNotFound(err):
			case apierrors.IsTooManyRequests(err): // the budget says wait, as kubectl drain hears it
				refused++
				next = append(next, name)
			default:
				t.Fatalf("evicting %s: %v", name, err)
			}
		}
		pending = next
		if time.Now().After(deadline) {
			t.Fatalf("drain of %s: pods %v still not evicted after 90 s", node, pending)
		}
		time.Sleep(200 * time.Millisecond)
	}
	b.endpoints(t, "checkout", "checkout-v001", "checkout-v002")
	for _, g := range []string{"checkout-v001", "checkout-v002"} {
		if n := len(b.pods(t, g)); n != 2 {
			t.Errorf("%s has %d pods after the drain, want 2", g, n)
		}
	}
	minTotal, minGroup, states := probe.result()
	t.Logf("drained %s (%d of our pods, %d evictions refused by a budget): %d EndpointSlice states, fewest ready endpoints %d, per group %v",
		node, len(perNode[node]), refused, states, minTotal, minGroup)
	if refused == 0 {
		t.Errorf("no eviction was refused: the disruption budgets were not tested (pods per node %v)", perNode)
	}
	for g, n := range minGroup {
		if n < 1 {
			t.Errorf("server group %s had no ready endpoint during the drain", g)
		}
	}
}
