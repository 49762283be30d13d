package model

// Gateway API routing (Kubernetes environments with traffic: gateway). The
// environment says where HTTPRoutes attach (GatewayRef: the parent Gateways,
// a mesh); the application says which requests are its own (HTTPRouteSpec:
// hostnames, paths) and how a tester reaches its canary (the canary header).

// GatewayRef is where an environment's HTTPRoutes attach. One Gateway is
// written in short form (name, namespace, sectionName, port); several go
// under ParentRefs. Exactly one of Name and ParentRefs is set.
type GatewayRef struct {
	Name string `json:"name,omitempty"`
	// Namespace defaults to the environment's namespace.
	Namespace string `json:"namespace,omitempty"`
	// SectionName is the Gateway listener to attach to (default: every
	// listener that allows the route).
	SectionName string `json:"sectionName,omitempty"`
	// Port is the Gateway listener port to attach to (default: any).
	Port int `json:"port,omitempty"`
	// ParentRefs lists several Gateways (or listeners of one Gateway).
	ParentRefs []ParentRef `json:"parentRefs,omitempty"`
	// Hostnames replaces, per application name, the application's
	// httpRoute.hostnames in this environment (staging hosts, say).
	Hostnames map[string][]string `json:"hostnames,omitempty"`
	// Mesh also applies each split to in-cluster callers of the stable
	// Service: an HTTPRoute "<app>-mesh" whose parent is the stable Service
	// (Gateway API GAMMA), for meshes that implement it (Istio, Linkerd).
	Mesh bool `json:"mesh,omitempty"`
}

// ParentRef is one Gateway (or one of its listeners) an HTTPRoute attaches to.
type ParentRef struct {
	Name string `json:"name"`
	// Namespace defaults to the environment's namespace.
	Namespace   string `json:"namespace,omitempty"`
	SectionName string `json:"sectionName,omitempty"`
	Port        int    `json:"port,omitempty"`
}

// Parents lists the parent Gateways: ParentRefs, or the short form.
func (g GatewayRef) Parents() []ParentRef {
	if len(g.ParentRefs) > 0 {
		return g.ParentRefs
	}
	if g.Name == "" {
		return nil
	}
	return []ParentRef{{Name: g.Name, Namespace: g.Namespace, SectionName: g.SectionName, Port: g.Port}}
}

// HTTPRouteSpec is what an application says about its HTTPRoute.
type HTTPRouteSpec struct {
	// Hostnames the route answers for (Host header); none means every
	// hostname the parent listeners accept.
	Hostnames []string `json:"hostnames,omitempty"`
	// Paths the route takes; none means every path (PathPrefix /).
	Paths []PathMatch `json:"paths,omitempty"`
	// CanaryHeaders send a request to the canary group when it carries all
	// of them (default: X-Gennaker-Route: canary).
	CanaryHeaders []HeaderMatch `json:"canaryHeaders,omitempty"`
	// RegularExpressions allows RegularExpression path and header matches.
	// Their syntax and support are up to the Gateway implementation (RE2
	// for Envoy-based ones), so they are refused unless set.
	RegularExpressions bool `json:"regularExpressions,omitempty"`
}

// PathMatchType is how a request's path is compared (Gateway API).
type PathMatchType string

const (
	// PathPrefix matches the path and everything under it, by whole
	// segments: /cart matches /cart and /cart/items, not /carts.
	PathPrefix PathMatchType = "PathPrefix"
	// PathExact matches the path exactly (case-sensitive).
	PathExact PathMatchType = "Exact"
	// PathRegularExpression matches the path against a regular expression
	// (implementation-specific; needs httpRoute.regularExpressions).
	PathRegularExpression PathMatchType = "RegularExpression"
)

// PathMatch is one path the application's route takes.
type PathMatch struct {
	// Type defaults to PathPrefix.
	Type  PathMatchType `json:"type,omitempty"`
	Value string        `json:"value"`
}

// HeaderMatchType is how a request header's value is compared (Gateway API).
type HeaderMatchType string

const (
	// HeaderExact matches the header's value exactly.
	HeaderExact HeaderMatchType = "Exact"
	// HeaderRegularExpression matches the value against a regular expression
	// (implementation-specific; needs httpRoute.regularExpressions).
	HeaderRegularExpression HeaderMatchType = "RegularExpression"
)

// HeaderMatch is one header a canary request carries.
type HeaderMatch struct {
	// Name is an HTTP header name, compared in any case.
	Name string `json:"name"`
	// Type defaults to Exact.
	Type  HeaderMatchType `json:"type,omitempty"`
	Value string          `json:"value"`
}

// DefaultCanaryHeader is the header that sends a request to the canary when
// an application names none.
var DefaultCanaryHeader = HeaderMatch{Name: "X-Gennaker-Route", Type: HeaderExact, Value: "canary"}

// CanaryMatch is the headers that send a request to the canary: the
// application's canaryHeaders (their types defaulted), or DefaultCanaryHeader.
func (s *HTTPRouteSpec) CanaryMatch() []HeaderMatch {
	if s == nil || len(s.CanaryHeaders) == 0 {
		return []HeaderMatch{DefaultCanaryHeader}
	}
	out := make([]HeaderMatch, len(s.CanaryHeaders))
	for i, h := range s.CanaryHeaders {
		if h.Type == "" {
			h.Type = HeaderExact
		}
		out[i] = h
	}
	return out
}

// PathMatches is the application's paths, their types defaulted.
func (s *HTTPRouteSpec) PathMatches() []PathMatch {
	if s == nil {
		return nil
	}
	out := make([]PathMatch, len(s.Paths))
	for i, p := range s.Paths {
		if p.Type == "" {
			p.Type = PathPrefix
		}
		out[i] = p
	}
	return out
}

// RouteHostnames is the hostnames of app's HTTPRoute in an environment
// whose gateway is g: g's hostnames for app when it lists some, else the
// application's own.
func (g *GatewayRef) RouteHostnames(app Application) []string {
	if g != nil {
		if hs, ok := g.Hostnames[app.Name]; ok {
			return hs
		}
	}
	if app.HTTPRoute == nil {
		return nil
	}
	return app.HTTPRoute.Hostnames
}
