package local

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httputil"
	"strconv"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
	"unsafe"

	"github.com/valyala/fasthttp"
)

// The front door's listener is served by fasthttp, not net/http: on the
// benchmark's 2 shared cores net/http's per-request allocations (request,
// header map, context, response) and its background read of every keep-alive
// connection cost about as much as the instance's own work. fasthttp reuses
// one request context per connection. Requests go to the instances over the
// same pooled keep-alive connections as ServeHTTP's (upstream.go). Anything
// unusual, today protocol upgrades (WebSocket), is handed over with its
// connection to a net/http server running ServeHTTP.

// cancelCheckDelay is how long an instance may take to answer before the
// front door starts watching the client's connection for it going away.
// Cheaper than net/http's background read of every request.
const cancelCheckDelay = 5 * time.Millisecond

// newFastServer serves door's listener.
func (door *frontDoor) newFastServer() *fasthttp.Server {
	return &fasthttp.Server{
		Handler:                       door.serveFast,
		Name:                          "gennaker-front-door",
		StreamRequestBody:             true, // bodies are streamed to the instance as they arrive
		IdleTimeout:                   2 * time.Minute,
		NoDefaultServerHeader:         true,
		NoDefaultDate:                 true,
		NoDefaultContentType:          true,
		DisablePreParseMultipartForm:  true,
		DisableHeaderNamesNormalizing: false, // hop-by-hop filtering compares canonical names
		CloseOnShutdown:               true,
		Logger:                        fastLogger{door},
	}
}

type fastLogger struct{ door *frontDoor }

func (l fastLogger) Printf(format string, args ...any) {
	l.door.log.Warn(fmt.Sprintf(format, args...))
}

// serveFast is ServeHTTP for requests fasthttp has read.
func (door *frontDoor) serveFast(ctx *fasthttp.RequestCtx) {
	start := time.Now()
	if len(ctx.Request.Header.Peek("Upgrade")) > 0 {
		door.handOff(ctx)
		return
	}
	t := door.table.Load()
	rt, remember := t.chooseFast(&ctx.Request)
	if rt == nil {
		ctx.Error(fmt.Sprintf("503 service unavailable: front door %s/%s has no route with traffic; deploy a version or set weights", door.app, door.env), http.StatusServiceUnavailable)
		return
	}
	b := rt.ep.next()
	if b == nil {
		ctx.Error(fmt.Sprintf("503 service unavailable: server group %s has no healthy instance; see `gennaker logs` for why", rt.name), http.StatusServiceUnavailable)
		rt.m.observe(http.StatusServiceUnavailable, time.Since(start))
		return
	}
	code, err := door.forwardFast(ctx, door.ups.get(b.host), rt.m, start)
	switch {
	case code == 499:
		ctx.Response.Reset()
		ctx.SetStatusCode(499)
		ctx.SetConnectionClose()
		rt.m.observe(499, time.Since(start))
	case err != nil:
		door.log.Warn("instance did not answer", "instance", b.host, "err", err)
		ctx.Response.Reset()
		ctx.Error(fmt.Sprintf("502 bad gateway: front door %s/%s: instance %s did not answer: %v", door.app, door.env, b.host, err), http.StatusBadGateway)
		rt.m.observe(http.StatusBadGateway, time.Since(start))
	case remember:
		t.rememberFast(&ctx.Response, rt)
	}
	// Otherwise the answer is counted when its body has been sent.
}

func b2s(b []byte) string { return unsafe.String(unsafe.SliceData(b), len(b)) }

// forwardFast sends ctx's request to the instance at u and sets ctx's
// response from its answer. A non-nil error means nothing was answered yet:
// the caller answers 502. Code 499 means the client went away.
func (door *frontDoor) forwardFast(ctx *fasthttp.RequestCtx, u *upstream, m *groupMetrics, start time.Time) (int, error) {
	req := &ctx.Request
	cl := req.Header.ContentLength() // -1: chunked; -2 or 0: no body
	hasBody := cl > 0 || cl == -1
	replayable := !hasBody && isIdempotent(b2s(req.Header.Method()))
	for attempt := 0; ; attempt++ {
		c, err := door.ups.conn(context.Background(), u)
		if err != nil {
			return 0, errUpstream{err}
		}
		if err := writeFastRequest(c.bw, ctx); err != nil {
			_ = c.nc.Close()
			if c.reused && replayable && attempt == 0 && isStale(err) {
				continue
			}
			return 0, errUpstream{err}
		}
		w := watchClient(ctx, c.nc)
		err = readFastResponseHead(c.br, &ctx.Response.Header)
		gone := w.stop()
		if gone {
			_ = c.nc.Close()
			return 499, nil
		}
		if err != nil {
			_ = c.nc.Close()
			if c.reused && replayable && attempt == 0 && isStale(err) {
				ctx.Response.Header.Reset()
				continue
			}
			return 0, errUpstream{err}
		}
		return door.relayBody(ctx, u, c, m, start)
	}
}

