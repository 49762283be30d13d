package local

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"net/http"
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

func (fd FrontDoor) validate() error {
	if fd.Application == "" || fd.Environment == "" || fd.Address == "" {
		return errors.New("front door: application, environment and address are required")
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
	total  int    // sum of weights
	canary *route // nil when no route is marked canary
}

type route struct {
	name       string
	weight     int
	cumulative int // sum of weights up to and including this route
	ep         *endpoints
	m          *groupMetrics
}

// pick chooses the route of a request: the header first, then by weight.
func (t *routeTable) pick(r *http.Request) *route { return t.pickRoute(r.Header.Get(RouteHeader)) }

func (t *routeTable) pickRoute(h string) *route {
	if h != "" {
		if strings.EqualFold(h, "canary") {
			if t.canary != nil {
				return t.canary
			}
		} else {
			for _, rt := range t.routes {
				if rt.name == h {
					return rt
				}
			}
		}
	}
	if t.total == 0 {
		return nil
	}
	n := rand.IntN(t.total)
	for _, rt := range t.routes {
		if n < rt.cumulative {
			return rt
		}
	}
	return nil
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
