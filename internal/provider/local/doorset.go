package local

import (
	"fmt"
	"log/slog"
	"net"
	"sync"
	"syscall"
	"time"
)

// doorSet is what a front-door process serves: the front doors of every
// application of one environment, and the healthy instances of that
// environment's server groups as the server last reported them. It keeps
// serving them, unchanged, while no server talks to it.
type doorSet struct {
	env     string
	log     *slog.Logger
	started time.Time

	mu    sync.Mutex
	doors map[string]*frontDoor // by application
	eps   map[string]*endpoints // by server group, shared by the doors' route tables
	// routes is each application's table as last set, and sticky whether
	// its door is sticky, for a successor.
	routes map[string][]Route
	sticky map[string]bool
	// inherited are listening sockets a predecessor handed over, by
	// application; each is served once its application's routes are set.
	inherited map[string]net.Listener
}

func newDoorSet(env string, log *slog.Logger) *doorSet {
	return &doorSet{env: env, log: log, started: time.Now(),
		doors: map[string]*frontDoor{}, eps: map[string]*endpoints{}, routes: map[string][]Route{}, sticky: map[string]bool{}, inherited: map[string]net.Listener{}}
}

func (s *doorSet) endpointsLocked(group string) *endpoints {
	ep := s.eps[group]
	if ep == nil {
		ep = &endpoints{}
		s.eps[group] = ep
	}
	return ep
}

// setEndpoints replaces the healthy instances of the given server groups.
func (s *doorSet) setEndpoints(b doorBackends) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for group, hosts := range b {
		bs := make([]*backend, len(hosts))
		for i, h := range hosts {
			bs[i] = &backend{host: h, index: i}
		}
		s.endpointsLocked(group).set(bs)
	}
}

// setRoutes starts app's front door, or moves it to a new address, and
// swaps in its route table atomically: the next request uses it. It
// returns the address listened on.
func (s *doorSet) setRoutes(app, addr string, routes []Route, sticky bool, tlsFiles *TLSFiles) (string, error) {
	fd := FrontDoor{Application: app, Environment: s.env, Address: addr, Routes: routes, Sticky: sticky, TLS: tlsFiles}
	if err := fd.validate(); err != nil {
		return "", err
	}
	var certs *certLoader // read before anything changes: files that do not load change nothing
	if tlsFiles != nil {
		var err error
		if certs, err = newCertLoader(*tlsFiles, s.log); err != nil {
			if door := s.door(app); door == nil || !sameTLS(door.servedTLS(), tlsFiles) {
				return "", fmt.Errorf("front door %s/%s: %w", app, s.env, err)
			}
			// The files it serves already, caught mid-renewal: its loader
			// keeps the last good certificate; the routes still change.
			s.log.Warn("the front door's certificate files do not load; serving the last good certificate", "application", app, "err", err)
		}
	}
	s.mu.Lock()
	door := s.doors[app]
	if door == nil {
		door = newFrontDoor(app, s.env, s.log)
		s.doors[app] = door
	}
	eps := make([]*endpoints, len(routes))
	for i, r := range routes {
		eps[i] = s.endpointsLocked(r.ServerGroup)
	}
	s.routes[app], s.sticky[app] = routes, sticky
	inherited := s.inherited[app]
	delete(s.inherited, app)
	s.mu.Unlock()

	door.mu.Lock()
	defer door.mu.Unlock()
	door.setTLSLocked(tlsFiles, certs)
	table, canary := make([]*route, 0, len(routes)), (*route)(nil)
	for i, r := range routes {
		m := door.metrics[r.ServerGroup]
		if m == nil {
			m = newGroupMetrics()
			door.metrics[r.ServerGroup] = m
		}
		rt := &route{name: r.ServerGroup, weight: r.Weight, ep: eps[i], m: m}
		table = append(table, rt)
		if r.Canary {
			canary = rt
		}
	}
	door.table.Store(newRouteTable(table, canary, fd.stickyCookie(), door.table.Load()))
	if inherited != nil && door.fast == nil {
		// Served from now on, by this process as well as its predecessor
		// until that one stops: no connection is refused.
		door.serveLocked(inherited, addr)
		return door.bound, nil
	}
	if door.fast != nil && door.addr == addr {
		return door.bound, nil
	}
	if err := door.listenLocked(addr); err != nil {
		return "", err
	}
	return door.bound, nil
}

// bound is the address each application's front door listens on.
func (s *doorSet) bound() map[string]string {
	s.mu.Lock()
	doors := make(map[string]*frontDoor, len(s.doors))
	for app, d := range s.doors {
		doors[app] = d
	}
	s.mu.Unlock()
	out := make(map[string]string, len(doors))
	for app, d := range doors {
		d.mu.Lock()
		if d.bound != "" {
			out[app] = d.bound
		}
		d.mu.Unlock()
	}
	return out
}

