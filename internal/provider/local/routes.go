package local

import (
	"errors"
	"fmt"
	"strings"
	"sync/atomic"
)

// RouteHeader lets a request pick its server group: "canary" for the canary
// route, or a server group name.
const RouteHeader = "X-Gennaker-Route"

// FrontDoor is the traffic split of one application in one environment.
type FrontDoor struct {
	Application string
	Environment string
	// Address is where the proxy listens, e.g. 127.0.0.1:18080 (port 0 picks one).
	Address string
	Routes  []Route
	// Sticky makes the front door keep a client on one server group: the
	// answer to a request without the cookie (stickyCookieName) sets one
	// naming the group picked by weight, and later requests carrying it go to
	// that group while it is routed with weight > 0.
	Sticky bool
	// TLS makes the front door serve HTTPS (HTTP/2 or HTTP/1.1, by ALPN)
	// with these files instead of plain HTTP; nil for plain HTTP.
	TLS *TLSFiles
}

// Route sends Weight percent of the traffic to a server group.
type Route struct {
	ServerGroup string
	// Weight is a percentage; weights sum to 100. A weight of 0 takes traffic
	// only when a request names the group (or "canary") in X-Gennaker-Route.
	Weight int
	// Canary marks the route that X-Gennaker-Route: canary goes to.
	Canary bool
}

// stickyCookie is the name of fd's sticky cookie, or "" when it is not sticky.
func (fd FrontDoor) stickyCookie() string {
	if !fd.Sticky {
		return ""
	}
	return stickyCookieName(fd.Application, fd.Environment)
}

func (fd FrontDoor) validate() error {
	if fd.Application == "" || fd.Environment == "" || fd.Address == "" {
		return errors.New("front door: application, environment and address are required")
	}
	if err := fd.TLS.validate(fd.Application, fd.Environment); err != nil {
		return err
	}
	sum, canaries := 0, 0
	seen := map[string]bool{}
	for _, r := range fd.Routes {
		if r.Weight < 0 || r.Weight > 100 {
			return fmt.Errorf("front door %s/%s: route to %s has weight %d: give 0 to 100", fd.Application, fd.Environment, r.ServerGroup, r.Weight)
		}
		if seen[r.ServerGroup] {
			return fmt.Errorf("front door %s/%s: server group %s is routed twice: give each one route", fd.Application, fd.Environment, r.ServerGroup)
		}
		seen[r.ServerGroup] = true
		sum += r.Weight
		if r.Canary {
			canaries++
		}
	}
	if sum != 100 && sum != 0 {
		return fmt.Errorf("front door %s/%s: weights sum to %d: make them sum to 100", fd.Application, fd.Environment, sum)
	}
	if canaries > 1 {
		return fmt.Errorf("front door %s/%s: %d routes are marked canary: mark at most one", fd.Application, fd.Environment, canaries)
	}
	return nil
}

// routeTable is an immutable routing decision table, swapped atomically.
type routeTable struct {
	routes []*route
	total  int      // sum of weights
	canary *route   // nil when no route is marked canary
	order  []*route // one cycle of weighted picks (split.go); empty when total is 0
	next   *counter // weighted picks taken; shared with the previous table while the split is the same
	cookie string   // name of the sticky cookie; "" when the door is not sticky
}

// counter is on a cache line of its own, so that readers of the table do not
// miss on every pick.
type counter struct {
	_ [64]byte
	n atomic.Uint64
	_ [56]byte
}

type route struct {
	name   string
	weight int
	ep     *endpoints
	m      *groupMetrics
}

// newRouteTable plans the weighted picks of routes. cookie names the sticky
// cookie, or is "" when the door is not sticky. A table with new weights
// starts its sequence from the beginning; one with the same split as prev
// (the table it replaces, or nil) goes on with prev's sequence, so routes
// applied again (a restart, a retried step) do not skew the split.
func newRouteTable(routes []*route, canary *route, cookie string, prev *routeTable) *routeTable {
	t := &routeTable{routes: routes, canary: canary, cookie: cookie, next: &counter{}}
	weights := make([]int, len(routes))
	for i, rt := range routes {
		weights[i] = rt.weight
		t.total += rt.weight
	}
	for _, i := range smoothOrder(weights) {
		t.order = append(t.order, routes[i])
	}
	if prev != nil && prev.next != nil && sameSplit(prev, t) {
		t.next = prev.next
	}
	return t
}

// sameSplit is true when a and b route the same groups with the same weights
// in the same order, so their weighted sequences are the same.
func sameSplit(a, b *routeTable) bool {
	if len(a.routes) != len(b.routes) {
		return false
	}
	for i, ra := range a.routes {
		if rb := b.routes[i]; ra.name != rb.name || ra.weight != rb.weight {
			return false
		}
	}
	return true
}

// byHeader is the route X-Gennaker-Route names, or nil.
func (t *routeTable) byHeader(h string) *route {
	if h == "" {
		return nil
	}
	if strings.EqualFold(h, "canary") {
		return t.canary
	}
	return t.named(h)
}

// named is the route to server group name, or nil.
func (t *routeTable) named(name string) *route {
	for _, rt := range t.routes {
		if rt.name == name {
			return rt
		}
	}
	return nil
}

// weighted takes the next pick of the smooth weighted round robin: over any
// n*total consecutive picks each route gets exactly n*weight, whatever the
// concurrency (each pick takes one distinct slot of the sequence). A route
// whose group has no healthy instance keeps its picks: the request gets a 503
// naming the group, as the weights asked for.
func (t *routeTable) weighted() *route {
	n := uint64(len(t.order))
	if n == 0 {
		return nil
	}
	return t.order[(t.next.n.Add(1)-1)%n]
}

// endpoints holds the healthy instances of one server group.
type endpoints struct {
	list atomic.Pointer[[]*backend]
	rr   atomic.Uint64
}

type backend struct {
	host  string // 127.0.0.1:port
	index int
}

func (e *endpoints) set(bs []*backend) { e.list.Store(&bs) }

// next returns a healthy instance round robin, or nil when there is none.
func (e *endpoints) next() *backend {
	l := e.list.Load()
	if l == nil || len(*l) == 0 {
		return nil
	}
	bs := *l
	return bs[(e.rr.Add(1)-1)%uint64(len(bs))]
}
