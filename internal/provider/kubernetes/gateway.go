package kubernetes

import (
	"context"
	"fmt"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	gatewayv1 "sigs.k8s.io/gateway-api/apis/v1"
	gwac "sigs.k8s.io/gateway-api/applyconfiguration/apis/v1"

	"github.com/gennaker/gennaker/internal/model"
)

// Rule names gennaker gives the rules of its HTTPRoutes; RouteWeights and
// CanaryBackend find them by these names.
const (
	// RuleCanary sends requests carrying the canary headers to the canary group.
	RuleCanary = "canary"
	// RuleSplit spreads every other request of the route by weight.
	RuleSplit = "split"
)

// meshRouteSuffix names the GAMMA HTTPRoute: "<app>-mesh".
const meshRouteSuffix = "-mesh"

// MeshRouteName is the name of the HTTPRoute whose parent is the
// application's stable Service (target.gateway.mesh).
func MeshRouteName(app model.Application) string { return app.Name + meshRouteSuffix }

// routeGateway applies one Service per routed server group, the
// application's HTTPRoute and, with target.gateway.mesh, its mesh route.
func (p *Provider) routeGateway(ctx context.Context, app model.Application, routes []Route) error {
	if err := p.needParents(); err != nil {
		return err
	}
	for _, r := range routes {
		if err := p.applyService(ctx, groupService(p.ns, app, r.ServerGroup)); err != nil {
			return err
		}
	}
	hrs := []*gwac.HTTPRouteApplyConfiguration{BuildHTTPRoute(p.ns, app, *p.gateway, routes)}
	if p.gateway.Mesh {
		hrs = append(hrs, BuildMeshHTTPRoute(p.ns, app, routes))
	}
	for _, hr := range hrs {
		err := p.retry(ctx, p.what("apply", "HTTPRoute", *hr.Name), func(ctx context.Context) error {
			_, err := p.gw.GatewayV1().HTTPRoutes(p.ns).Apply(ctx, hr, metav1.ApplyOptions{FieldManager: ManagedBy, Force: true})
			return err
		})
		if err != nil {
			return p.gatewayGone(ctx, err)
		}
	}
	return nil
}

// needParents fails when the environment names no parent Gateway (config
// validation refuses that; a provider built by hand may not).
func (p *Provider) needParents() error {
	if p.gateway == nil || len(p.gateway.Parents()) == 0 {
		return fmt.Errorf("environment %s: traffic: gateway needs target.gateway.name or target.gateway.parentRefs (the Gateways the HTTPRoute attaches to)", p.env)
	}
	return nil
}

// BuildHTTPRoute is the application's HTTPRoute for a split, attached to
// every parent of gw, for the application's hostnames (gw's for it, when
// it lists some). It has two rules, each with one match per path of
// spec.httpRoute (none: every path):
//
//   - "canary", while a route is marked canary: the path and all canary
//     headers (default X-Gennaker-Route: canary) go to the canary group;
//   - "split": the path goes to the groups with a weight above zero, by
//     weight.
//
// A request matching both takes the canary rule: Gateway API prefers, for
// the same path, the match with more header matches, whichever rule holds it.
func BuildHTTPRoute(ns string, app model.Application, gw model.GatewayRef, routes []Route) *gwac.HTTPRouteApplyConfiguration {
	spec := gwac.HTTPRouteSpec()
	for _, ref := range ParentRefs(ns, gw) {
		spec.WithParentRefs(parentRefConfig(ref))
	}
	for _, h := range gw.RouteHostnames(app) {
		spec.WithHostnames(gatewayv1.Hostname(h))
	}
	spec.WithRules(routeRules(app, app.HTTPRoute.PathMatches(), routes)...)
	return gwac.HTTPRoute(app.Name, ns).
		WithLabels(map[string]string{LabelApp: app.Name, LabelManagedBy: ManagedBy}).
		WithSpec(spec)
}