func (s *doorSet) door(app string) *frontDoor {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.doors[app]
}

// snapshot reads app's cumulative counters per server group.
func (s *doorSet) snapshot(app string) map[string]groupReading {
	out := map[string]groupReading{}
	door := s.door(app)
	if door == nil {
		return out
	}
	door.mu.Lock()
	defer door.mu.Unlock()
	for name, m := range door.metrics {
		r := groupReading{Counters: m.snapshot()}
		for i := range m.byClass {
			r.Classes[i] = m.byClass[i].Load()
		}
		out[name] = r
	}
	return out
}

// seconds reads app's complete seconds in [from, to) per server group
// (only group's when it is not empty).
func (s *doorSet) seconds(app, group string, from, to time.Time) map[string][]Second {
	out := map[string][]Second{}
	door := s.door(app)
	if door == nil {
		return out
	}
	door.mu.Lock()
	groups := make(map[string]*groupMetrics, len(door.metrics))
	for name, m := range door.metrics {
		if group == "" || name == group {
			groups[name] = m
		}
	}
	door.mu.Unlock()
	for name, m := range groups {
		if secs := m.series.read(from, to); len(secs) > 0 {
			out[name] = secs
		}
	}
	return out
}

// close stops every front door: listeners at once, then it waits up to
// grace for the requests in flight.
// forget closes app's front door, if it has one, and forgets its routes.
func (s *doorSet) forget(app string) {
	s.mu.Lock()
	door := s.doors[app]
	ln := s.inherited[app]
	delete(s.doors, app)
	delete(s.routes, app)
	delete(s.sticky, app)
	delete(s.inherited, app)
	s.mu.Unlock()
	if ln != nil {
		_ = ln.Close()
	}
	if door != nil {
		door.close()
	}
}

func (s *doorSet) close(grace time.Duration) {
	s.mu.Lock()
	doors := make([]*frontDoor, 0, len(s.doors))
	for _, d := range s.doors {
		doors = append(doors, d)
	}
	s.mu.Unlock()
	var lns []*trackedListener
	for _, d := range doors {
		d.mu.Lock()
		if d.ln != nil {
			lns = append(lns, d.ln)
		}
		d.mu.Unlock()
		d.close() // idle keep-alive connections are closed, busy ones finish
	}
	deadline := time.Now().Add(grace)
	for _, ln := range lns {
		for time.Now().Before(deadline) {
			ln.mu.Lock()
			n := len(ln.conns)
			ln.mu.Unlock()
			if n == 0 {
				break
			}
			time.Sleep(10 * time.Millisecond)
		}
	}
}

// handover lists what a successor process needs: duplicates of the
// listening sockets (the caller sends and closes them) with their
// applications, the configured addresses, the route tables and the healthy
// instances.
func (s *doorSet) handover() (doorReply, []int, error) {
	reply := doorReply{Addresses: map[string]string{}, Routes: map[string][]Route{}, Endpoints: doorBackends{}, Sticky: map[string]bool{}, TLS: map[string]TLSFiles{}}
	var files []int
	s.mu.Lock()
	defer s.mu.Unlock()
	for app, door := range s.doors {
		door.mu.Lock()
		ln, addr, tlsFiles := door.ln, door.addr, door.tlsFiles
		door.mu.Unlock()
		if ln == nil {
			continue
		}
		tcp, ok := ln.Listener.(*net.TCPListener)
		if !ok {
			continue
		}
		// A plain dup: (*net.TCPListener).File would make the socket,
		// shared with this process, blocking.
		f, err := dupListener(tcp)
		if err != nil {
			for _, f := range files {
				_ = syscall.Close(f)
			}
			return doorReply{}, nil, fmt.Errorf("duplicate the listener of %s: %w", app, err)
		}
		files = append(files, f)
		reply.Listeners = append(reply.Listeners, app)
		reply.Addresses[app] = addr
		reply.Routes[app] = s.routes[app]
		if s.sticky[app] {
			reply.Sticky[app] = true
		}
		if tlsFiles != nil {
			reply.TLS[app] = *tlsFiles
		}
	}
	for group, ep := range s.eps {
		hosts := []string{}
		if l := ep.list.Load(); l != nil {
			for _, b := range *l {
				hosts = append(hosts, b.host)
			}
		}
		reply.Endpoints[group] = hosts
	}
	return reply, files, nil
}

func dupListener(ln *net.TCPListener) (int, error) {
	rc, err := ln.SyscallConn()
	if err != nil {
		return -1, err
	}
	fd, dupErr := -1, error(nil)
	if err := rc.Control(func(s uintptr) { fd, dupErr = syscall.Dup(int(s)) }); err != nil {
		return -1, err
	}
	return fd, dupErr
}
