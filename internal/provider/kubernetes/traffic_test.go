package kubernetes

import (
	"context"
	"fmt"
	"maps"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	gatewayv1 "sigs.k8s.io/gateway-api/apis/v1"

	"github.com/gennaker/gennaker/internal/model"
)

func TestRouteReplicasRelabelsPodsWithoutTouchingTemplates(t *testing.T) {
	t.Parallel()
	f := newFake(t, model.TrafficReplicas)
	ctx := context.Background()
	app := testApp()
	for i, v := range []string{"1.0.0", "2.0.0"} {
		sg := testGroup(i+1, v, 2)
		if err := f.p.Ensure(ctx, sg, app); err != nil {
			t.Fatal(err)
		}
		f.addPods(t, f.deployment(t, sg.Name), 2, true)
	}
	gen := f.deployment(t, "checkout-v001").Generation

	steps := []struct {
		routes   []Route
		want     map[string]string // server group -> enabled label
		selector map[string]string // of the stable Service
	}{
		{[]Route{{ServerGroup: "checkout-v001", Weight: 100}}, map[string]string{"checkout-v001": "true", "checkout-v002": "false"},
			map[string]string{LabelApp: "checkout", LabelServerGroup: "checkout-v001"}},
		{[]Route{{ServerGroup: "checkout-v001", Weight: 50}, {ServerGroup: "checkout-v002", Weight: 50}}, map[string]string{"checkout-v001": "true", "checkout-v002": "true"},
			map[string]string{LabelApp: "checkout", LabelEnabled: "true"}},
		{[]Route{{ServerGroup: "checkout-v001", Weight: 0}, {ServerGroup: "checkout-v002", Weight: 100}}, map[string]string{"checkout-v001": "false", "checkout-v002": "true"},
			map[string]string{LabelApp: "checkout", LabelServerGroup: "checkout-v002"}},
		// Rollback: instant, the old pods are selected again.
		{[]Route{{ServerGroup: "checkout-v001", Weight: 100}}, map[string]string{"checkout-v001": "true", "checkout-v002": "false"},
			map[string]string{LabelApp: "checkout", LabelServerGroup: "checkout-v001"}},
	}
	for i, s := range steps {
		if err := f.p.Route(ctx, app, s.routes); err != nil {
			t.Fatalf("step %d: %v", i, err)
		}
		for g, want := range s.want {
			if got := f.podLabels(t, g)[LabelEnabled]; got != want {
				t.Errorf("step %d: pods of %s have %s=%s, want %s", i, g, LabelEnabled, got, want)
			}
			if got := f.deployment(t, g).Annotations[AnnotationEnabled]; got != want {
				t.Errorf("step %d: Deployment %s annotation %s", i, g, got)
			}
		}
		svc, err := f.kube.CoreV1().Services("shop").Get(ctx, "checkout", metav1.GetOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if !maps.Equal(svc.Spec.Selector, s.selector) {
			t.Errorf("step %d: stable Service selector = %v, want %v", i, svc.Spec.Selector, s.selector)
		}
	}
	if d := f.deployment(t, "checkout-v001"); d.Generation != gen || d.Spec.Template.Labels[LabelEnabled] != "false" {
		t.Errorf("the pod template changed (generation %d -> %d): routing must not roll pods", gen, d.Generation)
	}
	svc, err := f.kube.CoreV1().Services("shop").Get(ctx, "checkout", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if svc.Spec.Ports[0].TargetPort.IntVal != 8080 {
		t.Errorf("target port = %v", svc.Spec.Ports[0].TargetPort)
	}
}

func TestSyncTrafficLabelsLatePods(t *testing.T) {
	t.Parallel()
	f := newFake(t, model.TrafficReplicas)
	ctx := context.Background()
	sg := testGroup(1, "1.0.0", 1)
	if err := f.p.Ensure(ctx, sg, testApp()); err != nil {
		t.Fatal(err)
	}
	f.addPods(t, f.deployment(t, sg.Name), 1, true)
	if err := f.p.Route(ctx, testApp(), []Route{{ServerGroup: sg.Name, Weight: 100}}); err != nil {
		t.Fatal(err)
	}
	late := f.addPods(t, f.deployment(t, sg.Name), 1, true)[0] // a rescheduled pod
	if late.Labels[LabelEnabled] != "false" {
		t.Fatalf("a new pod starts with %s=%s", LabelEnabled, late.Labels[LabelEnabled])
	}
	if err := f.p.SyncTraffic(ctx); err != nil {
		t.Fatal(err)
	}
	if got := f.podLabels(t, sg.Name)[LabelEnabled]; got != "true" {
		t.Errorf("after SyncTraffic the late pod has %s=%s", LabelEnabled, got)
	}
}

func TestRouteGatewayWeights(t *testing.T) {
	t.Parallel()
	f := newFake(t, model.TrafficGateway)
	ctx := context.Background()
	app := testApp()
	for i, v := range []string{"1.0.0", "2.0.0", "1.0.0"} {
		if err := f.p.Ensure(ctx, testGroup(i+1, v, 1), app); err != nil {
			t.Fatal(err)
		}
	}
	routes := []Route{
		{ServerGroup: "checkout-v001", Weight: 80},
		{ServerGroup: "checkout-v002", Weight: 10, Canary: true},
		{ServerGroup: "checkout-v003", Weight: 10},
	}
	if err := f.p.Route(ctx, app, routes); err != nil {
		t.Fatal(err)
	}
	hr, err := f.p.HTTPRoute(ctx, "checkout")
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]int32{"checkout-v001": 80, "checkout-v002": 10, "checkout-v003": 10}
	if got := RouteWeights(hr); !maps.Equal(got, want) {
		t.Errorf("weights = %v, want %v", got, want)
	}
	if got := CanaryBackend(hr); got != "checkout-v002" {
		t.Errorf("canary header rule goes to %q", got)
	}
	if h := hr.Spec.Rules[0].Matches[0].Headers[0]; string(h.Name) != CanaryHeader || h.Value != "canary" {
		t.Errorf("canary match = %+v", h)
	}
	if p := hr.Spec.ParentRefs[0]; p.Name != "public" || *p.Namespace != "infra" {
		t.Errorf("parentRef = %+v", p)
	}
	for g := range want {
		svc, err := f.kube.CoreV1().Services("shop").Get(ctx, g, metav1.GetOptions{})
		if err != nil {
			t.Fatalf("Service of %s: %v", g, err)
		}
		if svc.Spec.Selector[LabelServerGroup] != g {
			t.Errorf("Service %s selects %v", g, svc.Spec.Selector)
		}
	}
	// Promotion drops zero-weight backends and the canary rule.
	if err := f.p.Route(ctx, app, []Route{{ServerGroup: "checkout-v001", Weight: 0}, {ServerGroup: "checkout-v002", Weight: 100}}); err != nil {
		t.Fatal(err)
	}
	hr, _ = f.p.HTTPRoute(ctx, "checkout")
	if got := RouteWeights(hr); !maps.Equal(got, map[string]int32{"checkout-v002": 100}) || CanaryBackend(hr) != "" {
		t.Errorf("after promotion weights = %v canary %q", got, CanaryBackend(hr))
	}
}

func TestRouteRejectsBadSplits(t *testing.T) {
	t.Parallel()
	f := newFake(t, model.TrafficReplicas)
	for name, routes := range map[string][]Route{
		"sum is not 100":   {{ServerGroup: "checkout-v001", Weight: 60}},
		"missing group":    {{ServerGroup: "checkout-v009", Weight: 100}},
		"two canaries":     {{ServerGroup: "a", Weight: 50, Canary: true}, {ServerGroup: "b", Weight: 50, Canary: true}},
		"negative weights": {{ServerGroup: "a", Weight: -10}, {ServerGroup: "b", Weight: 110}},
		"routed twice":     {{ServerGroup: "a", Weight: 50}, {ServerGroup: "a", Weight: 50}},
	} {
		if err := f.p.Route(context.Background(), testApp(), routes); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
}

func TestRouteNoTrafficDisablesEverything(t *testing.T) {
	t.Parallel()
	f := newFake(t, model.TrafficReplicas)
	ctx := context.Background()
	sg := testGroup(1, "1.0.0", 1)
	if err := f.p.Ensure(ctx, sg, testApp()); err != nil {
		t.Fatal(err)
	}
	f.addPods(t, f.deployment(t, sg.Name), 1, true)
	for _, routes := range [][]Route{{{ServerGroup: sg.Name, Weight: 100}}, {{ServerGroup: sg.Name, Weight: 0}}} {
		if err := f.p.Route(ctx, testApp(), routes); err != nil {
			t.Fatal(err)
		}
	}
	if got := f.podLabels(t, sg.Name)[LabelEnabled]; got != "false" {
		t.Errorf("with no traffic routed, pods have %s=%s", LabelEnabled, got)
	}
}

// TestStaleRoutesAreRemoved: an environment moved from gateway to replicas
// traffic (or with mesh turned off) loses the HTTPRoutes gennaker wrote
// for it, so a Gateway or mesh stops routing to groups gennaker no longer
// manages there.
func TestStaleRoutesAreRemoved(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	for _, mode := range []model.TrafficMode{model.TrafficReplicas, model.TrafficGateway} {
		f := newFake(t, mode)
		app := testApp()
		for _, name := range []string{"checkout", "checkout-mesh"} {
			hr := &gatewayv1.HTTPRoute{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: "shop"}}
			if _, err := f.gw.GatewayV1().HTTPRoutes("shop").Create(ctx, hr, metav1.CreateOptions{}); err != nil {
				t.Fatal(err)
			}
		}
		sg := testGroup(1, "1.0.0", 1)
		if err := f.p.Ensure(ctx, sg, app); err != nil {
			t.Fatal(err)
		}
		if err := f.p.Route(ctx, app, []Route{{ServerGroup: sg.Name, Weight: 100}}); err != nil {
			t.Fatal(err)
		}
		list, err := f.gw.GatewayV1().HTTPRoutes("shop").List(ctx, metav1.ListOptions{})
		if err != nil {
			t.Fatal(err)
		}
		var left []string
		for _, hr := range list.Items {
			left = append(left, hr.Name)
		}
		want := map[model.TrafficMode]string{model.TrafficReplicas: "[]", model.TrafficGateway: "[checkout]"}[mode]
		if fmt.Sprint(left) != want {
			t.Errorf("%s traffic: HTTPRoutes left %v, want %s", mode, left, want)
		}
	}
}
