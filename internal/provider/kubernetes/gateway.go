package kubernetes

import (
	"context"
	"fmt"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	gatewayv1 "sigs.k8s.io/gateway-api/apis/v1"
	gwac "sigs.k8s.io/gateway-api/applyconfiguration/apis/v1"

	"github.com/gennaker/gennaker/internal/model"
)

// routeGateway applies one Service per routed server group and the
// application's HTTPRoute.
func (p *Provider) routeGateway(ctx context.Context, app model.Application, routes []Route) error {
	if p.gateway == nil || p.gateway.Name == "" {
		return fmt.Errorf("environment %s: traffic: gateway needs target.gateway.name (the Gateway the HTTPRoute attaches to)", p.env)
	}
	for _, r := range routes {
		if err := p.applyService(ctx, groupService(p.ns, app, r.ServerGroup)); err != nil {
			return err
		}
	}
	hr := BuildHTTPRoute(p.ns, app, *p.gateway, routes)
	err := p.retry(ctx, p.what("apply", "HTTPRoute", app.Name), func(ctx context.Context) error {
		_, err := p.gw.GatewayV1().HTTPRoutes(p.ns).Apply(ctx, hr, metav1.ApplyOptions{FieldManager: ManagedBy, Force: true})
		return err
	})
	return p.gatewayGone(ctx, err)
}

// BuildHTTPRoute is the application's HTTPRoute for a split: requests with
// the header X-Gennaker-Route: canary go to the canary group (when a route
// is marked canary), all others are split by weight over the groups with a
// weight above zero.
func BuildHTTPRoute(ns string, app model.Application, gw model.GatewayRef, routes []Route) *gwac.HTTPRouteApplyConfiguration {
	gwNS := gw.Namespace
	if gwNS == "" {
		gwNS = ns
	}
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
				WithName("canary").
				WithMatches(gwac.HTTPRouteMatch().WithHeaders(gwac.HTTPHeaderMatch().
					WithType(gatewayv1.HeaderMatchExact).
					WithName(CanaryHeader).WithValue(CanaryHeaderValue))).
				WithBackendRefs(backend(r.ServerGroup, 1)))
		}
	}
	split := gwac.HTTPRouteRule().WithName("split")
	for _, r := range routes {
		if r.Weight > 0 {
			split.WithBackendRefs(backend(r.ServerGroup, r.Weight))
		}
	}
	rules = append(rules, split)
	return gwac.HTTPRoute(app.Name, ns).
		WithLabels(map[string]string{LabelApp: app.Name, LabelManagedBy: ManagedBy}).
		WithSpec(gwac.HTTPRouteSpec().
			WithParentRefs(gwac.ParentReference().
				WithName(gatewayv1.ObjectName(gw.Name)).
				WithNamespace(gatewayv1.Namespace(gwNS))).
			WithRules(rules...))
}

// RouteWeights reads the weighted split of an HTTPRoute gennaker wrote
// (the rule named "split"), by backend name.
func RouteWeights(hr *gatewayv1.HTTPRoute) map[string]int32 {
	out := map[string]int32{}
	for _, rule := range hr.Spec.Rules {
		if rule.Name == nil || *rule.Name != "split" {
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
		if rule.Name != nil && *rule.Name == "canary" && len(rule.BackendRefs) > 0 {
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
