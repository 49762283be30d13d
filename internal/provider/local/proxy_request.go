package local

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"sync"
	"time"
	"unsafe"

	"github.com/valyala/fasthttp"
)

// newFastServer serves door's listener.
func (door *frontDoor) newFastServer() *fasthttp.Server {
	return &fasthttp.Server{
		Handler:                      door.serve,
		Name:                         "gennaker-front-door",
		StreamRequestBody:            true, // bodies are streamed to the instance as they arrive
		ReadTimeout:                  clientReadTimeout,
		IdleTimeout:                  2 * time.Minute,
		NoDefaultServerHeader:        true,
		NoDefaultDate:                true,
		NoDefaultContentType:         true,
		DisablePreParseMultipartForm: true,
		CloseOnShutdown:              true,
		Logger:                       fastLogger{door},
	}
}

// clientReadTimeout bounds how long a client may take to send a request's
// head (slowloris); bodies are streamed and bounded by the instance.
const clientReadTimeout = 30 * time.Second

type fastLogger struct{ door *frontDoor }

func (l fastLogger) Printf(format string, args ...any) {
	l.door.log.Warn(fmt.Sprintf(format, args...))
}

// serve routes one request: pick a server group, then one of its healthy
// instances, proxy, and count the outcome. No locks.
func (door *frontDoor) serve(ctx *fasthttp.RequestCtx) {
	start := time.Now()
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
	if isUpgrade(&ctx.Request.Header) {
		door.tunnel(ctx, b.host, rt.m, start)
		return
	}
	closeClient := ctx.Request.Header.ConnectionClose()
	setForwarded(ctx) // drops Connection: the instance connection stays open
	if closeClient {
		defer ctx.SetConnectionClose()
	}
	up := fasthttp.AcquireResponse()
	if err := door.ups.get(b.host).Do(&ctx.Request, up); err != nil {
		fasthttp.ReleaseResponse(up)
		door.answerFailure(ctx, b.host, err, rt.m, start)
		return
	}
	if err := relay(ctx, up, rt.m, start); err != nil {
		door.answerFailure(ctx, b.host, err, rt.m, start)
		return
	}
	if remember {
		t.rememberFast(&ctx.Response, rt)
	}
}

// answerFailure answers a request the instance did not answer: 504 when it
// stayed silent too long, 502 otherwise.
func (door *frontDoor) answerFailure(ctx *fasthttp.RequestCtx, host string, err error, m *groupMetrics, start time.Time) {
	code, what := http.StatusBadGateway, "did not answer"
	var ne net.Error
	if errors.Is(err, fasthttp.ErrTimeout) || (errors.As(err, &ne) && ne.Timeout()) {
		code, what = http.StatusGatewayTimeout, fmt.Sprintf("sent nothing for %s", door.ups.readIdle)
	}
	door.log.Warn("instance "+what, "instance", host, "err", err)
	ctx.Response.Reset()
	ctx.Error(fmt.Sprintf("%d %s: front door %s/%s: instance %s %s: %v", code, http.StatusText(code), door.app, door.env, host, what, err), code)
	m.observe(code, time.Since(start))
}

// setForwarded removes the request's hop-by-hop headers and sets the
// front door's X-Forwarded-*: the client's address appended to
// X-Forwarded-For, the Host it asked for, the scheme.
func setForwarded(ctx *fasthttp.RequestCtx) {
	h := &ctx.Request.Header
	delHopHeaders(h.Peek("Connection"), h.Del)
	for _, k := range forwardedHeaders {
		h.Del(k)
	}
	var buf [128]byte
	xff := append(buf[:0], h.Peek("X-Forwarded-For")...)
	if len(xff) > 0 {
		xff = append(xff, ", "...)
	}
	if ta, ok := ctx.RemoteAddr().(*net.TCPAddr); ok {
		xff = ta.AddrPort().Addr().Unmap().AppendTo(xff)
	} else {
		xff = append(xff, ctx.RemoteIP().String()...)
	}
	h.SetBytesV("X-Forwarded-For", xff)
	h.SetBytesV("X-Forwarded-Host", h.Host())
	if ctx.IsTLS() {
		h.Set("X-Forwarded-Proto", "https")
	} else {
		h.Set("X-Forwarded-Proto", "http")
	}
}

