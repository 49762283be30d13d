package kubernetes_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	policyv1 "k8s.io/api/policy/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/intstr"

	"github.com/gennaker/gennaker/internal/model"
	"github.com/gennaker/gennaker/internal/provider/kubernetes"
)

// syncInBackground runs the provider's pod watch for the rest of the test
// (with a resync too long to matter: the watch must do the work).
func (b bundle) syncInBackground(t *testing.T) {
	t.Helper()
	ctx, cancel := context.WithCancel(b.ctx)
	done := make(chan error, 1)
	go func() { done <- b.p.RunTrafficSync(ctx, 10*time.Minute) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("RunTrafficSync: %v", err)
		}
	})
}

// restart does what `kubectl rollout restart` does and waits for the rollout.
func (b bundle) restart(t *testing.T, deployment string) {
	t.Helper()
	body := fmt.Appendf(nil, `{"spec":{"template":{"metadata":{"annotations":{"kubectl.kubernetes.io/restartedAt":%q}}}}}`, time.Now().Format(time.RFC3339Nano))
	if _, err := b.env.Clientset.AppsV1().Deployments(b.ns).Patch(b.ctx, deployment, types.StrategicMergePatchType, body, metav1.PatchOptions{}); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(time.Minute)
	for {
		d, err := b.env.Clientset.AppsV1().Deployments(b.ns).Get(b.ctx, deployment, metav1.GetOptions{})
		if err != nil {
			t.Fatal(err)
		}
		s := d.Status
		want := *d.Spec.Replicas
		if s.ObservedGeneration >= d.Generation && s.UpdatedReplicas == want && s.AvailableReplicas == want && s.Replicas == want {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("rollout restart of %s did not finish: %+v", deployment, s)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// allPods lists every live pod in the namespace and fails on a pod that no
// controller owns (stranded).
func (b bundle) allPods(t *testing.T) []corev1.Pod {
	t.Helper()
	list, err := b.env.Clientset.CoreV1().Pods(b.ns).List(b.ctx, metav1.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	var out []corev1.Pod
	for _, p := range list.Items {
		if p.DeletionTimestamp != nil {
			continue
		}
		if metav1.GetControllerOf(&p) == nil {
			t.Errorf("pod %s has no controller: stranded (labels %v)", p.Name, p.Labels)
		}
		out = append(out, p)
	}
	return out
}

// podsMatchTheirReplicaSets fails for a live pod whose labels no longer
// match the selector of the ReplicaSet that owns it.
func (b bundle) podsMatchTheirReplicaSets(t *testing.T) {
	t.Helper()
	rss, err := b.env.Clientset.AppsV1().ReplicaSets(b.ns).List(b.ctx, metav1.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	byUID := map[types.UID]labels.Selector{}
	for _, rs := range rss.Items {
		sel, err := metav1.LabelSelectorAsSelector(rs.Spec.Selector)
		if err != nil {
			t.Fatal(err)
		}
		byUID[rs.UID] = sel
	}
	for _, p := range b.allPods(t) {
		ref := metav1.GetControllerOf(&p)
		if ref == nil {
			continue // allPods reported it
		}
		if sel, ok := byUID[ref.UID]; ok && !sel.Matches(labels.Set(p.Labels)) {
			t.Errorf("pod %s no longer matches its ReplicaSet %s (%s): labels %v", p.Name, ref.Name, sel, p.Labels)
		}
	}
}

// TestAdoptedSelectorDoesNotCaptureLaterGroups (issue 11, defect 1): an
// adopted Deployment selecting app=checkout matches the pods of every later
// group rendered from the same manifest. Its pods are found by ownership,
// so no pod is relabelled out of its ReplicaSet and the pod count stays put.
func TestAdoptedSelectorDoesNotCaptureLaterGroups(t *testing.T) {
	b := setup(t, model.TrafficReplicas)
	b.syncInBackground(t)
	sel := map[string]string{"app": "checkout"}
	legacy := &appsv1Deployment{Name: "checkout", Replicas: 2, Labels: sel, Image: "registry.example.com/checkout:0.9.1"}
	if err := legacy.create(b); err != nil {
		t.Fatal(err)
	}
	if err := b.p.WaitHealthy(b.ctx, "checkout"); err != nil {
		t.Fatal(err)
	}
	if _, err := b.p.Adopt(b.ctx, app(), "checkout", false); err != nil {
		t.Fatal(err)
	}
	b.route(t, kubernetes.Route{ServerGroup: "checkout-v001", Weight: 100})

	// The team's manifest of the same Deployment becomes gennaker's template.
	a := app()
	a.ManifestTemplate = `apiVersion: apps/v1
kind: Deployment
metadata:
  name: checkout
  labels: {app: checkout}
spec:
  selector: {matchLabels: {app: checkout}}
  template:
    metadata:
      labels: {app: checkout}
    spec:
      containers:
      - name: web
        image: "{{image}}"
`
	b.up(t, a, group(2, "1.0.0", 2))
	b.up(t, a, group(3, "1.0.0", 2))
	if err := b.p.Route(b.ctx, a, []kubernetes.Route{{ServerGroup: "checkout-v001", Weight: 50}, {ServerGroup: "checkout-v002", Weight: 25}, {ServerGroup: "checkout-v003", Weight: 25, Canary: true}}); err != nil {
		t.Fatal(err)
	}
	b.endpoints(t, "checkout", "checkout-v001", "checkout-v002", "checkout-v003")
	for range 3 { // the periodic relabel, as the server runs it
		if err := b.p.SyncTraffic(b.ctx); err != nil {
			t.Fatal(err)
		}
	}
	// A pod relabelled out of its ReplicaSet no longer matches its
	// selector (the controller then releases and replaces it: pods grew
	// 14 -> 38 in 50 s). Checked at once, with no time for that to happen.
	b.podsMatchTheirReplicaSets(t)
	if n := len(b.allPods(t)); n != 6 {
		t.Fatalf("%d pods after the canary split, want 6 (2 per group): pods were taken out of their ReplicaSets", n)
	}
	if err := b.p.Route(b.ctx, a, []kubernetes.Route{{ServerGroup: "checkout-v001", Weight: 0}, {ServerGroup: "checkout-v002", Weight: 0}, {ServerGroup: "checkout-v003", Weight: 100}}); err != nil {
		t.Fatal(err)
	}
	b.endpoints(t, "checkout", "checkout-v003")
	if err := b.p.SyncTraffic(b.ctx); err != nil {
		t.Fatal(err)
	}
	for _, p := range b.allPods(t) {
		if g := p.Labels[kubernetes.LabelServerGroup]; g == "checkout-v003" && p.Labels[kubernetes.LabelEnabled] != "true" {
			t.Errorf("promoted pod %s is labelled %s=%s", p.Name, kubernetes.LabelEnabled, p.Labels[kubernetes.LabelEnabled])
		}
	}
	if n := len(b.allPods(t)); n != 6 {
		t.Errorf("%d pods after promotion, want 6", n)
	}
}

// TestRestartsNeverEmptyTheService (issue 11, defect 2): `kubectl rollout
// restart` of the serving group, alone and in a canary split, and an
// eviction, under a probe that sees every EndpointSlice state: there is
// never a moment without ready endpoints.
func TestRestartsNeverEmptyTheService(t *testing.T) {
	b := setup(t, model.TrafficReplicas)
	b.syncInBackground(t)
	b.up(t, app(), group(1, "1.0.0", 2))
	b.route(t, kubernetes.Route{ServerGroup: "checkout-v001", Weight: 100})
	b.endpoints(t, "checkout", "checkout-v001")

	probe := b.probeEndpoints(t, "checkout", "checkout-v001")
	b.restart(t, "checkout-v001")
	b.endpoints(t, "checkout", "checkout-v001")
	minTotal, _, states := probe.result()
	t.Logf("one group serving: restart seen in %d EndpointSlice states, fewest ready endpoints %d", states, minTotal)
	if minTotal < 1 {
		t.Errorf("the Service had no ready endpoint during a rollout restart of the serving group")
	}

	// A canary split: the Service selects the enabled label, so new pods of
	// an enabled group must be labelled before they are Ready.
	b.up(t, app(), group(2, "2.0.0", 2))
	b.route(t, kubernetes.Route{ServerGroup: "checkout-v001", Weight: 50}, kubernetes.Route{ServerGroup: "checkout-v002", Weight: 50, Canary: true})
	b.endpoints(t, "checkout", "checkout-v001", "checkout-v002")
	probe = b.probeEndpoints(t, "checkout", "checkout-v001", "checkout-v002")
	b.restart(t, "checkout-v001")
	b.restart(t, "checkout-v002")
	b.endpoints(t, "checkout", "checkout-v001", "checkout-v002")
	minTotal, minGroup, states := probe.result()
	t.Logf("canary split: restarts seen in %d states, fewest ready endpoints %d, per group %v", states, minTotal, minGroup)
	for g, n := range minGroup {
		if n < 1 {
			t.Errorf("server group %s had no ready endpoint in the Service during its rollout restart", g)
		}
	}

	// An eviction (as a node drain does): the replacement joins traffic.
	pods := b.pods(t, "checkout-v002")
	names := slices.Sorted(func(yield func(string) bool) {
		for n := range pods {
			if !yield(n) {
				return
			}
		}
	})
	probe = b.probeEndpoints(t, "checkout", "checkout-v001", "checkout-v002")
	err := b.env.Clientset.CoreV1().Pods(b.ns).EvictV1(b.ctx, &policyv1.Eviction{ObjectMeta: metav1.ObjectMeta{Name: names[0], Namespace: b.ns}})
	if err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(30 * time.Second)
	for {
		cur := b.pods(t, "checkout-v002")
		if _, gone := cur[names[0]]; !gone && len(cur) == 2 {
			if err := waitEndpoints(b, "checkout", 4); err == nil {
				break
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("the evicted pod's replacement did not join traffic in 30 s")
		}
		time.Sleep(100 * time.Millisecond)
	}
	minTotal, minGroup, _ = probe.result()
	if minGroup["checkout-v002"] < 1 || minTotal < 1 {
		t.Errorf("after an eviction: fewest ready endpoints %d, per group %v", minTotal, minGroup)
	}
}

// waitEndpoints reports whether the Service has n ready endpoints now.
func waitEndpoints(b bundle, service string, n int) error {
	list, err := b.env.Clientset.DiscoveryV1().EndpointSlices(b.ns).List(b.ctx, metav1.ListOptions{LabelSelector: "kubernetes.io/service-name=" + service})
	if err != nil {
		return err
	}
	got := 0
	for _, s := range list.Items {
		for _, e := range s.Endpoints {
			if e.Conditions.Ready == nil || *e.Conditions.Ready {
				got++
			}
		}
	}
	if got != n {
		return fmt.Errorf("%d ready endpoints, want %d", got, n)
	}
	return nil
}

// TestTwoEnvironmentsCannotShareANamespace (issue 11, defect 5): qa pointed
// at prod's namespace is refused instead of taking prod's traffic.
func TestTwoEnvironmentsCannotShareANamespace(t *testing.T) {
	prod := setup(t, model.TrafficReplicas)
	qa := setupWith(t, prod.env, prod.ns, kubernetes.Config{Environment: "qa", Traffic: model.TrafficReplicas, Backoff: kubernetes.Backoff{Budget: 5 * time.Second}})
	sg := group(1, "1.0.0", 1)
	sg.Environment = "it"
	prod.up(t, app(), sg)
	prod.route(t, kubernetes.Route{ServerGroup: sg.Name, Weight: 100})

	mine := group(2, "2.0.0", 1)
	mine.Environment = "qa"
	if err := qa.p.Ensure(qa.ctx, mine, app()); err != nil {
		t.Fatal(err) // another name: creating it takes nothing from prod
	}
	err := qa.p.Route(qa.ctx, app(), []kubernetes.Route{{ServerGroup: mine.Name, Weight: 100}})
	if !errors.Is(err, kubernetes.ErrSharedNamespace) {
		t.Fatalf("qa routing in prod's namespace: %v, want ErrSharedNamespace", err)
	}
	same := group(1, "9.9.9", 1)
	same.Environment = "qa"
	if err := qa.p.Ensure(qa.ctx, same, app()); !errors.Is(err, kubernetes.ErrSharedNamespace) {
		t.Fatalf("qa applying prod's checkout-v001: %v, want ErrSharedNamespace", err)
	}
	prod.endpoints(t, "checkout", "checkout-v001")
	d, err := prod.env.Clientset.AppsV1().Deployments(prod.ns).Get(prod.ctx, "checkout-v001", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if d.Annotations[kubernetes.AnnotationEnabled] != "true" || d.Spec.Template.Spec.Containers[0].Image != "registry.example.com/checkout:1.0.0" {
		t.Errorf("prod's group was changed by qa: enabled=%s image=%s", d.Annotations[kubernetes.AnnotationEnabled], d.Spec.Template.Spec.Containers[0].Image)
	}
}

// TestServicePortsAndTheTeamsService (issue 11, defect 7): the stable
// Service has the ports spec.service declares; a Service the team created is
// left alone unless handed over, and then keeps its ports.
func TestServicePortsAndTheTeamsService(t *testing.T) {
	b := setup(t, model.TrafficReplicas)
	a := app()
	a.Name = "cartservice"
	a.Service = &model.ServiceSpec{Ports: []model.ServicePort{{Name: "grpc", Port: 7070, TargetPort: model.PortRef{Number: 7070}, AppProtocol: "grpc"}}}
	cart := model.ServerGroup{Name: "cartservice-v001", Application: "cartservice", Sequence: 1, Version: "1.0.0", Instances: 1}
	b.up(t, a, cart)
	if err := b.p.Route(b.ctx, a, []kubernetes.Route{{ServerGroup: cart.Name, Weight: 100}}); err != nil {
		t.Fatal(err)
	}
	svc, err := b.env.Clientset.CoreV1().Services(b.ns).Get(b.ctx, "cartservice", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if len(svc.Spec.Ports) != 1 || svc.Spec.Ports[0].Port != 7070 || svc.Spec.Ports[0].Name != "grpc" ||
		svc.Spec.Ports[0].AppProtocol == nil || *svc.Spec.Ports[0].AppProtocol != "grpc" || svc.Spec.Ports[0].TargetPort.IntVal != 7070 {
		t.Errorf("cartservice ports = %+v, want only grpc 7070 -> 7070 (appProtocol grpc)", svc.Spec.Ports)
	}

	// The team's own Service and Deployment, as microservices-demo ships them.
	sel := map[string]string{"app": "checkout"}
	team := &corev1.Service{
		ObjectMeta: metav1.ObjectMeta{Name: "checkout", Labels: map[string]string{"team": "shop"}},
		Spec:       corev1.ServiceSpec{Selector: sel, Ports: []corev1.ServicePort{{Name: "grpc", Port: 5050, TargetPort: intstr.FromInt32(5050)}}},
	}
	if _, err := b.env.Clientset.CoreV1().Services(b.ns).Create(b.ctx, team, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	legacy := &appsv1Deployment{Name: "checkoutservice", Replicas: 2, Labels: sel, Image: "registry.example.com/checkout:0.9.1"}
	if err := legacy.create(b); err != nil {
		t.Fatal(err)
	}
	if err := b.p.WaitHealthy(b.ctx, "checkoutservice"); err != nil {
		t.Fatal(err)
	}
	_, err = b.p.Adopt(b.ctx, app(), "checkoutservice", false)
	if !errors.Is(err, kubernetes.ErrForeignService) {
		t.Fatalf("adopting beside the team's Service checkout: %v, want ErrForeignService", err)
	}
	d, _ := b.env.Clientset.AppsV1().Deployments(b.ns).Get(b.ctx, "checkoutservice", metav1.GetOptions{})
	if d.Labels[kubernetes.LabelServerGroup] != "" {
		t.Errorf("a refused adoption labelled the Deployment: %v", d.Labels)
	}
	sg, err := b.p.Adopt(b.ctx, app(), "checkoutservice", true)
	if err != nil {
		t.Fatal(err)
	}
	b.route(t, kubernetes.Route{ServerGroup: sg.Name, Weight: 100})
	b.endpoints(t, "checkout", "checkout-v001")
	svc, err = b.env.Clientset.CoreV1().Services(b.ns).Get(b.ctx, "checkout", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if len(svc.Spec.Ports) != 1 || svc.Spec.Ports[0].Port != 5050 || svc.Spec.Ports[0].Name != "grpc" {
		t.Errorf("the handed-over Service's ports = %+v, want the team's grpc 5050 alone", svc.Spec.Ports)
	}
	if svc.Labels["team"] != "shop" {
		t.Errorf("the team's labels were dropped: %v", svc.Labels)
	}
}
