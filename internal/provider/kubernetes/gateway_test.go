package kubernetes

import (
	"flag"
	"os"
	"path/filepath"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	gatewayv1 "sigs.k8s.io/gateway-api/apis/v1"
	gwac "sigs.k8s.io/gateway-api/applyconfiguration/apis/v1"
	"sigs.k8s.io/yaml"

	"github.com/gennaker/gennaker/internal/model"
)

var updateGolden = flag.Bool("update", false, "rewrite golden files from the current output")

// TestBuildHTTPRouteGolden renders HTTPRoutes for environments and
// applications and compares them with testdata/httproute/*.yaml.
func TestBuildHTTPRouteGolden(t *testing.T) {
	t.Parallel()
	legacy := model.GatewayRef{Name: "public", Namespace: "infra"}
	twoListeners := model.GatewayRef{ParentRefs: []model.ParentRef{
		{Name: "public", Namespace: "infra", SectionName: "https"},
		{Name: "internal", SectionName: "http", Port: 8080},
	}}
	withRoute := testApp()
	withRoute.HTTPRoute = &model.HTTPRouteSpec{
		Hostnames: []string{"shop.example.com", "*.shop.example.com"},
		Paths: []model.PathMatch{
			{Value: "/cart"}, // PathPrefix by default
			{Type: model.PathExact, Value: "/checkout"},
			{Type: model.PathRegularExpression, Value: "/api/v[0-9]+/orders"},
		},
		CanaryHeaders: []model.HeaderMatch{
			{Name: "X-Canary", Value: "always"}, // Exact by default
			{Name: "X-User", Type: model.HeaderRegularExpression, Value: "^qa-.*"},
		},
		RegularExpressions: true,
	}
	withRoute.Service = &model.ServiceSpec{Ports: []model.ServicePort{{Name: "http", Port: 7070}, {Name: "metrics", Port: 9090}}}
	staging := twoListeners
	staging.Hostnames = map[string][]string{"checkout": {"shop.staging.example.com"}, "other": {"other.example.com"}}

	canary := []Route{
		{ServerGroup: "checkout-v001", Weight: 80},
		{ServerGroup: "checkout-v002", Weight: 10, Canary: true},
		{ServerGroup: "checkout-v003", Weight: 10},
	}
	promoted := []Route{{ServerGroup: "checkout-v001"}, {ServerGroup: "checkout-v002", Weight: 100}}

	for _, tc := range []struct {
		name string
		hr   *gwac.HTTPRouteApplyConfiguration
	}{
		// gateway: {name, namespace} and no spec.httpRoute: the route of
		// before parentRefs, hostnames and paths existed.
		{"legacy-canary", BuildHTTPRoute("shop", testApp(), legacy, canary)},
		{"legacy-promoted", BuildHTTPRoute("shop", testApp(), legacy, promoted)},
		{"full-canary", BuildHTTPRoute("shop", withRoute, twoListeners, canary)},
		{"full-promoted", BuildHTTPRoute("shop", withRoute, twoListeners, promoted)},
		{"environment-hostnames", BuildHTTPRoute("shop", withRoute, staging, promoted)},
		{"mesh-canary", BuildMeshHTTPRoute("shop", withRoute, canary)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got, err := yaml.Marshal(tc.hr)
			if err != nil {
				t.Fatal(err)
			}
			goldenFile(t, filepath.Join("testdata", "httproute", tc.name+".yaml"), got)
		})
	}
}

// goldenFile compares got with the file at path, or rewrites it under -update.
func goldenFile(t *testing.T, path string, got []byte) {
	t.Helper()
	if *updateGolden {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test ./internal/provider/kubernetes -run TestBuildHTTPRouteGolden -update to create it)", err)
	}
	if string(got) != string(want) {
		t.Errorf("%s differs (run with -update if the change is intended)\n--- got\n%s\n--- want\n%s", path, got, want)
	}
}

