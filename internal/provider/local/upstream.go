package local

import (
	"errors"
	"io"
	"net"
	"sync"
	"syscall"
	"time"

	"github.com/valyala/fasthttp"
)

// The front door is fasthttp end to end: its listener is a fasthttp.Server
// and it sends requests to instances with fasthttp.HostClient, one per
// instance address, over keep-alive connections. Measured side by side on
// the benchmark's one proxy core (docs/benchmarks.md), this costs what
// haproxy costs per request; net/http's server with httputil.ReverseProxy
// cost three times as much. Protocol upgrades (WebSocket) are tunnelled
// (upgrade.go).

const (
	idleTimeout         = 90 * time.Second // idle keep-alive connections to an instance are closed after this
	dialTimeout         = 5 * time.Second
	maxConnsPerInstance = 1024
	// upstreamBufferSize bounds an instance's answer head (status line and
	// headers); a longer head is answered 502.
	upstreamBufferSize = 16 << 10
)

// upstreamReadIdle is how long an instance may send nothing while the
// front door waits for its answer (head or body) before the request is cut:
// 504 when nothing was answered yet. Like haproxy's "timeout server" and
// nginx's proxy_read_timeout, it bounds silence, not the length of a
// stream: a server-sent-events stream that sends something at least every
// minute lives as long as it likes. A variable for tests.
var upstreamReadIdle = 60 * time.Second

// upstreams are the clients of one front door's instances, by host:port.
type upstreams struct {
	m        sync.Map      // host -> *fasthttp.HostClient
	readIdle time.Duration // upstreamReadIdle; shorter in tests
}

func (us *upstreams) get(host string) *fasthttp.HostClient {
	if c, ok := us.m.Load(host); ok {
		return c.(*fasthttp.HostClient)
	}
	c, _ := us.m.LoadOrStore(host, newHostClient(host, us.readIdle))
	return c.(*fasthttp.HostClient)
}

func newHostClient(host string, readIdle time.Duration) *fasthttp.HostClient {
	dialer := &net.Dialer{Timeout: dialTimeout, KeepAlive: 30 * time.Second}
	return &fasthttp.HostClient{
		Addr:                      host,
		NoDefaultUserAgentHeader:  true, // the client's User-Agent goes as it came
		DisablePathNormalizing:    true, // the request URI goes as it came
		MaxConns:                  maxConnsPerInstance,
		MaxConnWaitTimeout:        dialTimeout, // over MaxConns, a request waits for a free connection
		MaxIdleConnDuration:       idleTimeout,
		ReadBufferSize:            upstreamBufferSize,
		WriteBufferSize:           4 << 10,
		StreamResponseBody:        true, // long and unknown-length answers are relayed as they come
		WriteTimeout:              readIdle,
		RetryIfErr:                retryStale,
		MaxIdemponentCallAttempts: 2,
		Dial: func(addr string) (net.Conn, error) {
			c, err := dialer.Dial("tcp", addr)
			if err != nil {
				return nil, err
			}
			return &idleReadConn{Conn: withRawIO(c), idle: readIdle}, nil
		},
	}
}

// retryStale sends a request again, once, on a new connection when the
// pooled connection it went out on turned out to be closed by the instance
// while idle, and only when the request has no body and is idempotent: it
// cannot have had an effect, and nothing of it is lost.
func retryStale(req *fasthttp.Request, attempts int, err error) (resetTimeout, retry bool) {
	if attempts >= 2 || req.IsBodyStream() || len(req.Body()) > 0 || !isIdempotent(b2s(req.Header.Method())) {
		return false, false
	}
	return false, isStale(err)
}

func isIdempotent(method string) bool {
	switch method {
	case fasthttp.MethodGet, fasthttp.MethodHead, fasthttp.MethodOptions, fasthttp.MethodTrace:
		return true
	}
	return false
}

// isStale tells whether err is what a reused connection the instance has
// closed gives on first use. A timeout is not: the instance was slow, and
// asking it again would double the wait and the work.
func isStale(err error) bool {
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		return false
	}
	return errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, fasthttp.ErrConnectionClosed) ||
		errors.Is(err, net.ErrClosed) || errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.EPIPE)
}

// closeIdle closes every idle connection and forgets the clients.
func (us *upstreams) closeIdle() {
	us.m.Range(func(k, v any) bool {
		v.(*fasthttp.HostClient).CloseIdleConnections()
		us.m.Delete(k)
		return true
	})
}

// prune forgets the clients that have no connection left (instances that
// went away; a client for an instance still in use is made again on its
// next request).
func (us *upstreams) prune() {
	us.m.Range(func(k, v any) bool {
		if v.(*fasthttp.HostClient).ConnsCount() == 0 {
			us.m.Delete(k)
		}
		return true
	})
}

// pruneLoop prunes until done is closed, then closes what is idle.
func (us *upstreams) pruneLoop(done <-chan struct{}) {
	t := time.NewTicker(idleTimeout)
	defer t.Stop()
	for {
		select {
		case <-done:
			us.closeIdle()
			return
		case <-t.C:
			us.prune()
		}
	}
}

// idleReadConn is a connection to an instance on which every read must
// see data within idle.
type idleReadConn struct {
	net.Conn
	idle time.Duration
}

func (c *idleReadConn) Read(p []byte) (int, error) {
	if err := c.Conn.SetReadDeadline(time.Now().Add(c.idle)); err != nil {
		return 0, err
	}
	return c.Conn.Read(p)
}

// hopHeaders are removed on the way in and on the way out (RFC 9110 7.6.1).
// Transfer-Encoding and Trailer frame the message: fasthttp writes them
// for the body and trailers it sends.
var hopHeaders = []string{"Connection", "Proxy-Connection", "Keep-Alive", "Proxy-Authenticate",
	"Proxy-Authorization", "Te", "Upgrade"}

// forwardedHeaders are replaced by the front door's own.
var forwardedHeaders = []string{"Forwarded", "X-Forwarded-Host", "X-Forwarded-Proto"}