// writeFastRequest writes ctx's request on bw: hop-by-hop headers dropped,
// X-Forwarded-* set, the body streamed.
func writeFastRequest(bw *bufio.Writer, ctx *fasthttp.RequestCtx) error {
	h := &ctx.Request.Header
	bw.Write(h.Method())
	bw.WriteByte(' ')
	bw.Write(h.RequestURI())
	bw.WriteString(" HTTP/1.1\r\nHost: ")
	host := h.Host()
	bw.Write(host)
	bw.WriteString("\r\n")
	conn := h.Peek("Connection")
	var prior [][]byte
	for k, v := range h.All() {
		ks := b2s(k)
		if ks == "Host" || ks == "Content-Length" || hopHeaders[ks] || (len(conn) > 0 && connectionListed([]string{b2s(conn)}, ks)) {
			continue
		}
		if forwardedHeaders[ks] {
			if ks == "X-Forwarded-For" {
				prior = append(prior, v)
			}
			continue
		}
		bw.Write(k)
		bw.WriteString(": ")
		bw.Write(v)
		bw.WriteString("\r\n")
	}
	bw.WriteString("X-Forwarded-For: ")
	for _, v := range prior {
		bw.Write(v)
		bw.WriteString(", ")
	}
	var ipBuf [64]byte
	if ta, ok := ctx.RemoteAddr().(*net.TCPAddr); ok {
		bw.Write(ta.AddrPort().Addr().Unmap().AppendTo(ipBuf[:0]))
	} else {
		bw.WriteString(ctx.RemoteIP().String())
	}
	bw.WriteString("\r\nX-Forwarded-Host: ")
	bw.Write(host)
	if ctx.IsTLS() {
		bw.WriteString("\r\nX-Forwarded-Proto: https\r\n")
	} else {
		bw.WriteString("\r\nX-Forwarded-Proto: http\r\n")
	}
	cl := h.ContentLength()
	var body io.Reader
	if cl > 0 || cl == -1 {
		body = ctx.RequestBodyStream()
		if body == nil {
			body = bytes.NewReader(ctx.Request.Body())
		}
	}
	switch {
	case cl == 0 || cl < -1:
		m := b2s(h.Method())
		if m == http.MethodPost || m == http.MethodPut || m == http.MethodPatch {
			bw.WriteString("Content-Length: 0\r\n")
		}
		bw.WriteString("\r\n")
	case cl > 0:
		bw.WriteString("Content-Length: ")
		bw.Write(strconv.AppendInt(ipBuf[:0], int64(cl), 10))
		bw.WriteString("\r\n\r\n")
		n, err := streamBody(bw, bw, body)
		if err != nil {
			return err
		}
		if n != int64(cl) {
			return fmt.Errorf("request body has %d bytes, Content-Length says %d", n, cl)
		}
	default: // chunked: stream it chunked
		bw.WriteString("Transfer-Encoding: chunked\r\n\r\n")
		cw := httputil.NewChunkedWriter(bw)
		if _, err := streamBody(bw, cw, body); err != nil {
			return err
		}
		if err := cw.Close(); err != nil {
			return err
		}
		bw.WriteString("\r\n")
	}
	return bw.Flush()
}

// readFastResponseHead reads the instance's answer head into h, skipping
// interim answers (100 Continue, 103 Early Hints).
func readFastResponseHead(br *bufio.Reader, h *fasthttp.ResponseHeader) error {
	for {
		if err := h.Read(br); err != nil {
			return err
		}
		if code := h.StatusCode(); code >= 100 && code < 200 && code != http.StatusSwitchingProtocols {
			h.Reset()
			continue
		}
		return nil
	}
}

// smallBody is the largest answer body read whole before answering; longer
// or unknown-length ones are streamed.
const smallBody = 64 << 10