func TestStableGroup(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name   string
		routes []Route
		want   string
	}{
		{"one group", []Route{{"a", 100, false}}, "a"},
		{"canary step: the serving group", []Route{{"a", 80, false}, {"b", 10, false}, {"c", 10, true}}, "a"},
		{"serving group at 0: the baseline, never the canary", []Route{{"a", 0, false}, {"b", 50, false}, {"c", 50, true}}, "b"},
		{"the canary outweighs: still not the canary", []Route{{"b", 30, false}, {"c", 70, true}}, "b"},
		{"promoted canary", []Route{{"a", 0, false}, {"c", 100, true}}, "c"},
		{"tie: the first listed", []Route{{"a", 50, false}, {"b", 50, false}}, "a"},
		{"no traffic", []Route{{"a", 0, false}}, ""},
	} {
		if got := StableGroup(tc.routes); got != tc.want {
			t.Errorf("%s: StableGroup = %q, want %q", tc.name, got, tc.want)
		}
	}
}

func TestStaleHTTPRouteChecksEachParent(t *testing.T) {
	t.Parallel()
	gw := model.GatewayRef{ParentRefs: []model.ParentRef{
		{Name: "public", Namespace: "infra", SectionName: "https"},
		{Name: "public", Namespace: "infra", SectionName: "http"},
	}}
	parents := ParentRefs("shop", gw)
	split := gatewayv1.SectionName(RuleSplit)
	hr := &gatewayv1.HTTPRoute{
		ObjectMeta: metav1.ObjectMeta{Name: "checkout", Namespace: "shop", Generation: 3},
		Spec: gatewayv1.HTTPRouteSpec{Rules: []gatewayv1.HTTPRouteRule{{Name: &split, BackendRefs: []gatewayv1.HTTPBackendRef{
			{BackendRef: gatewayv1.BackendRef{BackendObjectReference: gatewayv1.BackendObjectReference{Name: "checkout-v001"}, Weight: ptrTo(int32(100))}},
		}}}},
	}
	status := func(section string, gen int64, ok metav1.ConditionStatus) gatewayv1.RouteParentStatus {
		ref := parents[0]
		ref.SectionName = ptrTo(gatewayv1.SectionName(section))
		return gatewayv1.RouteParentStatus{ParentRef: ref, ControllerName: "example.com/gw", Conditions: []metav1.Condition{
			{Type: string(gatewayv1.RouteConditionAccepted), Status: ok, ObservedGeneration: gen, Reason: "Testing", Message: "by the test"},
		}}
	}
	weights := map[string]int{"checkout-v001": 100}
	for _, tc := range []struct {
		name   string
		status []gatewayv1.RouteParentStatus
		want   []string
	}{
		{"no controller reports", nil, nil},
		{"both listeners accepted", []gatewayv1.RouteParentStatus{status("https", 3, metav1.ConditionTrue), status("http", 3, metav1.ConditionTrue)}, nil},
		{"one listener behind", []gatewayv1.RouteParentStatus{status("https", 3, metav1.ConditionTrue), status("http", 2, metav1.ConditionTrue)},
			[]string{"Gateway infra/public (listener http) has seen generation 2 of HTTPRoute checkout, not the current 3"}},
		{"one listener refuses", []gatewayv1.RouteParentStatus{status("https", 3, metav1.ConditionFalse)},
			[]string{"Gateway infra/public (listener https) does not accept HTTPRoute checkout: Testing: by the test"}},
		{"another listener's status is not ours", []gatewayv1.RouteParentStatus{status("grpc", 1, metav1.ConditionFalse)}, nil},
	} {
		hr := hr.DeepCopy()
		hr.Status.Parents = tc.status
		got := staleHTTPRoute(hr, weights, parents)
		if len(got) != len(tc.want) || len(got) > 0 && got[0] != tc.want[0] {
			t.Errorf("%s: stale = %q, want %q", tc.name, got, tc.want)
		}
	}
}
