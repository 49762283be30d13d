package kubernetes_test

import (
	"maps"
	"slices"
	"strings"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	gatewayv1 "sigs.k8s.io/gateway-api/apis/v1"
	gateway "sigs.k8s.io/gateway-api/pkg/client/clientset/versioned"

	"github.com/gennaker/gennaker/internal/model"
	"github.com/gennaker/gennaker/internal/provider/kubernetes"
	"github.com/gennaker/gennaker/test/k8senv"
)

// setupGateway is setup in gateway mode with the given target.gateway,
// acting as the documented ServiceAccount.
func setupGateway(t *testing.T, gw model.GatewayRef) bundle {
	t.Helper()
	t.Parallel()
	env := k8senv.Shared(t)
	return setupWith(t, env, env.Namespace(t), kubernetes.Config{Environment: "it", Traffic: model.TrafficGateway, Gateway: &gw})
}

// TestGatewayRouteFullShape runs a canary through an HTTPRoute with
// hostnames, two listeners of one Gateway (sectionName), path matches and
// custom canary headers, plus the GAMMA mesh route, against the API
// server's CRD validation, and reads back the weights at each step.
func TestGatewayRouteFullShape(t *testing.T) {
	b := setupGateway(t, model.GatewayRef{
		ParentRefs: []model.ParentRef{
			{Name: "public", Namespace: "infra", SectionName: "https"},
			{Name: "public", Namespace: "infra", SectionName: "http", Port: 80},
		},
		Mesh: true,
	})
	a := app()
	a.HTTPRoute = &model.HTTPRouteSpec{
		Hostnames: []string{"shop.example.com", "*.shop.example.com"},
		Paths:     []model.PathMatch{{Value: "/cart"}, {Type: model.PathExact, Value: "/checkout"}},
		CanaryHeaders: []model.HeaderMatch{
			{Name: "X-Canary", Value: "always"},
			{Name: "X-User", Type: model.HeaderRegularExpression, Value: "^qa-.*"},
		},
		RegularExpressions: true,
	}
	route := func(routes ...kubernetes.Route) {
		t.Helper()
		if err := b.p.Route(b.ctx, a, routes); err != nil {
			t.Fatal(err)
		}
	}
	read := func(name string) *gatewayv1.HTTPRoute {
		t.Helper()
		hr, err := b.p.HTTPRoute(b.ctx, name)
		if err != nil {
			t.Fatal(err)
		}
		return hr
	}
	v1, v2, v3 := group(1, "1.0.0", 2), group(2, "2.0.0", 1), group(3, "1.0.0", 1)
	b.up(t, a, v1)
	toV1 := []kubernetes.Route{{ServerGroup: v1.Name, Weight: 100}}
	route(toV1...)

	hr := read("checkout")
	if got := hr.Spec.Hostnames; !slices.Equal(got, []gatewayv1.Hostname{"shop.example.com", "*.shop.example.com"}) {
		t.Errorf("hostnames = %v", got)
	}
	var listeners []string
	for _, p := range hr.Spec.ParentRefs {
		if p.SectionName == nil || p.Namespace == nil || *p.Namespace != "infra" || p.Name != "public" {
			t.Errorf("parentRef %+v", p)
			continue
		}
		listeners = append(listeners, string(*p.SectionName))
	}
	if !slices.Equal(listeners, []string{"https", "http"}) {
		t.Errorf("parent listeners = %v", listeners)
	}
	b.confirmedFor(t, a, toV1)

	b.up(t, a, v2) // canary
	b.up(t, a, v3) // baseline
	for _, step := range []map[string]int32{
		{v1.Name: 90, v2.Name: 5, v3.Name: 5},
		{v1.Name: 50, v2.Name: 25, v3.Name: 25},
	} {
		routes := []kubernetes.Route{
			{ServerGroup: v1.Name, Weight: int(step[v1.Name])},
			{ServerGroup: v2.Name, Weight: int(step[v2.Name]), Canary: true},
			{ServerGroup: v3.Name, Weight: int(step[v3.Name])},
		}
		route(routes...)
		for _, name := range []string{"checkout", "checkout-mesh"} {
			hr := read(name)
			if got := kubernetes.RouteWeights(hr); !maps.Equal(got, step) {
				t.Errorf("%s weights = %v, want %v", name, got, step)
			}
			if got := kubernetes.CanaryBackend(hr); got != v2.Name {
				t.Errorf("%s canary rule -> %q", name, got)
			}
		}
		// In-cluster callers of the stable Service stay on the serving group.
		b.endpoints(t, "checkout", v1.Name)
		b.confirmedFor(t, a, routes)
	}

	// The canary rule: one match per path, each with both headers, as the
	// API server stored (and defaulted) it.
	hr = read("checkout")
	for _, rule := range hr.Spec.Rules {
		var paths []string
		for _, m := range rule.Matches {
			paths = append(paths, string(*m.Path.Type)+" "+*m.Path.Value)
			if *rule.Name == kubernetes.RuleCanary && len(m.Headers) != 2 {
				t.Errorf("canary match %v has headers %v", paths, m.Headers)
			}
		}
		if want := []string{"PathPrefix /cart", "Exact /checkout"}; !slices.Equal(paths, want) {
			t.Errorf("rule %s matches %v, want %v", *rule.Name, paths, want)
		}
	}
	mesh := read("checkout-mesh")
	if p := mesh.Spec.ParentRefs; len(p) != 1 || string(*p[0].Kind) != "Service" || string(*p[0].Group) != "" || p[0].Name != "checkout" || *p[0].Port != 80 {
		t.Errorf("mesh parentRefs = %+v", p)
	}

	// A controller that accepted the route on one listener but has not seen
	// the current generation on the other holds the confirmation back;
	// the same for a mesh that reports on the stable Service.
	split := []kubernetes.Route{{ServerGroup: v1.Name, Weight: 50}, {ServerGroup: v2.Name, Weight: 25, Canary: true}, {ServerGroup: v3.Name, Weight: 25}}
	gw, err := gateway.NewForConfig(b.env.RESTConfig)
	if err != nil {
		t.Fatal(err)
	}
	setStatus(t, b, gw, "checkout", map[string]int64{"https": 0, "http": -1})
	notYet(t, b, a, split, "Gateway infra/public (listener http, port 80) has seen generation")
	setStatus(t, b, gw, "checkout", map[string]int64{"https": 0, "http": 0})
	setStatus(t, b, gw, "checkout-mesh", map[string]int64{"": -1})
	notYet(t, b, a, split, "Service "+b.ns+"/checkout (port 80) has seen generation")
	setStatus(t, b, gw, "checkout-mesh", map[string]int64{"": 0})
	b.confirmedFor(t, a, split)

	// Promotion: the canary takes everything; the stable Service follows.
	promoted := []kubernetes.Route{{ServerGroup: v1.Name}, {ServerGroup: v2.Name, Weight: 100}, {ServerGroup: v3.Name}}
	route(promoted...)
	if got := kubernetes.RouteWeights(read("checkout")); !maps.Equal(got, map[string]int32{v2.Name: 100}) {
		t.Errorf("after promotion weights = %v", got)
	}
	notYet(t, b, a, promoted, "has seen generation") // the controller has not seen it
	setStatus(t, b, gw, "checkout", map[string]int64{"https": 0, "http": 0})
	setStatus(t, b, gw, "checkout-mesh", map[string]int64{"": 0})
	b.endpoints(t, "checkout", v2.Name)
	b.confirmedFor(t, a, promoted)
}

