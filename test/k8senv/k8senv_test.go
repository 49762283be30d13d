package k8senv_test

import (
	"context"
	"os"
	"slices"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/clientcmd"

	"github.com/gennaker/gennaker/test/k8senv"
)

func TestMain(m *testing.M) { os.Exit(k8senv.RunShared(m)) }

func deployment(name, image string, replicas int32) *appsv1.Deployment {
	labels := map[string]string{"app": name}
	return &appsv1.Deployment{
		ObjectMeta: metav1.ObjectMeta{Name: name, Labels: labels},
		Spec: appsv1.DeploymentSpec{
			Replicas: &replicas,
			Selector: &metav1.LabelSelector{MatchLabels: labels},
			Template: corev1.PodTemplateSpec{
				ObjectMeta: metav1.ObjectMeta{Labels: labels},
				Spec: corev1.PodSpec{Containers: []corev1.Container{{
					Name:  "app",
					Image: image,
					Ports: []corev1.ContainerPort{{ContainerPort: 8080}},
				}}},
			},
		},
	}
}

// waitAvailable waits until the Deployment's controller has observed its
// latest generation and every replica is updated and available.
func waitAvailable(t *testing.T, cs kubernetes.Interface, ns, name string) time.Duration {
	t.Helper()
	start := time.Now()
	deadline := start.Add(60 * time.Second)
	for {
		d, err := cs.AppsV1().Deployments(ns).Get(context.Background(), name, metav1.GetOptions{})
		if err != nil {
			t.Fatal(err)
		}
		want := *d.Spec.Replicas
		s := d.Status
		if s.ObservedGeneration >= d.Generation && s.AvailableReplicas == want && s.UpdatedReplicas == want && s.Replicas == want {
			return time.Since(start)
		}
		if time.Now().After(deadline) {
			t.Fatalf("deployment %s/%s not available: generation %d, status %+v", ns, name, d.Generation, s)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func TestDeploymentRollout(t *testing.T) {
	env := k8senv.Shared(t)
	ns := env.Namespace(t)
	ctx := context.Background()
	cs := env.Clientset

	if _, err := cs.AppsV1().Deployments(ns).Create(ctx, deployment("web", "registry.example/web:v1", 2), metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	t.Logf("rollout of a new 2-replica Deployment: %v", waitAvailable(t, cs, ns, "web"))

	pods, err := cs.CoreV1().Pods(ns).List(ctx, metav1.ListOptions{LabelSelector: "app=web"})
	if err != nil {
		t.Fatal(err)
	}
	running := 0
	for _, p := range pods.Items {
		if p.DeletionTimestamp != nil {
			continue
		}
		ready := false
		for _, c := range p.Status.Conditions {
			if c.Type == corev1.PodReady && c.Status == corev1.ConditionTrue {
				ready = true
			}
		}
		if p.Status.Phase != corev1.PodRunning || !ready {
			t.Errorf("pod %s: phase %s, ready %v", p.Name, p.Status.Phase, ready)
		}
		if !slices.Contains(env.Nodes, p.Spec.NodeName) {
			t.Errorf("pod %s scheduled to %q, not to a fake node %v", p.Name, p.Spec.NodeName, env.Nodes)
		}
		running++
	}
	if running != 2 {
		t.Errorf("%d pods, want 2", running)
	}

	// A rolling update to a new image.
	d, err := cs.AppsV1().Deployments(ns).Get(ctx, "web", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	d.Spec.Template.Spec.Containers[0].Image = "registry.example/web:v2"
	if _, err := cs.AppsV1().Deployments(ns).Update(ctx, d, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	t.Logf("rolling update of the 2-replica Deployment: %v", waitAvailable(t, cs, ns, "web"))
}

func TestGatewayAPIHTTPRoute(t *testing.T) {
	env := k8senv.Shared(t)
	ns := env.Namespace(t)
	ctx := context.Background()
	gvr := schema.GroupVersionResource{Group: "gateway.networking.k8s.io", Version: "v1", Resource: "httproutes"}
	route := &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "gateway.networking.k8s.io/v1",
		"kind":       "HTTPRoute",
		"metadata":   map[string]any{"name": "web"},
		"spec": map[string]any{
			"parentRefs": []any{map[string]any{"name": "gw"}},
			"rules": []any{map[string]any{
				"backendRefs": []any{
					map[string]any{"name": "web-v001", "port": int64(8080), "weight": int64(90)},
					map[string]any{"name": "web-v002", "port": int64(8080), "weight": int64(10)},
				},
			}},
		},
	}}
	if _, err := env.Dynamic.Resource(gvr).Namespace(ns).Create(ctx, route, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	got, err := env.Dynamic.Resource(gvr).Namespace(ns).Get(ctx, "web", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	rules, _, _ := unstructured.NestedSlice(got.Object, "spec", "rules")
	if len(rules) != 1 {
		t.Fatalf("rules: %v", rules)
	}
	refs, _, _ := unstructured.NestedSlice(rules[0].(map[string]any), "backendRefs")
	if len(refs) != 2 || refs[1].(map[string]any)["weight"] != int64(10) {
		t.Fatalf("backendRefs: %v", refs)
	}

	// The CRD's validation is in force: a negative weight is rejected.
	bad := route.DeepCopy()
	bad.SetName("bad")
	_ = unstructured.SetNestedSlice(bad.Object, []any{map[string]any{
		"backendRefs": []any{map[string]any{"name": "web-v001", "port": int64(8080), "weight": int64(-1)}},
	}}, "spec", "rules")
	if _, err := env.Dynamic.Resource(gvr).Namespace(ns).Create(ctx, bad, metav1.CreateOptions{}); err == nil {
		t.Error("HTTPRoute with weight -1 accepted")
	}
}

// TestStartKubeconfigAndRestart starts a second, private control plane (two
// clusters side by side), uses it through its kubeconfig file, and restarts
// its API server.
func TestStartKubeconfigAndRestart(t *testing.T) {
	start := time.Now()
	env := k8senv.Start(t)
	t.Logf("private control plane started in %v", time.Since(start))

	cfg, err := clientcmd.BuildConfigFromFlags("", env.Kubeconfig)
	if err != nil {
		t.Fatal(err)
	}
	cs := kubernetes.NewForConfigOrDie(cfg)
	nodes, err := cs.CoreV1().Nodes().List(context.Background(), metav1.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if len(nodes.Items) != 2 {
		t.Fatalf("%d nodes, want 2", len(nodes.Items))
	}

	ns := env.Namespace(t)
	ctx := context.Background()
	if _, err := cs.AppsV1().Deployments(ns).Create(ctx, deployment("api", "registry.example/api:v1", 3), metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	restart := time.Now()
	if err := env.RestartAPIServer(); err != nil {
		t.Fatal(err)
	}
	t.Logf("API server restarted in %v", time.Since(restart))
	t.Logf("3-replica Deployment created before the restart available %v after it", waitAvailable(t, cs, ns, "api"))
}

// The fake nodes renew their leases, as kubelets do: without a heartbeat
// the node controller marks every node (and pod) not ready after its grace
// period, in the middle of any test that runs longer.
func TestNodesRenewTheirLeases(t *testing.T) {
	env := k8senv.Shared(t)
	ctx := context.Background()
	since := time.Now().Add(-time.Second)
	nodes, err := env.Clientset.CoreV1().Nodes().List(ctx, metav1.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if len(nodes.Items) == 0 {
		t.Fatal("no nodes")
	}
	deadline := time.Now().Add(40 * time.Second)
	for _, n := range nodes.Items {
		for {
			lease, err := env.Clientset.CoordinationV1().Leases("kube-node-lease").Get(ctx, n.Name, metav1.GetOptions{})
			if err == nil && lease.Spec.RenewTime != nil && lease.Spec.RenewTime.After(since) {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("node %s: no lease renewed since the test began (lease %+v, %v): the node controller will mark it not ready", n.Name, lease, err)
			}
			time.Sleep(500 * time.Millisecond) // the lease is renewed every few seconds; there is no event to wait for in this client
		}
	}
}

// TestServiceAccountIsTheDocumentedRole: the identity tests run as is held
// to docs/kubernetes-rbac.yaml (namespaced) and not an admin.
func TestServiceAccountIsTheDocumentedRole(t *testing.T) {
	env := k8senv.Shared(t)
	ns := env.Namespace(t)
	id := env.ServiceAccount(t, ns)
	ctx := context.Background()
	if _, err := id.Clientset.AppsV1().Deployments(ns).List(ctx, metav1.ListOptions{}); err != nil {
		t.Fatalf("the ServiceAccount cannot list Deployments in its namespace: %v", err)
	}
	if _, err := id.Clientset.CoreV1().Pods("kube-system").List(ctx, metav1.ListOptions{}); !apierrors.IsForbidden(err) {
		t.Fatalf("listing pods in kube-system as the ServiceAccount: got %v, want Forbidden", err)
	}
	if _, err := id.Clientset.CoreV1().Secrets(ns).List(ctx, metav1.ListOptions{}); !apierrors.IsForbidden(err) {
		t.Fatalf("listing Secrets as the ServiceAccount: got %v, want Forbidden", err)
	}
}
