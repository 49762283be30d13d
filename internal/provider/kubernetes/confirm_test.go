package kubernetes_test

import (
	"strings"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	gatewayv1 "sigs.k8s.io/gateway-api/apis/v1"
	gateway "sigs.k8s.io/gateway-api/pkg/client/clientset/versioned"

	"github.com/gennaker/gennaker/internal/model"
	"github.com/gennaker/gennaker/internal/provider/kubernetes"
)

// confirmed polls ConfirmTraffic until it says traffic arrived, and
// returns how long that took.
func (b bundle) confirmed(t *testing.T, routes []kubernetes.Route) time.Duration {
	t.Helper()
	start := time.Now()
	var detail string
	for time.Since(start) < 30*time.Second {
		ok, d, err := b.p.ConfirmTraffic(b.ctx, app(), routes)
		if err != nil {
			t.Fatalf("ConfirmTraffic: %v", err)
		}
		if ok {
			return time.Since(start)
		}
		detail = d
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("traffic never reached %v: %s", routes, detail)
	return 0
}

func TestConfirmTrafficReplicas(t *testing.T) {
	b := setup(t, model.TrafficReplicas)
	v1, v2 := group(1, "1.0.0", 2), group(2, "2.0.0", 2)
	b.up(t, app(), v1)
	b.up(t, app(), v2)
	toV1 := []kubernetes.Route{{ServerGroup: v1.Name, Weight: 100}, {ServerGroup: v2.Name}}
	b.route(t, toV1...)
	t.Logf("v1 confirmed after %s", b.confirmed(t, toV1).Round(time.Millisecond))

	// The stable Service's slices list v1's pods: a split that gives v2 the
	// traffic is not there until the route (relabelling) has taken effect.
	toV2 := []kubernetes.Route{{ServerGroup: v1.Name}, {ServerGroup: v2.Name, Weight: 100}}
	ok, detail, err := b.p.ConfirmTraffic(b.ctx, app(), toV2)
	if err != nil || ok {
		t.Fatalf("before routing to v2: ConfirmTraffic = %v %q %v, want not reached", ok, detail, err)
	}
	for _, want := range []string{"Service checkout still sends requests to pod checkout-v001-", "which was routed 0%", "Service checkout has no ready endpoint yet for checkout-v002 (routed 100%, 2 ready pods)"} {
		if !strings.Contains(detail, want) {
			t.Errorf("detail %q should say %q", detail, want)
		}
	}
	b.route(t, toV2...)
	t.Logf("v2 confirmed %s after its route", b.confirmed(t, toV2).Round(time.Millisecond))
}

func TestConfirmTrafficGatewayReadsTheHTTPRouteStatus(t *testing.T) {
	b := setup(t, model.TrafficGateway)
	v1, v2 := group(1, "1.0.0", 1), group(2, "2.0.0", 1)
	b.up(t, app(), v1)
	b.up(t, app(), v2)
	split := []kubernetes.Route{{ServerGroup: v1.Name, Weight: 70}, {ServerGroup: v2.Name, Weight: 30, Canary: true}}
	b.route(t, split...)
	// No Gateway controller runs here: the per-group Services' endpoints
	// and the HTTPRoute's weights decide.
	t.Logf("split confirmed after %s", b.confirmed(t, split).Round(time.Millisecond))

	// A controller that reports on our Gateway but has not seen the
	// current generation holds the confirmation back; once it accepts it,
	// traffic is there. (Status is written as admin, as a controller would.)
	gw, err := gateway.NewForConfig(b.env.RESTConfig)
	if err != nil {
		t.Fatal(err)
	}
	setStatus := func(observed int64, accepted metav1.ConditionStatus) {
		t.Helper()
		hr, err := gw.GatewayV1().HTTPRoutes(b.ns).Get(b.ctx, "checkout", metav1.GetOptions{})
		if err != nil {
			t.Fatal(err)
		}
		hr.Status.Parents = []gatewayv1.RouteParentStatus{{
			ParentRef:      gatewayv1.ParentReference{Name: "public", Namespace: ptr(gatewayv1.Namespace(b.ns))},
			ControllerName: "example.com/gateway-controller",
			Conditions: []metav1.Condition{{Type: string(gatewayv1.RouteConditionAccepted), Status: accepted, Reason: "Testing",
				Message: "set by the test", ObservedGeneration: hr.Generation + observed, LastTransitionTime: metav1.Now()}},
		}}
		if _, err := gw.GatewayV1().HTTPRoutes(b.ns).UpdateStatus(b.ctx, hr, metav1.UpdateOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	setStatus(-1, metav1.ConditionTrue)
	ok, detail, err := b.p.ConfirmTraffic(b.ctx, app(), split)
	if err != nil || ok || !strings.Contains(detail, "has seen generation") {
		t.Fatalf("with an old observedGeneration: ConfirmTraffic = %v %q %v", ok, detail, err)
	}
	setStatus(0, metav1.ConditionFalse)
	ok, detail, err = b.p.ConfirmTraffic(b.ctx, app(), split)
	if err != nil || ok || !strings.Contains(detail, "does not accept HTTPRoute checkout: Testing: set by the test") {
		t.Fatalf("not accepted: ConfirmTraffic = %v %q %v", ok, detail, err)
	}
	setStatus(0, metav1.ConditionTrue)
	b.confirmed(t, split)

	// A split the HTTPRoute does not carry (yet) is not confirmed.
	ok, detail, err = b.p.ConfirmTraffic(b.ctx, app(), []kubernetes.Route{{ServerGroup: v1.Name}, {ServerGroup: v2.Name, Weight: 100}})
	if err != nil || ok || !strings.Contains(detail, "HTTPRoute checkout gives checkout-v002 weight 30, not 100") {
		t.Fatalf("an unapplied split: ConfirmTraffic = %v %q %v", ok, detail, err)
	}
}

func ptr[T any](v T) *T { return &v }
