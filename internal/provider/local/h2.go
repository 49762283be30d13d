package local

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/valyala/fasthttp"
	"golang.org/x/net/http2"
)

// HTTP/2 to clients, in cleartext with prior knowledge (h2c: what `curl
// --http2-prior-knowledge`, Go's http.Transport with unencrypted HTTP/2,
// Envoy and Connect clients speak), on the front door's one port. A
// connection is HTTP/2 when its first bytes are the HTTP/2 client preface;
// everything else is HTTP/1.1 for fasthttp, untouched. An HTTP/2 request
// takes the same path as an HTTP/1.1 one (frontDoor.serve: the route, the
// split, the instance's keep-alive HTTP/1.1 connection, the counts), only
// its head and body are carried by golang.org/x/net/http2. Instances still
// get HTTP/1.1, as from nginx or haproxy in front of them (so gRPC proper,
// which needs HTTP/2 to the server, does not pass; gRPC-Web and Connect's
// unary calls do; request trailers are not relayed). With TLS
// (frontDoorTLS), HTTP/2 is what the client picks by ALPN.

// h2Preface is what an HTTP/2 client sends first (RFC 9113 3.4).
var h2Preface = []byte(http2.ClientPreface)

// h2MaxHeaderBytes bounds an HTTP/2 request's head, as fasthttp's read
// buffer (4 KiB) bounds an HTTP/1.1 one's, with room for HTTP/2's
// per-field overhead.
const h2MaxHeaderBytes = 8 << 10

// h2MaxStreams bounds the requests in flight on one HTTP/2 connection
// (nginx's default is 128); each holds a connection to an instance.
const h2MaxStreams = 100

// h2Dropped are the answer's headers HTTP/2 does not carry: the hop-by-hop
// ones (finishAnswer has removed them from an instance's answer; fasthttp
// may still list Connection), and the framing of HTTP/1.1's chunked body
// (HTTP/2 frames it; trailers go as trailers).
var h2Dropped = func() map[string]bool {
	m := map[string]bool{"Transfer-Encoding": true, "Trailer": true}
	for _, k := range hopHeaders {
		m[http.CanonicalHeaderKey(k)] = true
	}
	return m
}()

// h2Front serves the HTTP/2 connections of one fasthttp server's life.
type h2Front struct {
	door *frontDoor
	base *http.Server // its Shutdown sends GOAWAY to every connection
	srv  *http2.Server
}

func (door *frontDoor) newH2Front() *h2Front {
	base := &http.Server{
		MaxHeaderBytes: h2MaxHeaderBytes,
		// A stream's request (its body) must arrive within this, as fasthttp's
		// ReadTimeout bounds an HTTP/1.1 request; answers are not bounded
		// (server-sent events), but a client that reads nothing of them for
		// upstreamReadIdle loses its connection (WriteByteTimeout).
		ReadTimeout: clientReadTimeout,
		IdleTimeout: 2 * time.Minute,
		ErrorLog:    slog.NewLogLogger(door.log.Handler(), slog.LevelWarn),
	}
	srv := &http2.Server{
		IdleTimeout:          2 * time.Minute,
		MaxConcurrentStreams: h2MaxStreams,
		ReadIdleTimeout:      30 * time.Second, // then a PING: a peer gone silent is found
		PingTimeout:          15 * time.Second,
		WriteByteTimeout:     upstreamReadIdle,
	}
	// Registers the graceful shutdown (GOAWAY, then close once the streams
	// in flight are done) on base; it cannot fail without a TLS config.
	_ = http2.ConfigureServer(base, srv)
	return &h2Front{door: door, base: base, srv: srv}
}

