package local

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/http/httputil"
	"sync"
	"sync/atomic"
	"time"

	"github.com/valyala/fasthttp"
)

// frontDoor is the reverse proxy of one application in one environment. It
// runs in a front-door process (doorchild.go), not in the server.
type frontDoor struct {
	app, env string
	log      *slog.Logger
	table    atomic.Pointer[routeTable]
	ups      upstreams              // keep-alive connections to instances
	proxy    *httputil.ReverseProxy // only for Upgrade requests (WebSocket)
	done     chan struct{}          // closed by close
	fallback *connListener          // hands connections from fast to srv

	mu      sync.Mutex               // guards the fields below; never taken per request
	addr    string                   // as configured
	bound   string                   // as listened on
	srv     *http.Server             // ServeHTTP, for connections handed over by fast (upgrades)
	fast    *fasthttp.Server         // serves ln
	ln      *trackedListener         // as listened on
	metrics map[string]*groupMetrics // by server group, kept for the life of the provider
}

func fdKey(app, env string) string { return app + "/" + env }

// newFrontDoor makes the front door of app in env; it listens once its
// routes are set (doorSet.setRoutes).
func newFrontDoor(app, env string, log *slog.Logger, transport *http.Transport) *frontDoor {
	door := &frontDoor{app: app, env: env, metrics: map[string]*groupMetrics{},
		log: log.With("front_door", fdKey(app, env)), done: make(chan struct{})}
	door.ups.dialer = net.Dialer{Timeout: dialTimeout, KeepAlive: 30 * time.Second}
	door.table.Store(&routeTable{})
	go door.ups.reapLoop(door.done)
	door.proxy = &httputil.ReverseProxy{
		Rewrite: func(pr *httputil.ProxyRequest) {
			pr.Out.URL.Scheme, pr.Out.URL.Host = "http", pr.In.URL.Host
			pr.SetXForwarded()
		},
		Transport:  transport,
		BufferPool: bufferPool{},
		ErrorLog:   slog.NewLogLogger(door.log.Handler(), slog.LevelWarn),
		ErrorHandler: func(w http.ResponseWriter, r *http.Request, err error) {
			if errors.Is(err, context.Canceled) { // the client went away
				w.WriteHeader(499)
				return
			}
			door.log.Warn("instance did not answer", "instance", r.URL.Host, "err", err)
			http.Error(w, fmt.Sprintf("502 bad gateway: front door %s/%s: instance %s did not answer: %v", app, env, r.URL.Host, err), http.StatusBadGateway)
		},
	}
	return door
}

// listenLocked (re)starts the listener on addr. Callers hold door.mu.
func (door *frontDoor) listenLocked(addr string) error {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("front door %s/%s cannot listen on %s: %w: pick another address in the environment's frontDoors or stop what uses it", door.app, door.env, addr, err)
	}
	door.serveLocked(ln, addr)
	return nil
}

// serveLocked serves ln (configured as addr), instead of the listener
// served so far. Callers hold door.mu.
func (door *frontDoor) serveLocked(ln net.Listener, addr string) {
	door.stopLocked()
	tl := &trackedListener{Listener: ln, conns: map[net.Conn]struct{}{}}
	fb := newConnListener(ln.Addr())
	srv := &http.Server{Handler: door, ReadHeaderTimeout: 10 * time.Second, IdleTimeout: 2 * time.Minute,
		ErrorLog: slog.NewLogLogger(door.log.Handler(), slog.LevelWarn)}
	fast := door.newFastServer()
	door.srv, door.fast, door.ln, door.fallback = srv, fast, tl, fb
	door.addr, door.bound = addr, ln.Addr().String()
	go func() {
		if err := srv.Serve(fb); err != nil && !errors.Is(err, http.ErrServerClosed) && !errors.Is(err, net.ErrClosed) {
			door.log.Error("front door stopped", "err", err)
		}
	}()
	go func() {
		if err := fast.Serve(tl); err != nil && !errors.Is(err, net.ErrClosed) {
			door.log.Error("front door stopped", "err", err)
		}
	}()
	door.log.Info("front door listening", "addr", door.bound)
}

// shutdownGrace is how long requests in flight may finish after the front
// door moved or closed; connections still open then are closed.
const shutdownGrace = 5 * time.Second

