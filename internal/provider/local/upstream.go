package local

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httputil"
	"net/textproto"
	"strconv"
	"strings"
	"sync"
	"time"
)

// The front door forwards plain HTTP/1.1 requests itself, over pooled
// keep-alive connections to each instance, instead of through
// httputil.ReverseProxy and http.Transport. Those clone the request and its
// headers, add a cancel context, and hand every request to two goroutines per
// connection (read loop, write loop); on a 2-core machine the extra wake-ups
// cost more than the instance's own work. Upgrade requests (WebSocket) still
// take the ReverseProxy path.

const (
	maxIdlePerHost = 256              // idle connections kept per instance
	idleTimeout    = 90 * time.Second // idle connections older than this are closed
	dialTimeout    = 5 * time.Second
)

// upConn is one keep-alive connection to an instance.
type upConn struct {
	nc        net.Conn
	br        *bufio.Reader
	bw        *bufio.Writer
	idleSince time.Time
	reused    bool // served a request before
}

// upstream pools the idle connections to one instance (host:port).
type upstream struct {
	host string
	mu   sync.Mutex
	idle []*upConn // LIFO: the most recently used first
}

// upstreams are the connection pools of one front door, by host.
type upstreams struct {
	m      sync.Map // host -> *upstream
	dialer net.Dialer
}

func (us *upstreams) get(host string) *upstream {
	if u, ok := us.m.Load(host); ok {
		return u.(*upstream)
	}
	u, _ := us.m.LoadOrStore(host, &upstream{host: host})
	return u.(*upstream)
}

// conn returns an idle connection to u or dials a new one.
func (us *upstreams) conn(ctx context.Context, u *upstream) (*upConn, error) {
	u.mu.Lock()
	if n := len(u.idle); n > 0 {
		c := u.idle[n-1]
		u.idle[n-1] = nil
		u.idle = u.idle[:n-1]
		u.mu.Unlock()
		c.reused = true
		return c, nil
	}
	u.mu.Unlock()
	return us.dial(ctx, u.host)
}

func (us *upstreams) dial(ctx context.Context, host string) (*upConn, error) {
	nc, err := us.dialer.DialContext(ctx, "tcp", host)
	if err != nil {
		return nil, err
	}
	return &upConn{nc: nc, br: bufio.NewReaderSize(nc, 4<<10), bw: bufio.NewWriterSize(nc, 4<<10)}, nil
}

// put returns c to u's idle list, or closes it when the list is full.
func (u *upstream) put(c *upConn, now time.Time) {
	c.idleSince = now
	u.mu.Lock()
	if len(u.idle) < maxIdlePerHost {
		u.idle = append(u.idle, c)
		u.mu.Unlock()
		return
	}
	u.mu.Unlock()
	_ = c.nc.Close()
}

// reap closes connections idle since before cutoff, or all of them when
// cutoff is zero.
func (us *upstreams) reap(cutoff time.Time) {
	us.m.Range(func(_, v any) bool {
		u := v.(*upstream)
		u.mu.Lock()
		keep := u.idle[:0]
		for _, c := range u.idle {
			if cutoff.IsZero() || c.idleSince.Before(cutoff) {
				_ = c.nc.Close()
			} else {
				keep = append(keep, c)
			}
		}
		clear(u.idle[len(keep):])
		u.idle = keep
		u.mu.Unlock()
		return true
	})
}

// reapLoop closes stale idle connections until done is closed.
func (us *upstreams) reapLoop(done <-chan struct{}) {
	t := time.NewTicker(idleTimeout / 3)
	defer t.Stop()
	for {
		select {
		case <-done:
			us.reap(time.Time{})
			return
		case now := <-t.C:
			us.reap(now.Add(-idleTimeout))
		}
	}
}

// errUpstream wraps failures that happened before the client got an answer:
// the front door still can answer 502.
type errUpstream struct{ err error }

func (e errUpstream) Error() string { return e.err.Error() }
func (e errUpstream) Unwrap() error { return e.err }

