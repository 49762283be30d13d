package kubernetes

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"

	discoveryv1 "k8s.io/api/discovery/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/selection"
	gatewayv1 "sigs.k8s.io/gateway-api/apis/v1"

	"github.com/gennaker/gennaker/internal/model"
)

// ConfirmTraffic looks once whether the split routes (as Route was last
// given it) has reached the data plane, from what kube-proxy and Gateway
// controllers read: EndpointSlices and the HTTPRoute's status. Relabelling
// pods or applying an HTTPRoute is only a request; the EndpointSlice
// controller may be slow, or stale for tens of seconds after an API server
// restart, and until then requests still go to the old pods.
//
// In replicas mode every ready endpoint of the stable Service must be a pod
// of a group with a weight above zero, and every such group with ready pods
// must have at least one ready endpoint. In gateway mode every such group's
// own Service must have a ready endpoint of its pods, the stable Service's
// ready endpoints must be pods of StableGroup, the HTTPRoute (and the mesh
// route) must carry the weights, and for each of its parents a controller
// reports on in the route's status, it must have accepted the current
// generation.
//
// It makes a few reads and never retries: an error means "could not look"
// and the caller looks again. detail says what is stale, for a person.
func (p *Provider) ConfirmTraffic(ctx context.Context, app model.Application, routes []Route) (reached bool, detail string, err error) {
	pods, err := p.serverGroupPods(ctx)
	if err != nil {
		return false, "", err
	}
	weights := map[string]int{}
	for _, r := range routes {
		weights[r.ServerGroup] = r.Weight
	}
	var stale []string
	if p.traffic == model.TrafficGateway {
		stale, err = p.staleGateway(ctx, app, routes, weights, pods)
	} else {
		svc := stableServiceName(app)
		var eps []discoveryv1.EndpointSlice
		if eps, err = p.endpointSlices(ctx, svc); err == nil {
			stale = staleReplicas(svc, eps, weights, pods)
		}
	}
	if err != nil {
		return false, "", err
	}
	if len(stale) == 0 {
		return true, "", nil
	}
	const most = 3
	if len(stale) > most {
		stale = append(stale[:most], fmt.Sprintf("and %d more", len(stale)-most))
	}
	return false, strings.Join(stale, "; "), nil
}

// podInfo is what confirming traffic needs to know of a pod.
type podInfo struct {
	group string
	ready bool
}

// serverGroupPods lists the pods of every server group in the namespace by
// name, with their group (the gennaker.dev/server-group label).
func (p *Provider) serverGroupPods(ctx context.Context) (map[string]podInfo, error) {
	req, _ := labels.NewRequirement(LabelServerGroup, selection.Exists, nil)
	list, err := p.kube.CoreV1().Pods(p.ns).List(ctx, metav1.ListOptions{LabelSelector: labels.NewSelector().Add(*req).String()})
	if err != nil {
		return nil, fmt.Errorf("%s: %w", p.what("list", "Pods", LabelServerGroup), err)
	}
	out := make(map[string]podInfo, len(list.Items))
	for i := range list.Items {
		pod := &list.Items[i]
		out[pod.Name] = podInfo{group: pod.Labels[LabelServerGroup], ready: pod.DeletionTimestamp == nil && podReady(*pod)}
	}
	return out, nil
}

// endpointSlices lists the EndpointSlices of the Service called svc.
func (p *Provider) endpointSlices(ctx context.Context, svc string) ([]discoveryv1.EndpointSlice, error) {
	sel := labels.Set{discoveryv1.LabelServiceName: svc}.String()
	list, err := p.kube.DiscoveryV1().EndpointSlices(p.ns).List(ctx, metav1.ListOptions{LabelSelector: sel})
	if err != nil {
		return nil, fmt.Errorf("%s: %w", p.what("list", "EndpointSlices", sel), err)
	}
	return list.Items, nil
}

// readyEndpointPods lists the pods behind the ready endpoints of slices.
func readyEndpointPods(eps []discoveryv1.EndpointSlice) []string {
	var out []string
	for _, s := range eps {
		for _, ep := range s.Endpoints {
			ready := ep.Conditions.Ready == nil || *ep.Conditions.Ready // nil means ready (discovery/v1)
			if ready && ep.TargetRef != nil && ep.TargetRef.Kind == "Pod" {
				out = append(out, ep.TargetRef.Name)
			}
		}
	}
	return out
}