// stopLocked stops listening at once (the address is free when it returns)
// and lets the requests in flight finish. Callers hold door.mu.
func (door *frontDoor) stopLocked() {
	if door.ln == nil {
		return
	}
	tl, fast, srv, fb := door.ln, door.fast, door.srv, door.fallback
	_ = tl.Close()
	door.ln, door.fast, door.srv, door.fallback = nil, nil, nil, nil
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), shutdownGrace)
		defer cancel()
		_ = fast.ShutdownWithContext(ctx) // closes idle keep-alive connections
		tl.closeConns()
		_ = fb.Close()
		_ = srv.Close()
	}()
}

func (door *frontDoor) close() {
	door.mu.Lock()
	defer door.mu.Unlock()
	door.stopLocked()
	select {
	case <-door.done:
	default:
		close(door.done) // the reaper closes the idle connections
	}
}

// ServeHTTP routes one request: pick a server group, then one of its
// healthy instances, proxy, and count the outcome. No locks.
func (door *frontDoor) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	t := door.table.Load()
	rt, remember := t.chooseRequest(r)
	if rt == nil {
		http.Error(w, fmt.Sprintf("503 service unavailable: front door %s/%s has no route with traffic; deploy a version or set weights", door.app, door.env), http.StatusServiceUnavailable)
		return
	}
	b := rt.ep.next()
	if b == nil {
		http.Error(w, fmt.Sprintf("503 service unavailable: server group %s has no healthy instance; see `gennaker logs` for why", rt.name), http.StatusServiceUnavailable)
		rt.m.observe(http.StatusServiceUnavailable, time.Since(start))
		return
	}
	if remember {
		w = &stickyWriter{ResponseWriter: w, cookie: t.stickyCookie(rt)}
	}
	if r.Header["Upgrade"] != nil {
		rt.m.observe(door.upgrade(w, r, b), time.Since(start))
		return
	}
	code, err := door.forward(w, r, door.ups.get(b.host), start)
	if err == nil {
		rt.m.observe(code, time.Since(start))
		return
	}
	if code != 0 { // the answer had started: cut it short so the client sees it broke
		rt.m.observe(code, time.Since(start))
		if ue := (errUpstream{}); errors.As(err, &ue) {
			door.log.Warn("instance broke off its answer", "instance", b.host, "err", err)
		}
		panic(http.ErrAbortHandler)
	}
	if r.Context().Err() != nil { // the client went away
		rt.m.observe(499, time.Since(start))
		return
	}
	door.log.Warn("instance did not answer", "instance", b.host, "err", err)
	http.Error(w, fmt.Sprintf("502 bad gateway: front door %s/%s: instance %s did not answer: %v", door.app, door.env, b.host, err), http.StatusBadGateway)
	rt.m.observe(http.StatusBadGateway, time.Since(start))
}

// upgrade proxies a protocol upgrade (WebSocket) through httputil.ReverseProxy.
func (door *frontDoor) upgrade(w http.ResponseWriter, r *http.Request, b *backend) int {
	r.URL.Scheme, r.URL.Host = "http", b.host
	sw := &statusWriter{ResponseWriter: w}
	door.proxy.ServeHTTP(sw, r)
	if sw.code == 0 {
		return http.StatusOK
	}
	return sw.code
}

// statusWriter remembers the status code the proxy answered with.
type statusWriter struct {
	http.ResponseWriter
	code int
}

func (s *statusWriter) WriteHeader(code int) {
	if s.code == 0 {
		s.code = code
	}
	s.ResponseWriter.WriteHeader(code)
}

func (s *statusWriter) Write(b []byte) (int, error) {
	if s.code == 0 {
		s.code = http.StatusOK
	}
	return s.ResponseWriter.Write(b)
}

// Unwrap lets http.ResponseController reach Flush and deadlines.
func (s *statusWriter) Unwrap() http.ResponseWriter { return s.ResponseWriter }

// newTransport is tuned for many short requests to a few local instances.
func newTransport() *http.Transport {
	return &http.Transport{
		Proxy:                 nil,
		DialContext:           (&net.Dialer{Timeout: 5 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
		MaxIdleConns:          4096,
		MaxIdleConnsPerHost:   256,
		IdleConnTimeout:       90 * time.Second,
		DisableCompression:    true,
		ForceAttemptHTTP2:     false,
		ExpectContinueTimeout: time.Second,
	}
}

// bufferPool lends the proxy 32 KiB copy buffers.
type bufferPool struct{}

var buffers = sync.Pool{New: func() any { b := make([]byte, 32<<10); return &b }}

func (bufferPool) Get() []byte  { return *(buffers.Get().(*[]byte)) }
func (bufferPool) Put(b []byte) { buffers.Put(&b) }
