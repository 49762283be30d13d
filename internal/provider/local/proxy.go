package local

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"sync"
	"sync/atomic"
	"time"

	"github.com/valyala/fasthttp"
)

// frontDoor is the reverse proxy of one application in one environment. It
// runs in a front-door process (doorchild.go), not in the server. Requests
// take one path: fasthttp's server, a route, fasthttp's client to the
// instance (proxy_request.go, upstream.go), or a tunnel for upgrades
// (upgrade.go).
type frontDoor struct {
	app, env string
	log      *slog.Logger
	table    atomic.Pointer[routeTable]
	ups      upstreams     // clients of the instances
	done     chan struct{} // closed by close

	mu       sync.Mutex               // guards the fields below; never taken per request
	addr     string                   // as configured
	bound    string                   // as listened on
	fast     *fasthttp.Server         // serves ln
	ln       *trackedListener         // as listened on
	metrics  map[string]*groupMetrics // by server group, kept for the life of the provider
	tlsFiles *TLSFiles                // nil: plain HTTP
	tlsConf  *tls.Config              // made from tlsFiles
}

func fdKey(app, env string) string { return app + "/" + env }

// newFrontDoor makes the front door of app in env; it listens once its
// routes are set (doorSet.setRoutes).
func newFrontDoor(app, env string, log *slog.Logger) *frontDoor {
	door := &frontDoor{app: app, env: env, metrics: map[string]*groupMetrics{},
		log: log.With("front_door", fdKey(app, env)), done: make(chan struct{})}
	door.ups.readIdle = upstreamReadIdle
	door.table.Store(&routeTable{})
	go door.ups.pruneLoop(door.done)
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
	tl := &trackedListener{Listener: ln, conns: map[net.Conn]struct{}{}, h2: door.newH2Front()}
	tl.tls.Store(door.tlsConf)
	fast := door.newFastServer()
	door.fast, door.ln = fast, tl
	door.addr, door.bound = addr, ln.Addr().String()
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
	tl, fast := door.ln, door.fast
	_ = tl.Close()
	door.ln, door.fast = nil, nil
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), shutdownGrace)
		defer cancel()
		done := make(chan struct{})
		go tl.h2.drain(ctx, done)         // GOAWAY to HTTP/2 connections, also those that start now
		_ = fast.ShutdownWithContext(ctx) // closes idle keep-alive connections
		close(done)
		tl.closeConns()
	}()
}

func (door *frontDoor) close() {
	door.mu.Lock()
	defer door.mu.Unlock()
	door.stopLocked()
	select {
	case <-door.done:
	default:
		close(door.done) // the pruner closes the idle connections
	}
}

// trackedListener closes once, and remembers its connections so that
// closing the front door can end them.
type trackedListener struct {
	net.Listener
	h2    *h2Front                   // serves the connections that speak HTTP/2
	tls   atomic.Pointer[tls.Config] // nil: plain HTTP
	once  sync.Once
	mu    sync.Mutex
	conns map[net.Conn]struct{}
}

func (l *trackedListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	raw := withRawIO(c)
	tc := &trackedConn{Conn: raw, raw: raw, l: l}
	var out net.Conn = tc
	if cfg := l.tls.Load(); cfg != nil {
		tc.tls = tls.Server(tc.Conn, cfg)
		tc.Conn = tc.tls
		out = tlsTrackedConn{tc}
	}
	l.mu.Lock()
	l.conns[tc] = struct{}{}
	l.mu.Unlock()
	return out, nil
}

func (l *trackedListener) Close() error {
	var err error
	l.once.Do(func() { err = l.Listener.Close() })
	return err
}

// closeConns closes every connection still open.
func (l *trackedListener) closeConns() {
	l.mu.Lock()
	defer l.mu.Unlock()
	for c := range l.conns {
		_ = c.(*trackedConn).raw.Close() // not TLS's Close: its close_notify may wait on the peer
	}
}

type trackedConn struct {
	net.Conn
	l       *trackedListener
	once    sync.Once
	raw     net.Conn    // the TCP connection (Conn, or under it)
	tls     *tls.Conn   // over TLS: Conn is this
	sniffed bool        // the first read looked for HTTP/2 (its preface, or TLS's ALPN)
	h2      atomic.Bool // served as HTTP/2 (h2.go)
}

func (c *trackedConn) Read(p []byte) (int, error) {
	if c.sniffed {
		return c.Conn.Read(p)
	}
	c.sniffed = true
	if c.tls != nil {
		return c.alpnH2(p)
	}
	if len(p) < len(h2Preface) { // not fasthttp's first read (4 KiB): no room to look
		return c.Conn.Read(p)
	}
	return c.sniffH2(p)
}

// Close closes the connection, unless HTTP/2 serves it: fasthttp's
// shutdown then leaves it to HTTP/2's GOAWAY (closeConns still ends it
// after the grace period).
func (c *trackedConn) Close() error {
	if c.h2.Load() {
		return nil
	}
	c.once.Do(func() {
		c.l.mu.Lock()
		delete(c.l.conns, c)
		c.l.mu.Unlock()
	})
	return c.Conn.Close()
}

// servedTLS is the files of the door's certificate, nil for plain HTTP.
func (door *frontDoor) servedTLS() *TLSFiles {
	door.mu.Lock()
	defer door.mu.Unlock()
	return door.tlsFiles
}

// setTLSLocked makes the door serve TLS with files, whose certificate
// certs has read, from its next connection on (nil: plain HTTP);
// connections open keep what they have. The same files as before keep
// their loader (it follows renewals). Callers hold door.mu.
func (door *frontDoor) setTLSLocked(files *TLSFiles, certs *certLoader) {
	if sameTLS(door.tlsFiles, files) || (files != nil && certs == nil) {
		return
	}
	var conf *tls.Config
	if certs != nil {
		conf = certs.tlsConfig()
	}
	door.tlsFiles, door.tlsConf = files, conf
	if door.ln != nil {
		door.ln.tls.Store(conf)
	}
}