// BuildMeshHTTPRoute is the application's GAMMA route: the same rules as
// BuildHTTPRoute for every path, attached to the stable Service's first
// port, so a mesh that implements GAMMA gives in-cluster callers of the
// stable Service the same split and canary header. It has no hostnames and
// no path matches: a mesh answers a call no rule matches with 404, and
// in-cluster callers dial every path of the Service.
func BuildMeshHTTPRoute(ns string, app model.Application, routes []Route) *gwac.HTTPRouteApplyConfiguration {
	parent := MeshParentRef(app)
	return gwac.HTTPRoute(MeshRouteName(app), ns).
		WithLabels(map[string]string{LabelApp: app.Name, LabelManagedBy: ManagedBy}).
		WithSpec(gwac.HTTPRouteSpec().
			WithParentRefs(parentRefConfig(parent)).
			WithRules(routeRules(app, nil, routes)...))
}

// routeRules are the canary and split rules of a route over paths.
func routeRules(app model.Application, paths []model.PathMatch, routes []Route) []*gwac.HTTPRouteRuleApplyConfiguration {
	backend := func(group string, weight int) *gwac.HTTPBackendRefApplyConfiguration {
		return gwac.HTTPBackendRef().
			WithName(gatewayv1.ObjectName(group)).
			WithPort(gatewayv1.PortNumber(backendPort(app))).
			WithWeight(int32(weight))
	}
	var rules []*gwac.HTTPRouteRuleApplyConfiguration
	for _, r := range routes {
		if r.Canary {
			rules = append(rules, gwac.HTTPRouteRule().
				WithName(RuleCanary).
				WithMatches(routeMatches(paths, app.HTTPRoute.CanaryMatch())...).
				WithBackendRefs(backend(r.ServerGroup, 1)))
		}
	}
	split := gwac.HTTPRouteRule().WithName(RuleSplit).WithMatches(routeMatches(paths, nil)...)
	for _, r := range routes {
		if r.Weight > 0 {
			split.WithBackendRefs(backend(r.ServerGroup, r.Weight))
		}
	}
	return append(rules, split)
}

// routeMatches is one match per path, each with all headers; with no paths
// one match of the headers alone (every path), and none without headers
// either (the API server then matches every path).
func routeMatches(paths []model.PathMatch, headers []model.HeaderMatch) []*gwac.HTTPRouteMatchApplyConfiguration {
	if len(paths) == 0 && len(headers) == 0 {
		return nil
	}
	withHeaders := func(m *gwac.HTTPRouteMatchApplyConfiguration) *gwac.HTTPRouteMatchApplyConfiguration {
		for _, h := range headers {
			m.WithHeaders(gwac.HTTPHeaderMatch().
				WithType(gatewayv1.HeaderMatchType(h.Type)).
				WithName(gatewayv1.HTTPHeaderName(h.Name)).
				WithValue(h.Value))
		}
		return m
	}
	if len(paths) == 0 {
		return []*gwac.HTTPRouteMatchApplyConfiguration{withHeaders(gwac.HTTPRouteMatch())}
	}
	out := make([]*gwac.HTTPRouteMatchApplyConfiguration, len(paths))
	for i, p := range paths {
		out[i] = withHeaders(gwac.HTTPRouteMatch().WithPath(gwac.HTTPPathMatch().
			WithType(gatewayv1.PathMatchType(p.Type)).
			WithValue(p.Value)))
	}
	return out
}

// ParentRefs are the parents of the application's HTTPRoute in an
// environment whose gateway is gw, as the API server stores them (group,
// kind and namespace filled in), so status entries can be compared.
func ParentRefs(ns string, gw model.GatewayRef) []gatewayv1.ParentReference {
	var out []gatewayv1.ParentReference
	for _, p := range gw.Parents() {
		pns := p.Namespace
		if pns == "" {
			pns = ns
		}
		ref := gatewayv1.ParentReference{
			Group:     ptrTo(gatewayv1.Group(gatewayv1.GroupName)),
			Kind:      ptrTo(gatewayv1.Kind("Gateway")),
			Namespace: ptrTo(gatewayv1.Namespace(pns)),
			Name:      gatewayv1.ObjectName(p.Name),
		}
		if p.SectionName != "" {
			ref.SectionName = ptrTo(gatewayv1.SectionName(p.SectionName))
		}
		if p.Port != 0 {
			ref.Port = ptrTo(gatewayv1.PortNumber(p.Port))
		}
		out = append(out, ref)
	}
	return out
}