// drain tells every HTTP/2 connection to finish the streams it has and take
// no more (GOAWAY); each closes once its streams are done. It says it again
// every 100 ms until done is closed: a connection accepted before the
// listener closed may begin HTTP/2 (its preface, its TLS handshake) later.
func (f *h2Front) drain(ctx context.Context, done <-chan struct{}) {
	t := time.NewTicker(100 * time.Millisecond)
	defer t.Stop()
	for {
		_ = f.base.Shutdown(ctx) // runs the GOAWAY hook each time; once per connection
		select {
		case <-done:
			return
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// serveAsH2 serves tc's connection c (tc.Conn, or a view of it) as HTTP/2
// until it closes, first being the bytes already read from it, and returns
// io.EOF for fasthttp: a connection that closed before asking anything.
// fasthttp counts a connection that asked nothing for 5 s as idle, and
// closes it when it shuts down; this one is HTTP/2's to close (after
// GOAWAY, once its streams are done: h2Front.drain), so tc ignores Close
// meanwhile.
func (f *h2Front) serveAsH2(tc *trackedConn, c net.Conn, first []byte) (int, error) {
	tc.h2.Store(true)
	defer tc.h2.Store(false)
	_ = c.SetReadDeadline(time.Time{}) // fasthttp's wait for a request head; HTTP/2 keeps its own
	local, remote := c.LocalAddr(), c.RemoteAddr()
	if len(first) > 0 {
		c = &prefixedConn{Conn: c, prefix: first}
	}
	f.srv.ServeConn(c, &http2.ServeConnOpts{
		BaseConfig: f.base,
		Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			f.door.serveH2(w, r, addrOnly{local: local, remote: remote})
		}),
	})
	return 0, io.EOF
}

// sniffH2 reads the first bytes of a connection into p. When they are the
// HTTP/2 preface, it serves the connection as HTTP/2 to its end
// (serveAsH2); otherwise it returns what it read, for fasthttp.
func (c *trackedConn) sniffH2(p []byte) (int, error) {
	n := 0
	for {
		m, err := c.Conn.Read(p[n:])
		n += m
		if k := min(n, len(h2Preface)); !bytes.Equal(p[:k], h2Preface[:k]) || err != nil {
			return n, err // HTTP/1.1 (or anything else: fasthttp answers it)
		}
		if n >= len(h2Preface) {
			break
		}
	}
	return c.l.h2.serveAsH2(c, c.Conn, append([]byte(nil), p[:n]...))
}

// alpnH2 completes the TLS handshake of a connection before its first
// read, and serves it as HTTP/2 to its end (serveAsH2) when the client
// chose h2; otherwise it reads for fasthttp.
func (c *trackedConn) alpnH2(p []byte) (int, error) {
	if err := c.tls.Handshake(); err != nil {
		// Scanners, plain HTTP on the TLS port, clients that reject the
		// certificate: not worth a warning each. To fasthttp: a connection
		// that closed before asking anything.
		c.l.h2.door.log.Debug("TLS handshake failed", "client", c.RemoteAddr(), "err", err)
		return 0, io.EOF
	}
	if c.tls.ConnectionState().NegotiatedProtocol != "h2" {
		return c.Conn.Read(p)
	}
	return c.l.h2.serveAsH2(c, c.tls, nil)
}

// serveH2 serves one HTTP/2 request through frontDoor.serve.
func (door *frontDoor) serveH2(w http.ResponseWriter, r *http.Request, addrs addrOnly) {
	if r.Method == http.MethodConnect {
		http.Error(w, fmt.Sprintf("501 not implemented: front door %s/%s does not tunnel CONNECT over HTTP/2 (WebSocket over HTTP/2); use HTTP/1.1 for WebSocket", door.app, door.env), http.StatusNotImplemented)
		return
	}
	var ctx fasthttp.RequestCtx
	if r.TLS != nil {
		ctx.Init2(addrOnlyTLS{addrs, *r.TLS}, fastLogger{door}, false)
	} else {
		ctx.Init2(addrs, fastLogger{door}, false)
	}
	h2ToFast(r, &ctx.Request)
	ctx.Response.Header.SetNoDefaultContentType(true) // as over HTTP/1.1: what the instance sent, no more
	door.serve(&ctx)
	resp := &ctx.Response
	defer func() { _ = resp.CloseBodyStream() }() // gives the instance's connection back
	fastToH2(resp, w, r.Method == http.MethodHead)
}

// h2ToFast makes r the instance's HTTP/1.1 request.
func h2ToFast(r *http.Request, req *fasthttp.Request) {
	req.Header.SetMethod(r.Method)
	req.Header.SetRequestURI(r.RequestURI)
	req.Header.SetHost(r.Host)
	for k, vs := range r.Header {
		if k == "Cookie" && len(vs) > 1 { // HTTP/2 may split cookies; HTTP/1.1 joins them (RFC 9113 8.2.3)
			req.Header.Add(k, strings.Join(vs, "; "))
			continue
		}
		for _, v := range vs {
			req.Header.Add(k, v)
		}
	}
	if r.Body != nil && r.Body != http.NoBody && r.ContentLength != 0 {
		req.SetBodyStream(r.Body, int(r.ContentLength)) // -1: chunked to the instance
	}
}

// fastToH2 writes the instance's answer (or the front door's own) to w:
// its head less what HTTP/2 forbids, its body as it comes (each piece
// flushed: server-sent events stay live), then its trailers.
func fastToH2(resp *fasthttp.Response, w http.ResponseWriter, head bool) {
	h := w.Header()
	for k, v := range resp.Header.All() {
		if key := http.CanonicalHeaderKey(string(k)); !h2Dropped[key] {
			h.Add(key, string(v))
		}
	}
	for _, k := range []string{"Content-Type", "Date"} {
		if _, ok := h[k]; !ok {
			h[k] = nil // net/http would add its own; HTTP/1.1 answers carry none either
		}
	}
	w.WriteHeader(resp.StatusCode())
	if head {
		return
	}
	if !resp.IsBodyStream() {
		_, _ = w.Write(resp.Body())
		return
	}
	flusher, _ := w.(http.Flusher)
	if flusher != nil {
		flusher.Flush() // the head goes out before the first piece, however long that takes
	}
	buf := make([]byte, 32<<10)
	stream := resp.BodyStream()
	for {
		n, err := stream.Read(buf)
		if n > 0 {
			if _, werr := w.Write(buf[:n]); werr != nil {
				return // the client went away
			}
			if flusher != nil {
				flusher.Flush()
			}
		}
		if err != nil {
			if err != io.EOF {
				panic(http.ErrAbortHandler) // the instance broke off: reset the stream, do not pretend it ended
			}
			break
		}
	}
	for line := range bytes.SplitSeq(resp.Header.TrailerHeader(), []byte("\r\n")) {
		if k, v, ok := bytes.Cut(line, []byte(":")); ok {
			h.Add(http.TrailerPrefix+string(bytes.TrimSpace(k)), string(bytes.TrimSpace(v)))
		}
	}
}

// prefixedConn is a connection whose first bytes were already read.
type prefixedConn struct {
	net.Conn
	prefix []byte
}

func (c *prefixedConn) Read(p []byte) (int, error) {
	if len(c.prefix) > 0 {
		n := copy(p, c.prefix)
		c.prefix = c.prefix[n:]
		return n, nil
	}
	return c.Conn.Read(p)
}

// addrOnly gives a fasthttp.RequestCtx made for an HTTP/2 stream the
// connection's addresses (for X-Forwarded-For); nothing reads or writes
// through it.
type addrOnly struct {
	net.Conn
	local, remote net.Addr
}

func (a addrOnly) LocalAddr() net.Addr  { return a.local }
func (a addrOnly) RemoteAddr() net.Addr { return a.remote }