// relayBody removes the hop-by-hop headers of the instance's answer (whose
// head is in ctx.Response.Header) and sets its body, read from c.
func (door *frontDoor) relayBody(ctx *fasthttp.RequestCtx, u *upstream, c *upConn, m *groupMetrics, start time.Time) (int, error) {
	resp := &ctx.Response
	h := &resp.Header
	code := h.StatusCode()
	reusable := !h.ConnectionClose()
	h.ResetConnectionClose()
	if conn := h.Peek("Connection"); len(conn) > 0 {
		for tok := range bytes.SplitSeq(conn, []byte(",")) {
			if tok = bytes.TrimSpace(tok); len(tok) > 0 {
				h.DelBytes(tok)
			}
		}
	}
	for k := range hopHeaders {
		if k != "Transfer-Encoding" && k != "Trailer" {
			h.Del(k)
		}
	}
	cl := h.ContentLength()
	if ctx.IsHead() || code == http.StatusNoContent || code == http.StatusNotModified || code < 200 {
		resp.SkipBody = true
		cl = 0
	}
	switch {
	case cl >= 0 && cl <= smallBody:
		if err := readSmallBody(resp, c.br, cl); err != nil {
			_ = c.nc.Close()
			return 0, errUpstream{err}
		}
		if resp.SkipBody && cl == 0 && !ctx.IsHead() {
			h.SetContentLength(0)
		}
		if reusable {
			u.put(c, start)
		} else {
			_ = c.nc.Close()
		}
		m.observe(code, time.Since(start))
		return code, nil
	default:
		ub := &upBody{u: u, c: c, m: m, start: start, code: code, reusable: reusable, left: int64(cl)}
		switch {
		case cl >= 0:
			ub.r = c.br
		case cl == -1: // chunked
			ub.r = httputil.NewChunkedReader(c.br)
			ub.chunked = true
			resp.ImmediateHeaderFlush = true
		default: // until the instance closes
			ub.r, ub.reusable, ub.left = c.br, false, -1
			resp.ImmediateHeaderFlush = true
		}
		if cl < 0 {
			cl = -1
		}
		resp.SetBodyStream(ub, cl)
		return code, nil
	}
}

// readSmallBody reads n bytes of body from br into resp.
func readSmallBody(resp *fasthttp.Response, br *bufio.Reader, n int) error {
	resp.ResetBody()
	for n > 0 {
		p, err := br.Peek(min(n, br.Size()))
		if len(p) == 0 && err != nil {
			return err
		}
		if len(p) == 0 {
			p, err = br.Peek(1)
			if err != nil {
				return err
			}
		}
		if len(p) > n {
			p = p[:n]
		}
		resp.AppendBody(p)
		_, _ = br.Discard(len(p))
		n -= len(p)
	}
	return nil
}

// upBody streams a long or unknown-length answer body from the instance; it
// counts the request and releases the connection when fasthttp closes it.
type upBody struct {
	u        *upstream
	c        *upConn
	m        *groupMetrics
	start    time.Time
	code     int
	r        io.Reader
	left     int64 // -1: unknown
	chunked  bool
	reusable bool
	done     bool // the whole body was read
	closed   bool
}

func (b *upBody) Read(p []byte) (int, error) {
	if b.done {
		return 0, io.EOF
	}
	if b.left >= 0 && !b.chunked {
		if b.left == 0 {
			b.done = true
			return 0, io.EOF
		}
		if int64(len(p)) > b.left {
			p = p[:b.left]
		}
	}
	n, err := b.r.Read(p)
	if b.left >= 0 && !b.chunked {
		b.left -= int64(n)
		if b.left == 0 {
			b.done = true
			err = nil
		} else if err == io.EOF {
			err = io.ErrUnexpectedEOF
		}
	}
	if err == io.EOF {
		if b.chunked { // skip the trailer section
			for {
				line, rerr := b.c.br.ReadSlice('\n')
				if rerr != nil {
					return n, errUpstream{rerr}
				}
				if len(bytes.TrimSpace(line)) == 0 {
					break
				}
			}
		}
		b.done = true
		return n, io.EOF
	}
	if err != nil {
		return n, errUpstream{err}
	}
	return n, nil
}

func (b *upBody) Close() error {
	if b.closed {
		return nil
	}
	b.closed = true
	if b.done && b.reusable {
		b.u.put(b.c, b.start)
	} else {
		_ = b.c.nc.Close()
	}
	b.m.observe(b.code, time.Since(b.start))
	return nil
}

// clientWatch notices a client going away while the instance thinks: after
// cancelCheckDelay it waits for the client's connection to close, and then
// breaks the instance connection's pending read.
type clientWatch struct {
	t      *time.Timer
	raw    syscall.RawConn
	client net.Conn
	up     net.Conn
	gone   atomic.Bool
	done   chan struct{}
}

var watches = sync.Pool{New: func() any {
	w := &clientWatch{done: make(chan struct{}, 1)}
	w.t = time.AfterFunc(time.Hour, w.run)
	w.t.Stop()
	return w
}}