// staleReplicas says what in the stable Service's EndpointSlices does not
// match weights: ready endpoints of pods whose group has no weight (or no
// group, or that no longer exist), and groups with a weight and ready pods
// but no ready endpoint.
func staleReplicas(svc string, eps []discoveryv1.EndpointSlice, weights map[string]int, pods map[string]podInfo) []string {
	var stale []string
	reached := map[string]bool{}
	for _, name := range readyEndpointPods(eps) {
		pod, ok := pods[name]
		switch {
		case !ok:
			stale = append(stale, fmt.Sprintf("Service %s still sends requests to pod %s, which is gone or belongs to no server group", svc, name))
		case weights[pod.group] == 0:
			stale = append(stale, fmt.Sprintf("Service %s still sends requests to pod %s of %s, which was routed 0%%", svc, name, pod.group))
		default:
			reached[pod.group] = true
		}
	}
	return append(stale, unreached(weights, pods, reached, func(g string) string { return "Service " + svc })...)
}

// unreached says which groups with a weight and ready pods have no ready
// endpoint yet; service names where the group's endpoints should be.
func unreached(weights map[string]int, pods map[string]podInfo, reached map[string]bool, service func(group string) string) []string {
	readyPods := map[string]int{}
	for _, pod := range pods {
		if pod.ready {
			readyPods[pod.group]++
		}
	}
	var stale []string
	for _, g := range slices.Sorted(maps.Keys(weights)) {
		if weights[g] > 0 && readyPods[g] > 0 && !reached[g] {
			stale = append(stale, fmt.Sprintf("%s has no ready endpoint yet for %s (routed %d%%, %d ready pods)", service(g), g, weights[g], readyPods[g]))
		}
	}
	return stale
}

// staleGateway says what of a gateway-mode split has not reached the data
// plane: per-group Services without a ready endpoint of their group, a
// stable Service whose endpoints are not StableGroup's pods, and an
// HTTPRoute (and, with target.gateway.mesh, the mesh route) without the
// weights or whose current generation a controller reporting on one of its
// parents has not accepted.
func (p *Provider) staleGateway(ctx context.Context, app model.Application, routes []Route, weights map[string]int, pods map[string]podInfo) ([]string, error) {
	reached := map[string]bool{}
	for g, w := range weights {
		if w == 0 {
			continue
		}
		eps, err := p.endpointSlices(ctx, g)
		if err != nil {
			return nil, err
		}
		for _, name := range readyEndpointPods(eps) {
			if pods[name].group == g {
				reached[g] = true
			}
		}
	}
	stale := unreached(weights, pods, reached, func(g string) string { return "Service " + g })
	more, err := p.staleStableService(ctx, app, routes, weights, pods)
	if err != nil {
		return nil, err
	}
	stale = append(stale, more...)
	hr, err := p.gw.GatewayV1().HTTPRoutes(p.ns).Get(ctx, app.Name, metav1.GetOptions{})
	if err != nil {
		return nil, fmt.Errorf("%s: %w", p.what("get", "HTTPRoute", app.Name), err)
	}
	var parents []gatewayv1.ParentReference
	if p.gateway != nil {
		parents = ParentRefs(p.ns, *p.gateway)
	}
	stale = append(stale, staleHTTPRoute(hr, weights, parents)...)
	if p.gateway == nil || !p.gateway.Mesh {
		return stale, nil
	}
	name := MeshRouteName(app)
	mesh, err := p.gw.GatewayV1().HTTPRoutes(p.ns).Get(ctx, name, metav1.GetOptions{})
	if err != nil {
		return nil, fmt.Errorf("%s: %w", p.what("get", "HTTPRoute", name), err)
	}
	return append(stale, staleHTTPRoute(mesh, weights, []gatewayv1.ParentReference{MeshParentRef(app)})...), nil
}