// forward sends r to the instance at u and copies its answer to w. It
// returns the status code it answered with (0 when it answered nothing). A
// non-nil error with code 0 means the caller must answer; with a code, the
// answer was cut short.
func (door *frontDoor) forward(w http.ResponseWriter, r *http.Request, u *upstream, start time.Time) (int, error) {
	ctx := r.Context()
	replayable := (r.Body == nil || r.Body == http.NoBody) && isIdempotent(r.Method)
	for attempt := 0; ; attempt++ {
		c, err := door.ups.conn(ctx, u)
		if err != nil {
			return 0, errUpstream{err}
		}
		// Client cancellation: break the connection's pending I/O.
		stop := context.AfterFunc(ctx, func() { _ = c.nc.SetDeadline(aLongTimeAgo) })
		resp, err := door.roundTrip(c, r)
		if err != nil {
			stop()
			_ = c.nc.Close()
			// A pooled connection the instance closed while idle: try a new one once.
			if c.reused && replayable && attempt == 0 && ctx.Err() == nil && isStale(err) {
				continue
			}
			return 0, errUpstream{err}
		}
		code, reusable, err := copyResponse(w, resp)
		if !stop() { // cancellation fired: the connection has a past deadline
			reusable = false
		}
		if reusable {
			u.put(c, start)
		} else {
			_ = c.nc.Close()
		}
		return code, err
	}
}

var aLongTimeAgo = time.Unix(1, 0)

func isIdempotent(method string) bool {
	switch method {
	case http.MethodGet, http.MethodHead, http.MethodOptions, http.MethodTrace:
		return true
	}
	return false
}

// isStale tells whether err is what a reused connection the instance has
// closed gives on first use.
func isStale(err error) bool {
	return errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, net.ErrClosed) ||
		strings.Contains(err.Error(), "connection reset") || strings.Contains(err.Error(), "broken pipe")
}

// roundTrip writes r on c (headers filtered, body streamed) and reads the
// response head.
func (door *frontDoor) roundTrip(c *upConn, r *http.Request) (*http.Response, error) {
	if err := writeRequest(c.bw, r); err != nil {
		return nil, err
	}
	for {
		resp, err := http.ReadResponse(c.br, r)
		if err != nil {
			return nil, err
		}
		// Skip interim answers (100 Continue, 103 Early Hints); the body
		// has been sent already.
		if resp.StatusCode >= 100 && resp.StatusCode < 200 && resp.StatusCode != http.StatusSwitchingProtocols {
			continue
		}
		return resp, nil
	}
}

// hopHeaders are removed on the way in and on the way out (RFC 9110 7.6.1).
var hopHeaders = map[string]bool{
	"Connection": true, "Proxy-Connection": true, "Keep-Alive": true, "Proxy-Authenticate": true,
	"Proxy-Authorization": true, "Te": true, "Trailer": true, "Transfer-Encoding": true, "Upgrade": true,
}

// forwardedHeaders are replaced by the front door's own.
var forwardedHeaders = map[string]bool{
	"Forwarded": true, "X-Forwarded-For": true, "X-Forwarded-Host": true, "X-Forwarded-Proto": true,
}

// connectionListed tells whether key is named in the Connection header h.
func connectionListed(h []string, key string) bool {
	for _, v := range h {
		for tok := range strings.SplitSeq(v, ",") {
			if strings.EqualFold(textproto.TrimString(tok), key) {
				return true
			}
		}
	}
	return false
}