// watchClient starts watching ctx's client; stop ends it.
func watchClient(ctx *fasthttp.RequestCtx, up net.Conn) *clientWatch {
	sc, ok := ctx.Conn().(syscall.Conn)
	if !ok {
		return nil
	}
	raw, err := sc.SyscallConn()
	if err != nil {
		return nil
	}
	w := watches.Get().(*clientWatch)
	w.raw, w.client, w.up = raw, ctx.Conn(), up
	w.gone.Store(false)
	w.t.Reset(cancelCheckDelay)
	return w
}

// stop ends the watch and tells whether the client went away.
func (w *clientWatch) stop() bool {
	if w == nil {
		return false
	}
	if !w.t.Stop() { // running or ran: unblock its wait and wait for it
		_ = w.client.SetReadDeadline(aLongTimeAgo)
		<-w.done
		_ = w.client.SetReadDeadline(time.Time{})
	}
	gone := w.gone.Load()
	w.raw, w.client, w.up = nil, nil, nil
	watches.Put(w)
	return gone
}

func (w *clientWatch) run() {
	defer func() { w.done <- struct{}{} }()
	var buf [1]byte
	gone := false
	err := w.raw.Read(func(fd uintptr) bool {
		n, _, err := syscall.Recvfrom(int(fd), buf[:], syscall.MSG_PEEK|syscall.MSG_DONTWAIT)
		if errors.Is(err, syscall.EAGAIN) {
			return false
		}
		gone = err != nil || n == 0 // closed or reset; n > 0: the client sent more, stop watching
		return true
	})
	if err == nil && gone {
		w.gone.Store(true)
		_ = w.up.SetDeadline(aLongTimeAgo)
	}
}

// handOff gives ctx's connection, its request still unread, to the net/http
// server that runs ServeHTTP.
func (door *frontDoor) handOff(ctx *fasthttp.RequestCtx) {
	head := bytes.Clone(ctx.Request.Header.Header())
	fb := door.fallback
	ctx.HijackSetNoResponse(true)
	ctx.Hijack(func(c net.Conn) {
		hc := &handedConn{Conn: c, r: io.MultiReader(bytes.NewReader(head), c), closed: make(chan struct{})}
		if !fb.push(hc) {
			return
		}
		<-hc.closed // fasthttp closes c when this returns
	})
}

// handedConn is a connection handed over to net/http, its request head
// replayed.
type handedConn struct {
	net.Conn
	r      io.Reader
	once   sync.Once
	closed chan struct{}
}

func (c *handedConn) Read(p []byte) (int, error) { return c.r.Read(p) }

func (c *handedConn) Close() error {
	c.once.Do(func() { close(c.closed) })
	return nil
}

// connListener feeds handed-over connections to an http.Server.
type connListener struct {
	addr net.Addr
	ch   chan net.Conn
	done chan struct{}
	once sync.Once
}

func newConnListener(addr net.Addr) *connListener {
	return &connListener{addr: addr, ch: make(chan net.Conn), done: make(chan struct{})}
}

func (l *connListener) push(c net.Conn) bool {
	select {
	case l.ch <- c:
		return true
	case <-l.done:
		return false
	}
}

func (l *connListener) Accept() (net.Conn, error) {
	select {
	case c := <-l.ch:
		return c, nil
	case <-l.done:
		return nil, net.ErrClosed
	}
}

func (l *connListener) Close() error {
	l.once.Do(func() { close(l.done) })
	return nil
}

func (l *connListener) Addr() net.Addr { return l.addr }

// trackedListener closes once, and remembers its connections so that
// closing the front door can end them.
type trackedListener struct {
	net.Listener
	once  sync.Once
	mu    sync.Mutex
	conns map[net.Conn]struct{}
}

func (l *trackedListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	tc := &trackedConn{Conn: c, l: l}
	l.mu.Lock()
	l.conns[tc] = struct{}{}
	l.mu.Unlock()
	return tc, nil
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
		_ = c.(*trackedConn).Conn.Close()
	}
}

type trackedConn struct {
	net.Conn
	l    *trackedListener
	once sync.Once
}

func (c *trackedConn) Close() error {
	c.once.Do(func() {
		c.l.mu.Lock()
		delete(c.l.conns, c)
		c.l.mu.Unlock()
	})
	return c.Conn.Close()
}

// SyscallConn lets the client watch reach the socket.
func (c *trackedConn) SyscallConn() (syscall.RawConn, error) {
	if sc, ok := c.Conn.(syscall.Conn); ok {
		return sc.SyscallConn()
	}
	return nil, errors.ErrUnsupported
}