// MeshParentRef is the mesh route's parent: the stable Service's first
// port (the port the backends are addressed on), in the route's namespace.
func MeshParentRef(app model.Application) gatewayv1.ParentReference {
	return gatewayv1.ParentReference{
		Group: ptrTo(gatewayv1.Group("")),
		Kind:  ptrTo(gatewayv1.Kind("Service")),
		Name:  gatewayv1.ObjectName(stableServiceName(app)),
		Port:  ptrTo(gatewayv1.PortNumber(backendPort(app))),
	}
}

func parentRefConfig(ref gatewayv1.ParentReference) *gwac.ParentReferenceApplyConfiguration {
	c := gwac.ParentReference().WithName(ref.Name)
	if ref.Group != nil {
		c.WithGroup(*ref.Group)
	}
	if ref.Kind != nil {
		c.WithKind(*ref.Kind)
	}
	if ref.Namespace != nil {
		c.WithNamespace(*ref.Namespace)
	}
	if ref.SectionName != nil {
		c.WithSectionName(*ref.SectionName)
	}
	if ref.Port != nil {
		c.WithPort(*ref.Port)
	}
	return c
}

func ptrTo[T any](v T) *T { return &v }

// StableGroup is the one server group the stable Service selects in
// gateway mode during a split: callers that bypass the HTTPRoute (in-cluster
// clients without a GAMMA mesh) stay on the version the canary is compared
// with, as Argo Rollouts' stable Service does. It is the group with the
// largest weight that is not the canary (the first listed on a tie); the
// canary only when it is the only group with a weight; "" with no traffic.
func StableGroup(routes []Route) string {
	best, bestWeight := "", 0
	for _, canary := range []bool{false, true} {
		for _, r := range routes {
			if r.Canary == canary && r.Weight > bestWeight {
				best, bestWeight = r.ServerGroup, r.Weight
			}
		}
		if best != "" {
			return best
		}
	}
	return ""
}

// stableRoutes is the split the stable Service follows: in gateway mode
// all of it to StableGroup, otherwise routes as given.
func (p *Provider) stableRoutes(routes []Route) []Route {
	if p.traffic != model.TrafficGateway {
		return routes
	}
	g := StableGroup(routes)
	if g == "" {
		return routes
	}
	return []Route{{ServerGroup: g, Weight: 100}}
}

// RouteWeights reads the weighted split of an HTTPRoute gennaker wrote
// (the rule named "split"), by backend name.
func RouteWeights(hr *gatewayv1.HTTPRoute) map[string]int32 {
	out := map[string]int32{}
	for _, rule := range hr.Spec.Rules {
		if rule.Name == nil || *rule.Name != RuleSplit {
			continue
		}
		for _, b := range rule.BackendRefs {
			w := int32(1)
			if b.Weight != nil {
				w = *b.Weight
			}
			out[string(b.Name)] = w
		}
	}
	return out
}

// CanaryBackend is the backend the canary header rule sends to, or "".
func CanaryBackend(hr *gatewayv1.HTTPRoute) string {
	for _, rule := range hr.Spec.Rules {
		if rule.Name != nil && *rule.Name == RuleCanary && len(rule.BackendRefs) > 0 {
			return string(rule.BackendRefs[0].Name)
		}
	}
	return ""
}

// HTTPRoute reads the application's HTTPRoute (gateway mode).
func (p *Provider) HTTPRoute(ctx context.Context, app string) (*gatewayv1.HTTPRoute, error) {
	var hr *gatewayv1.HTTPRoute
	err := p.retry(ctx, p.what("get", "HTTPRoute", app), func(ctx context.Context) error {
		var err error
		hr, err = p.gw.GatewayV1().HTTPRoutes(p.ns).Get(ctx, app, metav1.GetOptions{})
		return err
	})
	return hr, err
}
