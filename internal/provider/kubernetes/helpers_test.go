package kubernetes

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"sync/atomic"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	kubefake "k8s.io/client-go/kubernetes/fake"
	gwfake "sigs.k8s.io/gateway-api/pkg/client/clientset/versioned/fake"

	"github.com/gennaker/gennaker/internal/model"
)

// fakeBundle is a provider over fake clientsets, for tests about logic.
type fakeBundle struct {
	p    *Provider
	kube *kubefake.Clientset
	gw   *gwfake.Clientset
	seq  *atomic.Int64
}

func newFake(t *testing.T, traffic model.TrafficMode) fakeBundle {
	t.Helper()
	kube := kubefake.NewClientset()
	servesGatewayAPI(kube)
	gw := gwfake.NewClientset()
	p := NewForClients(Config{
		Environment: "test", Namespace: "shop", Traffic: traffic,
		Gateway:      &model.GatewayRef{Name: "public", Namespace: "infra"},
		Logger:       slog.New(slog.NewTextHandler(io.Discard, nil)),
		Backoff:      Backoff{Initial: time.Millisecond, Max: 5 * time.Millisecond, Budget: time.Second},
		PollInterval: 5 * time.Millisecond,
	}, kube, gw)
	return fakeBundle{p: p, kube: kube, gw: gw, seq: new(atomic.Int64)}
}

// servesGatewayAPI makes the fake's discovery list HTTPRoutes, as a cluster
// with the Gateway API CRDs does.
func servesGatewayAPI(kube *kubefake.Clientset) {
	kube.Resources = append(kube.Resources, &metav1.APIResourceList{
		GroupVersion: GatewayAPIGroupVersion,
		APIResources: []metav1.APIResource{{Name: "httproutes", Namespaced: true, Kind: "HTTPRoute"}},
	})
}

func testApp() model.Application {
	return model.Application{
		Name: "checkout", Image: "registry.example.com/checkout:{{version}}", Port: 8080,
		Run:         model.RunSpec{Env: model.InlineMap(map[string]string{"GREETING": "hi from {{app}} {{version}}"})},
		HealthCheck: model.HealthCheck{Path: "/healthz", Interval: model.Duration(2 * time.Second), Timeout: model.Duration(time.Second), StartupTimeout: model.Duration(30 * time.Second)},
		Resources:   &model.Resources{Requests: model.ResourceList{CPU: "100m", Memory: "128Mi"}, Limits: model.ResourceList{Memory: "256Mi"}},
	}
}

func testGroup(seq int, version string, instances int) model.ServerGroup {
	return model.ServerGroup{
		Name: model.ServerGroupName("checkout", seq), Application: "checkout", Environment: "test",
		Sequence: seq, Version: version, Instances: instances,
	}
}

// addPods creates n pods for a server group Deployment, owned by its
// ReplicaSet as the Deployment controller would make them (the fake
// clientset runs no controllers and gives objects no UIDs: both are set here).
func (f fakeBundle) addPods(t *testing.T, d *appsv1.Deployment, n int, ready bool) []corev1.Pod {
	t.Helper()
	ctx := context.Background()
	if d.UID == "" {
		d.UID = types.UID("uid-" + d.Name)
		updated, err := f.kube.AppsV1().Deployments(d.Namespace).Update(ctx, d, metav1.UpdateOptions{})
		if err != nil {
			t.Fatal(err)
		}
		*d = *updated
	}
	yes := true
	rsName := d.Name + "-abc"
	rs, err := f.kube.AppsV1().ReplicaSets(d.Namespace).Get(ctx, rsName, metav1.GetOptions{})
	if err != nil {
		rs, err = f.kube.AppsV1().ReplicaSets(d.Namespace).Create(ctx, &appsv1.ReplicaSet{
			ObjectMeta: metav1.ObjectMeta{
				Name: rsName, Namespace: d.Namespace, UID: types.UID("uid-" + rsName), Labels: d.Spec.Template.Labels,
				OwnerReferences: []metav1.OwnerReference{{APIVersion: "apps/v1", Kind: "Deployment", Name: d.Name, UID: d.UID, Controller: &yes}},
			},
		}, metav1.CreateOptions{})
		if err != nil {
			t.Fatal(err)
		}
	}
	var out []corev1.Pod
	status := corev1.ConditionFalse
	if ready {
		status = corev1.ConditionTrue
	}
	for range n {
		labels := map[string]string{}
		for k, v := range d.Spec.Template.Labels {
			labels[k] = v
		}
		name := fmt.Sprintf("%s-abc-%d", d.Name, f.seq.Add(1))
		pod := &corev1.Pod{
			ObjectMeta: metav1.ObjectMeta{
				Name: name, Namespace: d.Namespace, Labels: labels, UID: types.UID("uid-" + name),
				OwnerReferences: []metav1.OwnerReference{{APIVersion: "apps/v1", Kind: "ReplicaSet", Name: rs.Name, UID: rs.UID, Controller: &yes}},
			},
			Spec:   d.Spec.Template.Spec,
			Status: corev1.PodStatus{Conditions: []corev1.PodCondition{{Type: corev1.PodReady, Status: status}}},
		}
		created, err := f.kube.CoreV1().Pods(d.Namespace).Create(ctx, pod, metav1.CreateOptions{})
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, *created)
	}
	return out
}

func (f fakeBundle) podLabels(t *testing.T, group string) map[string]string {
	t.Helper()
	pods, err := f.kube.CoreV1().Pods("shop").List(context.Background(), metav1.ListOptions{LabelSelector: LabelServerGroup + "=" + group})
	if err != nil {
		t.Fatal(err)
	}
	if len(pods.Items) == 0 {
		t.Fatalf("no pods of %s", group)
	}
	// All pods of a group must agree.
	first := pods.Items[0].Labels
	for _, p := range pods.Items[1:] {
		if p.Labels[LabelEnabled] != first[LabelEnabled] {
			t.Fatalf("pods of %s disagree on %s: %v vs %v", group, LabelEnabled, first, p.Labels)
		}
	}
	return first
}

func (f fakeBundle) deployment(t *testing.T, name string) *appsv1.Deployment {
	t.Helper()
	d, err := f.kube.AppsV1().Deployments("shop").Get(context.Background(), name, metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	return d
}