// delHopHeaders deletes the hop-by-hop headers and those the Connection
// header conn names.
func delHopHeaders(conn []byte, del func(string)) {
	if len(conn) > 0 {
		for tok := range bytes.SplitSeq(conn, []byte(",")) {
			if tok = bytes.TrimSpace(tok); len(tok) > 0 {
				del(string(tok))
			}
		}
	}
	for _, k := range hopHeaders {
		del(k)
	}
}

// smallBody is the largest answer body read whole before answering; longer
// or unknown-length ones are streamed.
const smallBody = 64 << 10

var copyBuffers = sync.Pool{New: func() any { b := make([]byte, 16<<10); return &b }}

// relay makes the instance's answer up ctx's answer: its head without
// hop-by-hop headers, its body read whole when short and streamed
// otherwise (with its trailers). up is released here or, when streamed,
// once fasthttp has sent the body. An error means nothing was answered.
func relay(ctx *fasthttp.RequestCtx, up *fasthttp.Response, m *groupMetrics, start time.Time) error {
	resp := &ctx.Response
	up.Header.CopyTo(&resp.Header)
	resp.Header.ResetConnectionClose()
	delHopHeaders(up.Header.Peek("Connection"), resp.Header.Del)
	code := resp.Header.StatusCode()
	stream := up.BodyStream()
	cl := up.Header.ContentLength()
	if stream == nil || ctx.IsHead() || code == http.StatusNoContent || code == http.StatusNotModified {
		resp.SkipBody = ctx.IsHead() || stream == nil
		fasthttp.ReleaseResponse(up) // closes the body stream: its connection is reused or closed
		m.observe(code, time.Since(start))
		return nil
	}
	if cl >= 0 && cl <= smallBody {
		resp.ResetBody()
		bp := copyBuffers.Get().(*[]byte)
		n, err := io.CopyBuffer(resp.BodyWriter(), stream, *bp)
		copyBuffers.Put(bp)
		fasthttp.ReleaseResponse(up)
		if err == nil && n != int64(cl) {
			err = io.ErrUnexpectedEOF
		}
		if err != nil {
			return fmt.Errorf("reading the answer's body: %w", err)
		}
		m.observe(code, time.Since(start))
		return nil
	}
	rb := &relayBody{up: up, r: stream, out: &resp.Header, m: m, code: code, start: start}
	if cl < 0 {
		cl = -1 // chunked to the client
		resp.ImmediateHeaderFlush = true
	}
	// The copied head announces the instance's trailers; their values are
	// copied in when the body ends (relayBody.Read).
	resp.SetBodyStream(rb, cl)
	return nil
}

// relayBody streams an answer's body from the instance; it counts the
// request and releases the instance's answer (and its connection) when
// fasthttp closes it.
type relayBody struct {
	up     *fasthttp.Response
	r      io.Reader
	out    *fasthttp.ResponseHeader
	m      *groupMetrics
	code   int
	start  time.Time
	closed bool
}

func (b *relayBody) Read(p []byte) (int, error) {
	n, err := b.r.Read(p)
	if err == io.EOF {
		for k := range b.up.Header.Trailers() {
			if v := b.up.Header.PeekBytes(k); len(v) > 0 {
				b.out.SetBytesKV(k, v)
			}
		}
	}
	return n, err
}

func (b *relayBody) Close() error {
	if b.closed {
		return nil
	}
	b.closed = true
	fasthttp.ReleaseResponse(b.up)
	b.m.observe(b.code, time.Since(b.start))
	return nil
}

func b2s(b []byte) string { return unsafe.String(unsafe.SliceData(b), len(b)) }