// setStatus writes an HTTPRoute's status as a Gateway (or mesh) controller
// would, as admin: one parent per key (a listener of Gateway infra/public;
// "" the stable Service), accepted at the current generation plus the
// value (-1: one behind).
func setStatus(t *testing.T, b bundle, gw gateway.Interface, name string, parents map[string]int64) {
	t.Helper()
	hr, err := gw.GatewayV1().HTTPRoutes(b.ns).Get(b.ctx, name, metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	hr.Status.Parents = nil
	for _, section := range slices.Sorted(maps.Keys(parents)) {
		ref := gatewayv1.ParentReference{Name: "public", Namespace: ptr(gatewayv1.Namespace("infra")), SectionName: ptr(gatewayv1.SectionName(section))}
		if section == "http" {
			ref.Port = ptr(gatewayv1.PortNumber(80))
		}
		if section == "" {
			ref = gatewayv1.ParentReference{Group: ptr(gatewayv1.Group("")), Kind: ptr(gatewayv1.Kind("Service")), Name: "checkout", Port: ptr(gatewayv1.PortNumber(80))}
		}
		hr.Status.Parents = append(hr.Status.Parents, gatewayv1.RouteParentStatus{
			ParentRef: ref, ControllerName: "example.com/gateway-controller",
			Conditions: []metav1.Condition{{Type: string(gatewayv1.RouteConditionAccepted), Status: metav1.ConditionTrue, Reason: "Accepted",
				Message: "set by the test", ObservedGeneration: hr.Generation + parents[section], LastTransitionTime: metav1.Now()}},
		})
	}
	if _, err := gw.GatewayV1().HTTPRoutes(b.ns).UpdateStatus(b.ctx, hr, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
}

// notYet checks that ConfirmTraffic does not confirm routes and says why.
func notYet(t *testing.T, b bundle, a model.Application, routes []kubernetes.Route, why string) {
	t.Helper()
	ok, detail, err := b.p.ConfirmTraffic(b.ctx, a, routes)
	if err != nil || ok || !strings.Contains(detail, why) {
		t.Fatalf("ConfirmTraffic = %v %q %v, want not reached because %q", ok, detail, err, why)
	}
}

// confirmedFor is confirmed for an application other than app().
func (b bundle) confirmedFor(t *testing.T, a model.Application, routes []kubernetes.Route) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	var detail string
	for time.Now().Before(deadline) {
		ok, d, err := b.p.ConfirmTraffic(b.ctx, a, routes)
		if err != nil {
			t.Fatalf("ConfirmTraffic: %v", err)
		}
		if ok {
			return
		}
		detail = d
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("traffic never reached %v: %s", routes, detail)
}
