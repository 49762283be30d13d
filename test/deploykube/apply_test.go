package deploykube

import (
	"context"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/discovery/cached/memory"
	"k8s.io/client-go/restmapper"

	"github.com/gennaker/gennaker/test/k8senv"
)

// fieldManager is the server-side apply field manager of this test.
const fieldManager = "gennaker-test"

// TestExampleAppliesToKubernetes renders the example overlay, creates its
// namespace and the store's Secret as the docs say, and server-side applies
// every object with dry-run All on a real API server: the API server
// validates each (schemas, the PodDisruptionBudget, the RBAC objects,
// admission) without keeping it. Then it applies them for real and checks
// that the two replicas land on different nodes.
func TestExampleAppliesToKubernetes(t *testing.T) {
	env := k8senv.Start(t) // skips (or fails under GENNAKER_REQUIRE_ALL=1) without the binaries
	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
	defer cancel()

	objs := render(t, exampleDir)
	ns := exampleKustomization(t).Namespace
	cs := env.Clientset
	if _, err := cs.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}}, metav1.CreateOptions{}); err != nil {
		t.Fatalf("create namespace %s: %v", ns, err)
	}
	// kubectl -n NS create secret generic gennaker-store --from-literal=url=...
	secret := &corev1.Secret{
		ObjectMeta: metav1.ObjectMeta{Name: storeSecret},
		StringData: map[string]string{storeSecretKey: "postgres://gennaker:secret@db.example.internal:5432/gennaker?sslmode=require"},
	}
	if _, err := cs.CoreV1().Secrets(ns).Create(ctx, secret, metav1.CreateOptions{}); err != nil {
		t.Fatalf("create Secret %s: %v", storeSecret, err)
	}

	mapper := restmapper.NewDeferredDiscoveryRESTMapper(memory.NewMemCacheClient(cs.Discovery()))
	apply := func(dryRun []string) {
		t.Helper()
		for _, o := range objs {
			gvk := o.GroupVersionKind()
			m, err := mapper.RESTMapping(gvk.GroupKind(), gvk.Version)
			if err != nil {
				t.Fatalf("%s %s: the API server does not serve it: %v", gvk, o.GetName(), err)
			}
			if m.Scope.Name() != meta.RESTScopeNameNamespace {
				t.Errorf("%s %s is cluster-scoped; the kustomization should hold namespaced objects only", gvk.Kind, o.GetName())
				continue
			}
			_, err = env.Dynamic.Resource(m.Resource).Namespace(o.GetNamespace()).Apply(ctx, o.GetName(), o,
				metav1.ApplyOptions{FieldManager: fieldManager, DryRun: dryRun})
			if err != nil {
				t.Errorf("apply %s %s/%s (dry-run %v): %v", gvk.Kind, o.GetNamespace(), o.GetName(), dryRun, err)
			}
		}
	}

	apply([]string{metav1.DryRunAll})
	if t.Failed() {
		return
	}
	// Dry-run kept nothing.
	if _, err := cs.AppsV1().Deployments(ns).Get(ctx, "gennaker", metav1.GetOptions{}); !apierrors.IsNotFound(err) {
		t.Fatalf("after a dry-run apply, get Deployment gennaker: %v; want not found", err)
	}

	// For real: kwok's nodes run the pods (no containers), so this checks
	// scheduling, not the server.
	apply(nil)
	if t.Failed() {
		return
	}
	nodes := map[string]string{}
	for {
		pods, err := cs.CoreV1().Pods(ns).List(ctx, metav1.ListOptions{LabelSelector: "app.kubernetes.io/name=gennaker"})
		if err != nil {
			t.Fatal(err)
		}
		clear(nodes)
		for _, p := range pods.Items {
			if p.Spec.NodeName != "" && p.DeletionTimestamp == nil {
				nodes[p.Name] = p.Spec.NodeName
			}
		}
		if len(nodes) == 2 {
			break
		}
		if ctx.Err() != nil {
			t.Fatalf("scheduled pods %v after %v; want 2", nodes, 2*time.Minute)
		}
		time.Sleep(100 * time.Millisecond)
	}
	distinct := map[string]bool{}
	for _, n := range nodes {
		distinct[n] = true
	}
	if len(distinct) != 2 {
		t.Errorf("the two replicas are on %v; want two nodes (%d nodes exist: %v)", nodes, len(env.Nodes), env.Nodes)
	}
}
