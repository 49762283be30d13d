package kubernetes_test

// Integration tests against a real kube-apiserver, etcd, controller-manager,
// scheduler and kwok (test/k8senv). Pods on kwok run no containers: these
// tests check Kubernetes objects and their status, not traffic. Skipped when
// the binaries are not built (scripts/k8s/build.sh).

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"maps"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/gennaker/gennaker/internal/model"
	"github.com/gennaker/gennaker/internal/provider/kubernetes"
	"github.com/gennaker/gennaker/test/k8senv"
)

func TestMain(m *testing.M) { os.Exit(k8senv.RunShared(m)) }

// bundle is the per-test setup: a namespace on the shared control plane and
// a provider for it.
type bundle struct {
	env *k8senv.Env
	ns  string
	p   *kubernetes.Provider
	ctx context.Context
}

func setup(t *testing.T, traffic model.TrafficMode) bundle {
	t.Helper()
	t.Parallel()
	env := k8senv.Shared(t)
	return setupOn(t, env, env.Namespace(t), traffic)
}

func setupOn(t *testing.T, env *k8senv.Env, ns string, traffic model.TrafficMode) bundle {
	t.Helper()
	cfg := kubernetes.Config{Environment: "it", Traffic: traffic}
	if traffic == model.TrafficGateway {
		cfg.Gateway = &model.GatewayRef{Name: "public"}
	}
	return setupWith(t, env, ns, cfg)
}

// setupWith builds the bundle's provider from cfg for namespace ns, acting
// as the documented gennaker ServiceAccount of ns (never the admin
// certificate), with a quiet logger and a fast poll unless cfg says.
func setupWith(t *testing.T, env *k8senv.Env, ns string, cfg kubernetes.Config) bundle {
	t.Helper()
	cfg.Kubeconfig, cfg.Namespace = env.ServiceAccount(t, ns).Kubeconfig, ns
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	if cfg.PollInterval == 0 {
		cfg.PollInterval = 100 * time.Millisecond
	}
	p, err := kubernetes.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	t.Cleanup(cancel)
	return bundle{env: env, ns: ns, p: p, ctx: ctx}
}

func app() model.Application {
	return model.Application{
		Name: "checkout", Image: "registry.example.com/checkout:{{version}}", Port: 8080,
		HealthCheck: model.HealthCheck{Path: "/healthz", Interval: model.Duration(time.Second), Timeout: model.Duration(time.Second), StartupTimeout: model.Duration(30 * time.Second)},
	}
}

func group(seq int, version string, n int) model.ServerGroup {
	return model.ServerGroup{Name: model.ServerGroupName("checkout", seq), Application: "checkout", Sequence: seq, Version: version, Instances: n}
}

// up ensures a server group and waits until it is available.
func (b bundle) up(t *testing.T, a model.Application, sg model.ServerGroup) {
	t.Helper()
	start := time.Now()
	if err := b.p.Ensure(b.ctx, sg, a); err != nil {
		t.Fatal(err)
	}
	if err := b.p.WaitHealthy(b.ctx, sg.Name); err != nil {
		t.Fatal(err)
	}
	t.Logf("%s: %d replicas available in %s", sg.Name, sg.Instances, time.Since(start).Round(time.Millisecond))
}

func (b bundle) route(t *testing.T, routes ...kubernetes.Route) {
	t.Helper()
	if err := b.p.Route(b.ctx, app(), routes); err != nil {
		t.Fatal(err)
	}
}

// pods returns the pods of a server group by name, with their UIDs.
func (b bundle) pods(t *testing.T, sg string) map[string]corev1.Pod {
	t.Helper()
	list, err := b.env.Clientset.CoreV1().Pods(b.ns).List(b.ctx, metav1.ListOptions{LabelSelector: kubernetes.LabelServerGroup + "=" + sg})
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]corev1.Pod{}
	for _, p := range list.Items {
		if p.DeletionTimestamp == nil {
			out[p.Name] = p
		}
	}
	return out
}