// staleStableService checks, in gateway mode, that the stable Service's
// ready endpoints are the pods of the group its selector names (StableGroup
// once Route has run), or of the groups with a weight when it selects the
// enabled label (an adopted group whose pod template lacks its label).
func (p *Provider) staleStableService(ctx context.Context, app model.Application, routes []Route, weights map[string]int, pods map[string]podInfo) ([]string, error) {
	name := stableServiceName(app)
	svc, err := p.kube.CoreV1().Services(p.ns).Get(ctx, name, metav1.GetOptions{})
	if err != nil {
		return nil, fmt.Errorf("%s: %w", p.what("get", "Service", name), err)
	}
	var stale []string
	want := weights
	if g := svc.Spec.Selector[LabelServerGroup]; g != "" {
		if s := StableGroup(routes); s != "" && s != g {
			stale = append(stale, fmt.Sprintf("Service %s selects %s, not %s yet", name, g, s))
		}
		want = map[string]int{g: 100}
	}
	eps, err := p.endpointSlices(ctx, name)
	if err != nil {
		return nil, err
	}
	return append(stale, staleReplicas(name, eps, want, pods)...), nil
}

// staleHTTPRoute checks an HTTPRoute against the split and, for each of
// parents a controller has written status for, that it accepted the route's
// current generation. A parent nobody reports on is not waited for: no
// controller may run for it (a cluster without a Gateway implementation).
func staleHTTPRoute(hr *gatewayv1.HTTPRoute, weights map[string]int, parents []gatewayv1.ParentReference) []string {
	var stale []string
	have := RouteWeights(hr)
	for _, g := range slices.Sorted(maps.Keys(weights)) {
		if w := weights[g]; w > 0 && have[g] != int32(w) {
			stale = append(stale, fmt.Sprintf("HTTPRoute %s gives %s weight %d, not %d", hr.Name, g, have[g], w))
		}
	}
	for _, want := range parents {
		who := describeParent(want, hr.Namespace)
		for _, ps := range hr.Status.Parents {
			if !sameParent(ps.ParentRef, want, hr.Namespace) {
				continue
			}
			accepted := metaCondition(ps.Conditions, string(gatewayv1.RouteConditionAccepted))
			switch {
			case accepted == nil:
				stale = append(stale, fmt.Sprintf("%s (controller %s) has not reported on HTTPRoute %s yet", who, ps.ControllerName, hr.Name))
			case accepted.ObservedGeneration < hr.Generation:
				stale = append(stale, fmt.Sprintf("%s has seen generation %d of HTTPRoute %s, not the current %d", who, accepted.ObservedGeneration, hr.Name, hr.Generation))
			case accepted.Status != metav1.ConditionTrue:
				stale = append(stale, fmt.Sprintf("%s does not accept HTTPRoute %s: %s: %s", who, hr.Name, accepted.Reason, accepted.Message))
			}
		}
	}
	return stale
}

// parentKey is a parent reference with the API's defaults filled in.
type parentKey struct {
	group, kind, namespace, name, section string
	port                                  int32
}

func keyOf(ref gatewayv1.ParentReference, routeNS string) parentKey {
	k := parentKey{group: gatewayv1.GroupName, kind: "Gateway", namespace: routeNS, name: string(ref.Name)}
	if ref.Group != nil {
		k.group = string(*ref.Group)
	}
	if ref.Kind != nil {
		k.kind = string(*ref.Kind)
	}
	if ref.Namespace != nil && *ref.Namespace != "" {
		k.namespace = string(*ref.Namespace)
	}
	if ref.SectionName != nil {
		k.section = string(*ref.SectionName)
	}
	if ref.Port != nil {
		k.port = int32(*ref.Port)
	}
	return k
}

// sameParent reports whether a status entry's parentRef is the parent we wrote.
func sameParent(a, b gatewayv1.ParentReference, routeNS string) bool {
	return keyOf(a, routeNS) == keyOf(b, routeNS)
}

// describeParent names a parent for a person: "Gateway infra/public
// (listener https)", "Service shop/checkout (port 80)".
func describeParent(ref gatewayv1.ParentReference, routeNS string) string {
	k := keyOf(ref, routeNS)
	s := fmt.Sprintf("%s %s/%s", k.kind, k.namespace, k.name)
	switch {
	case k.section != "" && k.port != 0:
		s += fmt.Sprintf(" (listener %s, port %d)", k.section, k.port)
	case k.section != "":
		s += fmt.Sprintf(" (listener %s)", k.section)
	case k.port != 0:
		s += fmt.Sprintf(" (port %d)", k.port)
	}
	return s
}

func metaCondition(cs []metav1.Condition, typ string) *metav1.Condition {
	for i := range cs {
		if cs[i].Type == typ {
			return &cs[i]
		}
	}
	return nil
}