func writeRequest(bw *bufio.Writer, r *http.Request) error {
	uri := r.RequestURI
	if uri == "" || (uri[0] != '/' && uri != "*") {
		uri = r.URL.RequestURI()
	}
	bw.WriteString(r.Method)
	bw.WriteByte(' ')
	bw.WriteString(uri)
	bw.WriteString(" HTTP/1.1\r\nHost: ")
	bw.WriteString(r.Host)
	bw.WriteString("\r\n")
	conn := r.Header["Connection"]
	var prior []string
	for k, vs := range r.Header {
		if hopHeaders[k] || (len(conn) > 0 && connectionListed(conn, k)) {
			continue
		}
		if forwardedHeaders[k] {
			if k == "X-Forwarded-For" {
				prior = vs
			}
			continue
		}
		for _, v := range vs {
			bw.WriteString(k)
			bw.WriteString(": ")
			bw.WriteString(v)
			bw.WriteString("\r\n")
		}
	}
	bw.WriteString("X-Forwarded-For: ")
	for _, v := range prior {
		bw.WriteString(v)
		bw.WriteString(", ")
	}
	clientIP, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		clientIP = r.RemoteAddr
	}
	bw.WriteString(clientIP)
	bw.WriteString("\r\nX-Forwarded-Host: ")
	bw.WriteString(r.Host)
	if r.TLS != nil {
		bw.WriteString("\r\nX-Forwarded-Proto: https\r\n")
	} else {
		bw.WriteString("\r\nX-Forwarded-Proto: http\r\n")
	}
	hasBody := r.Body != nil && r.Body != http.NoBody
	switch {
	case !hasBody:
		if r.Method == http.MethodPost || r.Method == http.MethodPut || r.Method == http.MethodPatch {
			bw.WriteString("Content-Length: 0\r\n")
		}
		bw.WriteString("\r\n")
	case r.ContentLength >= 0:
		bw.WriteString("Content-Length: ")
		bw.WriteString(strconv.FormatInt(r.ContentLength, 10))
		bw.WriteString("\r\n\r\n")
		n, err := streamBody(bw, bw, r.Body)
		if err != nil {
			return err
		}
		if n != r.ContentLength {
			return fmt.Errorf("request body has %d bytes, Content-Length says %d", n, r.ContentLength)
		}
	default: // unknown length: stream it chunked
		bw.WriteString("Transfer-Encoding: chunked\r\n\r\n")
		cw := httputil.NewChunkedWriter(bw)
		if _, err := streamBody(bw, cw, r.Body); err != nil {
			return err
		}
		if err := cw.Close(); err != nil {
			return err
		}
		bw.WriteString("\r\n")
	}
	return bw.Flush()
}

// streamBody copies a request body to dst (bw, or a chunked writer on it),
// flushing bw after every read so the instance gets each part as it arrives.
func streamBody(bw *bufio.Writer, dst io.Writer, body io.Reader) (int64, error) {
	bp := copyBuffers.Get().(*[]byte)
	defer copyBuffers.Put(bp)
	buf := *bp
	var total int64
	for {
		n, rerr := body.Read(buf)
		if n > 0 {
			total += int64(n)
			if _, err := dst.Write(buf[:n]); err != nil {
				return total, err
			}
			if err := bw.Flush(); err != nil {
				return total, err
			}
		}
		if rerr == io.EOF {
			return total, nil
		}
		if rerr != nil {
			return total, fmt.Errorf("read request body: %w", rerr)
		}
	}
}

// copyResponse writes resp to w. reusable reports whether the connection
// that carried resp can serve another request.
func copyResponse(w http.ResponseWriter, resp *http.Response) (code int, reusable bool, err error) {
	h := w.Header()
	conn := resp.Header["Connection"]
	for k, vs := range resp.Header {
		if hopHeaders[k] || (len(conn) > 0 && connectionListed(conn, k)) {
			continue
		}
		h[k] = vs
	}
	if len(resp.Trailer) > 0 {
		names := make([]string, 0, len(resp.Trailer))
		for k := range resp.Trailer {
			names = append(names, k)
		}
		h["Trailer"] = []string{strings.Join(names, ", ")}
	}
	w.WriteHeader(resp.StatusCode)
	code = resp.StatusCode
	err = copyBody(w, resp.Body, resp.ContentLength < 0)
	for k, vs := range resp.Trailer {
		h[k] = vs
	}
	_ = resp.Body.Close()
	return code, err == nil && !resp.Close, err
}

// copyBuffers lend copyBody its 32 KiB buffers.
var copyBuffers = sync.Pool{New: func() any { b := make([]byte, 32<<10); return &b }}

// copyBody streams src to w, flushing every write when the length is
// unknown (server-sent events, streamed logs).
func copyBody(w http.ResponseWriter, src io.Reader, flush bool) error {
	bp := copyBuffers.Get().(*[]byte)
	defer copyBuffers.Put(bp)
	buf := *bp
	var rc *http.ResponseController
	if flush {
		rc = http.NewResponseController(w)
	}
	for {
		n, rerr := src.Read(buf)
		if n > 0 {
			if _, werr := w.Write(buf[:n]); werr != nil {
				return werr
			}
			if flush {
				_ = rc.Flush()
			}
		}
		if rerr == io.EOF {
			return nil
		}
		if rerr != nil {
			return errUpstream{rerr}
		}
	}
}