// endpoints waits until the stable Service's EndpointSlices list exactly the
// ready pods of the given server groups (the endpoint controller's view).
func (b bundle) endpoints(t *testing.T, service string, groups ...string) {
	t.Helper()
	want := []string{}
	for _, g := range groups {
		for name := range b.pods(t, g) {
			want = append(want, name)
		}
	}
	slices.Sort(want)
	var got []string
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		list, err := b.env.Clientset.DiscoveryV1().EndpointSlices(b.ns).List(b.ctx, metav1.ListOptions{LabelSelector: discoveryv1.LabelServiceName + "=" + service})
		if err != nil {
			t.Fatal(err)
		}
		got = got[:0]
		for _, s := range list.Items {
			for _, e := range s.Endpoints {
				if e.TargetRef != nil && (e.Conditions.Ready == nil || *e.Conditions.Ready) {
					got = append(got, e.TargetRef.Name)
				}
			}
		}
		slices.Sort(got)
		if slices.Equal(got, want) {
			return
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatalf("Service %s endpoints = %v, want the pods of %v: %v", service, got, groups, want)
}

// noRollout checks that a Deployment still has its first and only
// ReplicaSet: annotations may bump its generation, but its pod template
// never changed.
func (b bundle) noRollout(t *testing.T, deployment string) {
	t.Helper()
	list, err := b.env.Clientset.AppsV1().ReplicaSets(b.ns).List(b.ctx, metav1.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	var mine []string
	for _, rs := range list.Items {
		for _, o := range rs.OwnerReferences {
			if o.Kind == "Deployment" && o.Name == deployment {
				mine = append(mine, rs.Name)
			}
		}
	}
	if len(mine) != 1 {
		t.Errorf("Deployment %s has ReplicaSets %v: its pod template changed (a rollout)", deployment, mine)
	}
}

func uids(m map[string]corev1.Pod) []string {
	var out []string
	for _, p := range m {
		out = append(out, string(p.UID))
	}
	slices.Sort(out)
	return out
}

func TestHighlander(t *testing.T) {
	b := setup(t, model.TrafficReplicas)
	b.up(t, app(), group(1, "1.0.0", 3))
	b.route(t, kubernetes.Route{ServerGroup: "checkout-v001", Weight: 100})
	b.endpoints(t, "checkout", "checkout-v001")

	b.up(t, app(), group(2, "1.1.0", 3))
	b.route(t, kubernetes.Route{ServerGroup: "checkout-v002", Weight: 100})
	b.endpoints(t, "checkout", "checkout-v002")
	if err := b.p.Destroy(b.ctx, group(1, "1.0.0", 3).Name); err != nil {
		t.Fatal(err)
	}
	_, err := b.env.Clientset.AppsV1().Deployments(b.ns).Get(b.ctx, "checkout-v001", metav1.GetOptions{})
	if !apierrors.IsNotFound(err) {
		t.Fatalf("checkout-v001 after Destroy: %v", err)
	}
	d, err := b.env.Clientset.AppsV1().Deployments(b.ns).Get(b.ctx, "checkout-v002", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if d.Spec.Template.Spec.Containers[0].Image != "registry.example.com/checkout:1.1.0" || d.Labels[kubernetes.LabelVersion] != "1.1.0" {
		t.Errorf("checkout-v002: image %s labels %v", d.Spec.Template.Spec.Containers[0].Image, d.Labels)
	}
	var managers []string
	for _, m := range d.ManagedFields {
		managers = append(managers, m.Manager+"/"+string(m.Operation))
	}
	if !slices.Contains(managers, "gennaker/Apply") {
		t.Errorf("managed fields %v: want server-side apply by gennaker", managers)
	}
}

func TestRedBlackAndInstantRollback(t *testing.T) {
	b := setup(t, model.TrafficReplicas)
	b.up(t, app(), group(1, "1.0.0", 2))
	b.route(t, kubernetes.Route{ServerGroup: "checkout-v001", Weight: 100})
	b.up(t, app(), group(2, "2.0.0", 2))
	b.route(t, kubernetes.Route{ServerGroup: "checkout-v001", Weight: 0}, kubernetes.Route{ServerGroup: "checkout-v002", Weight: 100})
	b.endpoints(t, "checkout", "checkout-v002")
	old := uids(b.pods(t, "checkout-v001"))
	if len(old) != 2 {
		t.Fatalf("the disabled group must keep running: %v", old)
	}

	// Rollback: the old group takes traffic again at once, with the same pods.
	start := time.Now()
	b.route(t, kubernetes.Route{ServerGroup: "checkout-v001", Weight: 100}, kubernetes.Route{ServerGroup: "checkout-v002", Weight: 0})
	b.endpoints(t, "checkout", "checkout-v001")
	t.Logf("rollback to a running group: endpoints switched in %s", time.Since(start).Round(time.Millisecond))
	if now := uids(b.pods(t, "checkout-v001")); !slices.Equal(now, old) {
		t.Errorf("rollback restarted pods: %v -> %v", old, now)
	}
	b.noRollout(t, "checkout-v001")
}

func TestResizeAndLatePodsJoinTraffic(t *testing.T) {
	b := setup(t, model.TrafficReplicas)
	b.up(t, app(), group(1, "1.0.0", 1))
	b.route(t, kubernetes.Route{ServerGroup: "checkout-v001", Weight: 100})
	if err := b.p.Resize(b.ctx, "checkout-v001", 3); err != nil {
		t.Fatal(err)
	}
	if err := b.p.WaitHealthy(b.ctx, "checkout-v001"); err != nil {
		t.Fatal(err)
	}
	if n := len(b.pods(t, "checkout-v001")); n != 3 {
		t.Fatalf("%d pods after resize to 3", n)
	}
	b.endpoints(t, "checkout", "checkout-v001")
}

func TestCanaryWithGatewayWeights(t *testing.T) {
	b := setup(t, model.TrafficGateway)
	b.up(t, app(), group(1, "1.0.0", 2))
	b.route(t, kubernetes.Route{ServerGroup: "checkout-v001", Weight: 100})
	// Canary (new version) and a fresh baseline (current version).
	b.up(t, app(), group(2, "2.0.0", 1))
	b.up(t, app(), group(3, "1.0.0", 1))
	for _, step := range []map[string]int32{
		{"checkout-v001": 90, "checkout-v002": 5, "checkout-v003": 5},
		{"checkout-v001": 50, "checkout-v002": 25, "checkout-v003": 25},
	} {
		b.route(t,
			kubernetes.Route{ServerGroup: "checkout-v001", Weight: int(step["checkout-v001"])},
			kubernetes.Route{ServerGroup: "checkout-v002", Weight: int(step["checkout-v002"]), Canary: true},
			kubernetes.Route{ServerGroup: "checkout-v003", Weight: int(step["checkout-v003"])})
		hr, err := b.p.HTTPRoute(b.ctx, "checkout")
		if err != nil {
			t.Fatal(err)
		}
		if got := kubernetes.RouteWeights(hr); !maps.Equal(got, step) {
			t.Errorf("HTTPRoute weights = %v, want %v", got, step)
		}
		if got := kubernetes.CanaryBackend(hr); got != "checkout-v002" {
			t.Errorf("canary header rule -> %q", got)
		}
	}
	for _, g := range []string{"checkout-v001", "checkout-v002", "checkout-v003"} {
		b.endpoints(t, g, g) // each backend Service selects its own group
	}
	// Promote: all traffic to the canary; baseline and old group go.
	b.route(t, kubernetes.Route{ServerGroup: "checkout-v001", Weight: 0}, kubernetes.Route{ServerGroup: "checkout-v002", Weight: 100}, kubernetes.Route{ServerGroup: "checkout-v003", Weight: 0})
	for _, g := range []string{"checkout-v001", "checkout-v003"} {
		if err := b.p.Destroy(b.ctx, g); err != nil {
			t.Fatal(err)
		}
		if err := b.p.Destroy(b.ctx, g); err != nil { // idempotent
			t.Fatalf("destroying %s twice: %v", g, err)
		}
		if _, err := b.env.Clientset.CoreV1().Services(b.ns).Get(b.ctx, g, metav1.GetOptions{}); !apierrors.IsNotFound(err) {
			t.Errorf("Service %s after Destroy: %v", g, err)
		}
	}
	hr, err := b.p.HTTPRoute(b.ctx, "checkout")
	if err != nil {
		t.Fatal(err)
	}
	if got := kubernetes.RouteWeights(hr); !maps.Equal(got, map[string]int32{"checkout-v002": 100}) || kubernetes.CanaryBackend(hr) != "" {
		t.Errorf("after promotion: weights %v, canary %q", got, kubernetes.CanaryBackend(hr))
	}
	b.endpoints(t, "checkout", "checkout-v002")
}

func TestUnschedulablePodFailsWithTheSchedulersWords(t *testing.T) {
	b := setup(t, model.TrafficReplicas)
	a := app()
	a.Manifest = "checkout.yaml.tmpl"
	a.HealthCheck.StartupTimeout = model.Duration(3 * time.Second)
	a.ManifestTemplate = `apiVersion: apps/v1
kind: Deployment
metadata: {name: "{{serverGroup}}"}
spec:
  replicas: {{replicas}}
  template:
    spec:
      nodeSelector: {disktype: quantum}
      containers:
      - name: "{{app}}"
        image: "{{image}}"
`
	sg := group(1, "1.0.0", 2)
	if err := b.p.Ensure(b.ctx, sg, a); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	err := b.p.WaitHealthy(b.ctx, sg.Name)
	t.Logf("WaitHealthy failed after %s: %v", time.Since(start).Round(time.Millisecond), err)
	var ue *kubernetes.UnhealthyError
	if !errors.As(err, &ue) {
		t.Fatalf("err = %v, want an UnhealthyError", err)
	}
	for _, want := range []string{"0 of 2 replicas available", "Unschedulable", "node affinity/selector", "ProgressDeadlineExceeded"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error does not say %q", want)
		}
	}
}

func TestAdoptWithoutRestartingPods(t *testing.T) {
	b := setup(t, model.TrafficReplicas)
	two := int32(2)
	sel := map[string]string{"app": "checkout", "tier": "web"}
	legacy := &appsv1Deployment{Name: "checkout-legacy", Replicas: two, Labels: sel, Image: "registry.example.com/checkout:0.9.1"}
	if err := legacy.create(b); err != nil {
		t.Fatal(err)
	}
	if err := b.p.WaitHealthy(b.ctx, "checkout-legacy"); err != nil {
		t.Fatal(err)
	}
	before := b.legacyPods(t, sel)

	sg, err := b.p.Adopt(b.ctx, app(), "checkout-legacy", false)
	if err != nil {
		t.Fatal(err)
	}
	if sg.Name != "checkout-v001" || sg.Version != "0.9.1" || sg.Instances != 2 {
		t.Errorf("adopted as %+v", sg)
	}
	b.route(t, kubernetes.Route{ServerGroup: "checkout-v001", Weight: 100})
	b.endpoints(t, "checkout", "checkout-v001")
	b.noRollout(t, "checkout-legacy")
	if after := b.legacyPods(t, sel); !slices.Equal(uids(after), uids(before)) {
		t.Errorf("adoption restarted pods")
	}
	// The next version replaces it like any server group.
	b.up(t, app(), group(2, "1.0.0", 2))
	b.route(t, kubernetes.Route{ServerGroup: "checkout-v001", Weight: 0}, kubernetes.Route{ServerGroup: "checkout-v002", Weight: 100})
	b.endpoints(t, "checkout", "checkout-v002")
	if err := b.p.Destroy(b.ctx, "checkout-v001"); err != nil {
		t.Fatal(err)
	}
	if _, err := b.env.Clientset.AppsV1().Deployments(b.ns).Get(b.ctx, "checkout-legacy", metav1.GetOptions{}); !apierrors.IsNotFound(err) {
		t.Errorf("adopted Deployment after Destroy: %v", err)
	}
}

func TestAPIServerRestartMidRollout(t *testing.T) {
	t.Parallel()
	env := k8senv.Start(t) // its own control plane: the shared one must stay up
	b := setupOn(t, env, env.Namespace(t), model.TrafficReplicas)
	sg := group(1, "1.0.0", 3)
	if err := b.p.Ensure(b.ctx, sg, app()); err != nil {
		t.Fatal(err)
	}
	env.StopAPIServer()
	restarted := make(chan error, 1)
	go func() {
		time.Sleep(2 * time.Second)
		restarted <- env.StartAPIServer()
	}()
	start := time.Now()
	if err := b.p.WaitHealthy(b.ctx, sg.Name); err != nil {
		t.Fatalf("WaitHealthy across an API server restart: %v", err)
	}
	if err := <-restarted; err != nil {
		t.Fatal(err)
	}
	t.Logf("rollout completed across an API server restart in %s", time.Since(start).Round(time.Millisecond))
	// Ensure again (the engine retrying after a crash) is a no-op.
	if err := b.p.Ensure(b.ctx, sg, app()); err != nil {
		t.Fatal(err)
	}
	d, _ := env.Clientset.AppsV1().Deployments(b.ns).Get(b.ctx, sg.Name, metav1.GetOptions{})
	if d.Generation != 1 {
		t.Errorf("re-applying the same server group bumped the generation to %d", d.Generation)
	}
}
